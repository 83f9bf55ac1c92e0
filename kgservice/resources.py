"""Locate the data folders the package reads at run time: ``ontology/``, ``queries/``, ``links/``.

They live at the repository root, next to the package, so that they read as part of
the project rather than as package internals. A built wheel cannot ship files outside
the package, so the build maps them into ``kgservice/_data/`` (``pyproject.toml``,
``[tool.hatch.build.targets.wheel.force-include]``). This module hides the difference:
an installed wheel finds ``kgservice/_data/<name>``, a source checkout or an editable
install finds ``<repo>/<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from rdflib import Graph, URIRef

RESOURCE_NAMES = ("ontology", "queries", "links")


def resource_dir(name: str) -> Path:
    """Return the directory holding the ``ontology``, ``queries`` or ``links`` files.

    Raises ``ValueError`` for any other name and ``FileNotFoundError`` when neither the
    packaged copy nor the repository folder exists.
    """
    if name not in RESOURCE_NAMES:
        raise ValueError(f"unknown resource folder {name!r}; expected one of {RESOURCE_NAMES}")
    packaged = Path(str(files("kgservice") / "_data" / name))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"resource folder {name!r} not found: looked in {packaged} (installed wheel) and {checkout} (source checkout)"
    )


@dataclass(frozen=True)
class NamedQuery:
    """A SPARQL query from ``queries/NAME.rq`` with the metadata of its comment header.

    The header is ``# key: value`` lines: ``title``, ``description`` and ``parameters``
    (variables a caller may bind to RDF terms; each must be in the SELECT projection).
    """

    name: str
    title: str
    description: str
    parameters: tuple[str, ...]
    text: str

    def restricted(self, var: str, iris: Iterable[str]) -> str:
        """The query text with ``VALUES ?var { <iri> … }`` opening its WHERE group.

        The IRIs come from the store; each is checked to be a well-formed IRI reference,
        so nothing but IRIs can enter the query this way.
        """
        cells = []
        for iri in iris:
            if not iri or _NOT_IN_IRI.search(iri):
                raise ValueError(f"not an IRI: {iri!r}")
            cells.append(f"<{iri}>")
        head, where, tail = self.text.partition("WHERE {")
        if not where:
            raise ValueError(f"query {self.name} has no `WHERE {{`")
        return f"{head}WHERE {{\n  VALUES ?{var} {{ {' '.join(cells)} }}{tail}"


_NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


@cache
def load_query(name: str) -> NamedQuery:
    """Read and parse one query file once."""
    path = resource_dir("queries") / f"{name}.rq"
    text = path.read_text("utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip().lower()] = value.strip()
    params = tuple(p.strip().lstrip("?") for p in header.get("parameters", "").split(",") if p.strip())
    return NamedQuery(name, header.get("title", name), header.get("description", ""), params, text)


def all_queries() -> list[NamedQuery]:
    """Every query of ``queries/``, by name."""
    return [load_query(p.stem) for p in sorted(resource_dir("queries").glob("*.rq"))]


def ontology_graph() -> Graph:
    """The ontology ``kg.ttl`` as an rdflib graph named by the ontology IRI."""
    graph = Graph(identifier=URIRef("https://w3id.org/kgservice/ns"))
    graph.parse(resource_dir("ontology") / "kg.ttl", format="turtle")
    return graph
