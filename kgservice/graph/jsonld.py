"""JSON-LD that reads naturally: the published context, and a streaming compactor for quads.

The context (``ontology/context.jsonld``, served at ``/context/v<N>.jsonld`` and
``/context.jsonld``) gives the properties and classes kgservice writes short names
(``label``, ``status``, ``participants``…), with ``@type: @id`` where the value is an IRI
and typed dates. :class:`Compactor` writes node objects against it one subject at a time,
so a dump never holds more than one subject's quads: a property or class without a term
becomes a compact IRI (``kg:``, ``sem:``, ``schema:``…) or stays a full IRI, and a value
that does not fit its term's type becomes an explicit value object. Expanding the output
(rdflib, pyld, Oxigraph) gives back exactly the quads that went in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from typing import Any

import pyoxigraph as ox

from kgservice.resources import resource_dir

CONTEXT_FILE = "context.jsonld"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
GEN_DELIMS = tuple(":/?#[]@")
KEY_ORDER = ("label",)  # keys shown first in a node object, after id and type

Json = Any


@cache
def context_document() -> dict[str, Json]:
    """The published context document, as the repository (or the installed wheel) holds it."""
    return dict(json.loads((resource_dir("ontology") / CONTEXT_FILE).read_text("utf-8")))


def context_version() -> int:
    """The version of the published context (its URL is ``context/v<version>.jsonld``)."""
    return int(context_document()["version"])


def context_url(base_uri: str) -> str:
    """Where this service publishes the current context, under its versioned name."""
    return f"{base_uri}context/v{context_version()}.jsonld"


def instance_prefixes(base_uri: str) -> dict[str, str]:
    """Prefixes for this instance's own IRIs (``actor:ada-lovelace``), which depend on ``KG_BASE_URI``."""
    return {kind: f"{base_uri}id/{kind}/" for kind in ("article", "actor", "event", "assertion", "run")}


@dataclass(frozen=True)
class Term:
    """A term of the context: its IRI and how its values are typed (``@id``, ``@vocab``, a datatype or none)."""

    name: str
    iri: str
    coercion: str | None


class Compactor:
    """Writes quads as compact JSON-LD node objects against the context plus instance prefixes."""

    def __init__(self, context: dict[str, Json], extra_prefixes: dict[str, str] | None = None) -> None:
        self.prefixes: dict[str, str] = {}
        for name, value in context.items():
            if isinstance(value, str) and not name.startswith("@") and value.endswith(GEN_DELIMS):
                self.prefixes[name] = value
        self.prefixes.update(extra_prefixes or {})
        self._by_namespace = sorted(self.prefixes.items(), key=lambda item: -len(item[1]))
        self.terms: dict[str, Term] = {}
        for name, value in context.items():
            term = self._term(name, value)
            if term is not None:
                self.terms.setdefault(term.iri, term)

    def _term(self, name: str, value: Json) -> Term | None:
        """A property or class term; ``None`` for keywords, aliases and prefixes."""
        if name.startswith("@") or name in self.prefixes:
            return None
        raw_iri = value.get("@id") if isinstance(value, dict) else value
        if not isinstance(raw_iri, str) or raw_iri.startswith("@"):
            return None
        coercion = value.get("@type") if isinstance(value, dict) else None
        if coercion is not None and not coercion.startswith("@"):
            coercion = self.expand(coercion)
        return Term(name, self.expand(raw_iri), coercion)

    def expand(self, value: str) -> str:
        """A compact IRI of the context (``xsd:date``) as a full IRI."""
        prefix, colon, suffix = value.partition(":")
        if colon and prefix in self.prefixes and not suffix.startswith("//"):
            return self.prefixes[prefix] + suffix
        return value

    def iri(self, iri: str, vocab: bool = False) -> str:
        """The shortest safe form of an IRI: a term (where ``vocab``), a compact IRI, or the IRI itself."""
        if vocab and iri in self.terms:
            return self.terms[iri].name
        for prefix, namespace in self._by_namespace:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                suffix = iri[len(namespace) :]
                if not suffix.startswith("//"):
                    return f"{prefix}:{suffix}"
        return iri

    def node_ref(self, term: ox.NamedNode | ox.BlankNode, vocab: bool = False) -> str:
        """A subject or IRI value as a string: a blank node as ``_:id``."""
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self.iri(term.value, vocab)

    def key(self, predicate: str) -> tuple[str, str | None]:
        """The key for a predicate, with its term's coercion."""
        term = self.terms.get(predicate)
        if term is not None:
            return term.name, term.coercion
        return self.iri(predicate), None

    def value(self, obj: object, coercion: str | None) -> Json:
        """One object in the form its key's coercion reads back to the same RDF term."""
        if isinstance(obj, ox.NamedNode | ox.BlankNode):
            if coercion in ("@id", "@vocab"):
                return self.node_ref(obj, vocab=coercion == "@vocab")
            return {"id": self.node_ref(obj)}
        if isinstance(obj, ox.Literal):
            return self._literal(obj, coercion)
        raise ValueError(f"JSON-LD 1.1 cannot write the term {obj}")

    def _literal(self, literal: ox.Literal, coercion: str | None) -> Json:
        text, datatype = literal.value, literal.datatype.value
        if literal.language:
            return {"@value": text, "@language": literal.language}
        if coercion is not None:
            return text if datatype == coercion else _value_object(text, datatype, self)
        if datatype == XSD + "string":
            return text
        native = _native(text, datatype)
        return native if native is not None else _value_object(text, datatype, self)

    def node(self, subject: ox.NamedNode | ox.BlankNode, pairs: Iterable[tuple[object, object]]) -> dict[str, Json]:
        """A node object for ``subject`` from its ``(predicate, object)`` pairs."""
        types: list[str] = []
        values: dict[str, list[Json]] = {}
        for predicate, obj in pairs:
            iri = predicate.value  # type: ignore[attr-defined]
            if iri == RDF_TYPE and isinstance(obj, ox.NamedNode | ox.BlankNode):
                types.append(self.node_ref(obj, vocab=True))
                continue
            name, coercion = self.key(iri)
            values.setdefault(name, []).append(self.value(obj, coercion))
        node: dict[str, Json] = {"id": self.node_ref(subject)}
        if types:
            node["type"] = types[0] if len(types) == 1 else sorted(types)
        for name in sorted(values, key=lambda k: (k not in KEY_ORDER, k)):
            items = values[name]
            node[name] = items[0] if len(items) == 1 else items
        return node


