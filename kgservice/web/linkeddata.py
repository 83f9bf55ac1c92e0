"""Dereferenceable IRIs: ``/id/<kind>/<slug>`` and ``/ontology``.

A resource's description is every triple with it as subject, across all graphs. HTML for
browsers (statements grouped by the article graph that makes them, the text that mentions
it, and for actors and events their place on the timeline); Turtle, JSON-LD, N-Triples and
RDF/XML by ``Accept`` or suffix. Every HTML page links to its RDF twins.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager

from kgservice.errors import NotFound
from kgservice.evidence import Snippet, snippets_for
from kgservice.graph.namespaces import KG, OWL, RDF, RDFS, SKOS, bind_prefixes
from kgservice.resources import ontology_graph
from kgservice.timeline import articles, assertions_for, local_name, query_rows, solutions, timeline_events
from kgservice.web import get_store, settings
from kgservice.web import negotiation as neg

bp = Blueprint("linkeddata", __name__)

KINDS = ("article", "actor", "event", "assertion", "run", "links")


def _split_suffix(slug: str) -> tuple[str, str | None]:
    for fmt in neg.GRAPH:
        if slug.endswith("." + fmt.key):
            return slug[: -len(fmt.key) - 1], fmt.key
    return slug, None


@bp.get("/id/<kind>/<slug>")
def resource(kind: str, slug: str) -> Response:
    """A resource page (HTML) or its description in an RDF format."""
    if kind not in KINDS:
        abort(404)
    slug, suffix = _split_suffix(slug)
    iri = URIRef(f"{settings().base_uri}id/{kind}/{slug}")
    rows = _describe(iri)
    if not rows:
        raise NotFound(f"nothing is known about {iri}")
    fmt = neg.choose("graph", explicit=suffix, html=suffix is None)
    alternates = [(url_for("linkeddata.resource", kind=kind, slug=f"{slug}.{f.key}"), f.mimetype) for f in neg.GRAPH]
    if fmt is neg.HTML:
        body = render_template("resource.html", **_page(kind, iri, rows), alternates=alternates)
        response = Response(body, mimetype="text/html")
    else:
        graph = _graph(iri, rows)
        response = Response(graph.serialize(format=fmt.rdflib, encoding="utf-8"), mimetype=fmt.mimetype)
    response.headers["Link"] = neg.link_header(alternates)
    response.vary.add("Accept")
    return response


def _describe(iri: URIRef) -> list[tuple[str, Any, Any]]:
    return [(str(row["graph"]), row["p"], row["o"]) for row in solutions(get_store(), "describe", s=iri)]


def _graph(iri: URIRef, rows: list[tuple[str, Any, Any]]) -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    for _, p, o in rows:
        graph.add((iri, p, o))
    return graph


def _page(kind: str, iri: URIRef, rows: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    """Everything the resource template shows."""
    store = get_store()
    values: dict[Any, list[Any]] = defaultdict(list)
    by_graph: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for graph, p, o in rows:
        if o not in values[p]:
            values[p].append(o)
        by_graph[graph].append((p, o))
    labels = {r["o"]: r["label"] for r in query_rows(store, "labels", s=iri)}
    page: dict[str, Any] = {
        "kind": kind,
        "iri": str(iri),
        "label": _first(values[RDFS.label]) or local_name(str(iri)),
        "types": values[RDF.type],
        "roles": values[KG.role],
        "aliases": values[SKOS.altLabel],
        "same_as": values[OWL.sameAs],
        "by_graph": dict(by_graph),
        "labels": labels,
        "sources": articles(store),
        "mentions": _mentions(iri),
    }
    page.update(_extras(kind, iri))
    return page


def _first(items: list[Any]) -> str | None:
    return str(items[0]) if items else None


def _mentions(iri: URIRef) -> list[Snippet]:
    """Each mention of the resource in its sentence, in text order per source."""
    return snippets_for(get_store(), [str(iri)]).get(str(iri), [])


def _extras(kind: str, iri: URIRef) -> dict[str, Any]:
    store = get_store()
    extras: dict[str, Any] = {}
    if kind == "actor":
        extras["said"] = query_rows(store, "assertions-by-actor", actor=iri)
        extras["events"] = timeline_events(store, actor=str(iri))
    elif kind == "event":
        extras["events"] = timeline_events(store, event=str(iri))
    elif kind == "article":
        extras["events"] = timeline_events(store, source=str(iri))
    if extras.get("events"):
        extras["event_claims"] = assertions_for(store, [e["id"] for e in extras["events"]], evidence=True)
    return extras


@bp.app_template_global()
def href(iri: object) -> str | None:
    """Where a link to an IRI goes: our own resource pages for our IRIs, the IRI itself for the web."""
    text = str(iri)
    base = settings().base_uri + "id/"
    if text.startswith(base):
        path, _, fragment = text[len(base) :].partition("#")
        kind, _, slug = path.partition("/")
        if kind in KINDS and slug and "/" not in slug:
            url = url_for("linkeddata.resource", kind=kind, slug=slug)
            return f"{url}#{fragment}" if fragment else url
    if text.startswith(str(KG._NS)):
        return f"{url_for('linkeddata.ontology')}#{local_name(text)}"
    return text if text.startswith(("http://", "https://")) else None


@cache
def _namespaces() -> NamespaceManager:
    graph = Graph()
    bind_prefixes(graph)
    return graph.namespace_manager


@bp.app_template_global()
def qname(iri: object) -> str:
    """A prefixed name (``kg:Meeting``) when a bound prefix fits, else the IRI."""
    if isinstance(iri, Literal):
        return str(iri)
    try:
        short = _namespaces().normalizeUri(URIRef(str(iri)))
    except Exception:  # any IRI that cannot be shortened is shown whole
        return str(iri)
    return str(iri) if short.startswith("<") else short


@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
def ontology(suffix: str | None = None) -> Response:
    """The kgservice ontology: HTML listing its terms, or RDF by ``Accept`` or suffix."""
    if suffix is not None and suffix not in {f.key for f in neg.GRAPH}:
        abort(404)
    graph = ontology_graph()
    bind_prefixes(graph)
    fmt = neg.choose("graph", explicit=suffix, html=suffix is None)
    alternates = [(url_for("linkeddata.ontology", suffix=f.key), f.mimetype) for f in neg.GRAPH]
    if fmt is neg.HTML:
        body = render_template("ontology.html", sections=_ontology_sections(graph), alternates=alternates)
        response = Response(body, mimetype="text/html")
    else:
        response = Response(graph.serialize(format=fmt.rdflib, encoding="utf-8"), mimetype=fmt.mimetype)
    response.headers["Link"] = neg.link_header(alternates)
    response.vary.add("Accept")
    return response


def _ontology_sections(graph: Graph) -> list[tuple[str, list[dict[str, Any]]]]:
    kinds = (
        ("Classes", OWL.Class),
        ("Object properties", OWL.ObjectProperty),
        ("Datatype properties", OWL.DatatypeProperty),
        ("Event statuses", KG.Status),
    )
    sections = []
    for title, rdf_type in kinds:
        terms = []
        for term in sorted(set(graph.subjects(RDF.type, rdf_type)), key=str):
            if not str(term).startswith(str(KG._NS)):
                continue
            terms.append(
                {
                    "iri": str(term),
                    "name": local_name(str(term)),
                    "label": graph.value(term, RDFS.label),
                    "comment": graph.value(term, RDFS.comment),
                    "parents": list(graph.objects(term, RDFS.subClassOf))
                    + list(graph.objects(term, RDFS.subPropertyOf)),
                    "domain": graph.value(term, RDFS.domain),
                    "range": graph.value(term, RDFS.range),
                }
            )
        sections.append((title, terms))
    return sections


@bp.app_template_global()
def term_kind(value: object) -> str:
    """``iri``, ``bnode``, ``literal`` or ``none``: how a template shows an RDF term."""
    if value is None:
        return "none"
    if isinstance(value, URIRef):
        return "iri"
    if isinstance(value, Literal):
        return "literal"
    return "bnode" if value.__class__.__name__ == "BNode" else "literal"
