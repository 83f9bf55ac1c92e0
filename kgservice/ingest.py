"""The ingest chain: article → extract → resolve → map → store (one named graph per article)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef

from kgservice.errors import InputError
from kgservice.extract.records import ArticleInput, Extraction
from kgservice.graph.iris import Minter
from kgservice.graph.mapping import article_graph
from kgservice.graph.namespaces import PROV
from kgservice.resolve import resolve
from kgservice.resources import ontology_graph
from kgservice.settings import Settings
from kgservice.store import GraphStore

if TYPE_CHECKING:
    from kgservice.extract.extractor import Extractor


@dataclass(frozen=True)
class IngestResult:
    """What happened to one article."""

    article: URIRef
    outcome: str  # added | replaced | unchanged
    triples: int
    actors: int
    events: int
    assertions: int


class Ingester:
    """Extracts articles and writes their graphs; the spaCy pipeline is loaded on first use."""

    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.minter = Minter(settings.base_uri)
        self._extractor: Extractor | None = None
        store.ensure_ontology(ontology_graph())

    @property
    def extractor(self) -> Extractor:
        """The extractor, created (and the model loaded) on first use."""
        if self._extractor is None:
            from kgservice.extract.extractor import Extractor

            self._extractor = Extractor(self.settings.spacy_model)
        return self._extractor

    def ingest(self, article: ArticleInput, replace: bool = True) -> IngestResult:
        """Extract and store one article."""
        return self.store_extraction(self.extractor.extract(article), replace)

    def ingest_many(self, articles: Iterable[ArticleInput], replace: bool = True) -> Iterator[IngestResult]:
        """Extract and store articles in order, parsing them in batches."""
        for extraction in self.extractor.extract_many(articles):
            yield self.store_extraction(extraction, replace)

    def graph_for(self, extraction: Extraction) -> Graph:
        """The article's named graph, with IRIs resolved against the store."""
        return article_graph(extraction, self.minter, resolve(extraction, self.store, self.minter))

    def store_extraction(self, extraction: Extraction, replace: bool = True) -> IngestResult:
        """Write the article's graph unless the same graph is already stored."""
        graph = self.graph_for(extraction)
        name = URIRef(str(graph.identifier))
        existed = self.store.has_graph(name)
        outcome = "added"
        if existed and _same_content(self.store.graph(name), graph):
            outcome = "unchanged"
        elif existed and not replace:
            raise InputError(f"{name} is already stored with other content (use --replace to replace it)")
        else:
            self.store.replace_graph(name, graph)
            outcome = "replaced" if existed else "added"
        return IngestResult(
            name, outcome, len(graph), len(extraction.actors), len(extraction.events), len(extraction.assertions)
        )


def _same_content(stored: Graph, new: Graph) -> bool:
    """Equal graphs, ignoring when the extraction ran."""

    def triples(graph: Graph) -> set[tuple[object, object, object]]:
        return {t for t in graph if t[1] != PROV.startedAtTime}

    return triples(stored) == triples(new)
