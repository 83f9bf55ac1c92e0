"""The ingest chain: article → extract → resolve → map → store (one named graph per article)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from kgservice import __version__
from kgservice.errors import InputError
from kgservice.extract.records import ArticleInput, Extraction
from kgservice.graph.iris import Minter
from kgservice.graph.mapping import article_graph
from kgservice.graph.namespaces import KG, PROV
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

    @cached_property
    def extraction_key(self) -> str:
        """What besides the article decides its graph: kgservice's version and the model's name and version."""
        return (
            f"kgservice {__version__}; {self.settings.spacy_model} {model_package_version(self.settings.spacy_model)}"
        )

    def content_hash(self, article: ArticleInput) -> str:
        """The article's :func:`content_hash` under this ingester's software and model."""
        return content_hash(article, self.extraction_key)

    def is_stored(self, article: ArticleInput) -> bool:
        """Whether the article's graph is stored with the same content hash (so extracting it again is pointless)."""
        name = ox.NamedNode(str(self.minter.article(article.id)))
        found = self.store.quads(name, ox.NamedNode(str(KG.contentHash)), ox.Literal(self.content_hash(article)), name)
        return next(iter(found), None) is not None

    def graph_for(self, extraction: Extraction) -> Graph:
        """The article's named graph, with IRIs resolved against the store, and its content hash."""
        graph = article_graph(extraction, self.minter, resolve(extraction, self.store, self.minter))
        article = self.minter.article(extraction.article.id)
        graph.add((article, KG.contentHash, Literal(self.content_hash(extraction.article))))
        return graph

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


def content_hash(article: ArticleInput, extraction_key: str) -> str:
    """SHA-256 (hex) of the article's text and every field that shapes its graph, with the extractor's version.

    The text is hashed as read: readers have already normalised it (line endings, page
    residue), and any further change would change the graph's offsets.
    """
    fields = {
        "id": article.id,
        "text": article.text,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "url": article.url,
        "author": article.author,
        "genre": article.genre,
        "extractor": extraction_key,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def model_package_version(model: str) -> str:
    """The installed spaCy pipeline's version, read without importing spaCy (a path: its meta.json)."""
    try:
        return metadata.version(model)
    except (metadata.PackageNotFoundError, ValueError):
        pass
    meta = Path(model) / "meta.json"
    try:
        return str(json.loads(meta.read_text(encoding="utf-8")).get("version", "unknown"))
    except (OSError, ValueError):
        return "unknown"


def _same_content(stored: Graph, new: Graph) -> bool:
    """Equal graphs, ignoring when the extraction ran."""

    def triples(graph: Graph) -> set[tuple[object, object, object]]:
        return {t for t in graph if t[1] != PROV.startedAtTime}

    return triples(stored) == triples(new)