def _value_object(text: str, datatype: str, compactor: Compactor) -> dict[str, str]:
    return {"@value": text, "@type": compactor.iri(datatype, vocab=False)}


def _native(text: str, datatype: str) -> bool | int | None:
    """A JSON boolean or integer when it reads back to the very same literal, else ``None``."""
    if datatype == XSD + "boolean" and text in ("true", "false"):
        return text == "true"
    if datatype == XSD + "integer" and text.lstrip("-").isdigit() and str(int(text)) == text:
        return int(text)
    return None


def document_context(base_uri: str) -> list[Json]:
    """The ``@context`` of a dump: the published context by URL, then this instance's prefixes."""
    return [context_url(base_uri), instance_prefixes(base_uri)]


def compactor_for(base_uri: str) -> Compactor:
    """A compactor for the published context and this instance's prefixes."""
    return Compactor(context_document()["@context"], instance_prefixes(base_uri))


def jsonld_chunks(quads: Iterable[ox.Quad], base_uri: str) -> Iterator[str]:
    """A JSON-LD document of ``quads``, piece by piece (one node object at a time).

    Each named graph becomes a named-graph object (``{"id": graph, "@graph": [...]}``);
    default-graph quads are top-level nodes. ``quads`` should come grouped by graph, and by
    subject within a graph, as Oxigraph's ``quads_for_pattern`` gives them; a graph or
    subject that comes back later is written again, which JSON-LD merges on reading.
    """
    compactor = compactor_for(base_uri)
    head = json.dumps({"@context": document_context(base_uri)}, ensure_ascii=False)
    yield head[:-1] + ',\n"@graph": ['
    separator = "\n"
    for graph, graph_quads in groupby(quads, key=lambda q: q.graph_name):
        named = not isinstance(graph, ox.DefaultGraph)
        if named:
            yield f'{separator}{{"id": {json.dumps(compactor.node_ref(graph), ensure_ascii=False)}, "@graph": ['
            separator = "\n"
        for subject, group in groupby(graph_quads, key=lambda q: q.subject):
            node = compactor.node(subject, ((q.predicate, q.object) for q in group))
            yield separator + json.dumps(node, ensure_ascii=False)
            separator = ",\n"
        if named:
            yield "\n]}"
            separator = ",\n"
    yield "\n]}\n"
