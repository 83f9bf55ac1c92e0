"""Writing one article graph as TriG, N-Quads or Turtle with Oxigraph's serialisers."""

from __future__ import annotations

import pyoxigraph as ox
from oxrdflib._converter import to_ox
from rdflib import Graph

FORMATS = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS, "turtle": ox.RdfFormat.TURTLE}


def serialize_graph(graph: Graph, fmt: str) -> str:
    """The graph as text; dataset formats keep its name as the graph name."""
    rdf_format = FORMATS[fmt]
    prefixes = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix}
    if rdf_format.supports_datasets:
        name = ox.NamedNode(str(graph.identifier))
        quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in graph]  # type: ignore[arg-type]
        data = ox.serialize(quads, format=rdf_format, prefixes=prefixes)
    else:
        triples = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph]  # type: ignore[arg-type]
        data = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    return data.decode("utf-8") if data else ""
