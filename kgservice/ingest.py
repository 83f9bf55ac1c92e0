"""The ingest chain: article → extract → resolve → map → store (one named graph per article)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import pyoxigraph as ox
from rdflib import URIRef

from kgservice import __version__
from kgservice.errors import InputError, KGError
from kgservice.extract.records import ArticleInput, Extraction
from kgservice.graph.iris import Minter
from kgservice.graph.mapping import ArticleGraph, article_triples
from kgservice.graph.namespaces import KG, PROV
from kgservice.resolve import EventIndex, Lookups, PersonIndex, StoreLookups, person_rows, resolve
from kgservice.resources import ontology_graph
from kgservice.settings import Settings
from kgservice.store import BULK_MAX_QUADS, GraphStore

if TYPE_CHECKING:
    from kgservice.extract.extractor import Extractor

T = TypeVar("T")
_CONTENT_HASH, _STARTED_AT = ox.NamedNode(str(KG.contentHash)), ox.NamedNode(str(PROV.startedAtTime))

#: A bulk ingest writes new article graphs together, this many at most at a time (and at most
#: :data:`kgservice.store.BULK_MAX_QUADS` quads): one atomic write each, several times faster
#: than one per article. A kill loses the articles not yet written; the next run does them.
BATCH_ARTICLES = 128


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
        """Extract and store articles in order, parsing them and writing their graphs in batches.

        Raises the first article's :class:`KGError`, after writing the articles before it.
        """
        extractions = self.extractor.extract_many(articles)
        for _, outcome in self.store_extractions((None, e) for e in extractions):
            if isinstance(outcome, KGError):
                raise outcome
            yield outcome

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

    def graph_for(self, extraction: Extraction, lookups: Lookups | None = None) -> ArticleGraph:
        """The article's named graph, with IRIs resolved against the store (or ``lookups``), and its content hash."""
        identities = resolve(extraction, self.store if lookups is None else lookups, self.minter)
        graph = article_triples(extraction, self.minter, identities)
        article = ox.NamedNode(str(graph.name))
        graph.triples.append(ox.Triple(article, _CONTENT_HASH, ox.Literal(self.content_hash(extraction.article))))
        return graph

    def store_extraction(self, extraction: Extraction, replace: bool = True) -> IngestResult:
        """Write the article's graph unless the same graph is already stored."""
        return self._write(extraction, self.graph_for(extraction), replace)

    def store_extractions(
        self, items: Iterable[tuple[T, Extraction]], replace: bool = True
    ) -> Iterator[tuple[T, IngestResult | KGError]]:
        """Write many articles' graphs, in order, new ones in batches; yield (tag, result or error) once written.

        The result is the same as :meth:`store_extraction` one article at a time: each
        article resolves against the store and the graphs waiting to be written (the batch
        is its :class:`kgservice.resolve.Lookups`). An article whose graph exists waits until
        the batch is written, then is replaced in place.
        """
        batch = WriteBatch[tuple[T, IngestResult]](self.store)
        for tag, extraction in items:
            name = self.minter.article(extraction.article.id)
            if str(name) in batch.names:  # the same article twice in one input
                yield from _written(batch)
            try:
                graph = self.graph_for(extraction, batch)
                if self.store.has_graph(name):
                    yield from _written(batch)
                    batch.store_changed()
                    yield tag, self._write(extraction, graph, replace)
                    continue
            except KGError as exc:
                yield from _written(batch)  # results stay in input order
                yield tag, exc
                continue
            batch.add((tag, self._result(extraction, graph, "added")), graph)
            if batch.full:
                yield from _written(batch)
        yield from _written(batch)

    def _write(self, extraction: Extraction, graph: ArticleGraph, replace: bool) -> IngestResult:
        name = graph.name
        existed = self.store.has_graph(name)
        outcome = "added"
        if existed and _same_content(self.store, graph):
            outcome = "unchanged"
        elif existed and not replace:
            raise InputError(f"{name} is already stored with other content (use --replace to replace it)")
        else:
            self.store.replace_graph_triples(str(name), graph.triples)
            outcome = "replaced" if existed else "added"
        return self._result(extraction, graph, outcome)

    @staticmethod
    def _result(extraction: Extraction, graph: ArticleGraph, outcome: str) -> IngestResult:
        return IngestResult(
            graph.name,
            outcome,
            len(graph),
            len(extraction.actors),
            len(extraction.events),
            len(extraction.assertions),
        )


class WriteBatch(Generic[T]):
    """New article graphs waiting to be written together (:meth:`GraphStore.add_graphs`), with an item each.

    It is also what the next article resolves against (:class:`kgservice.resolve.Lookups`):
    the store and the waiting graphs, as if those were written. The waiting graphs are
    indexed as they are added (:class:`kgservice.resolve.PersonIndex`,
    :class:`kgservice.resolve.EventIndex`). Persons of the store are looked up by name in a
    :class:`kgservice.resolve.PersonIndex` too, made on first use and kept up to date with
    every batch written (not on a remote store, which other processes may write to
    meanwhile: that one is asked each time). Both rely on an article graph being
    self-contained: it types and labels every actor and event it names.
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._persons: PersonIndex | None = None
        self._start()

    def _start(self) -> None:
        self.graphs: list[tuple[str, str]] = []
        self.items: list[T] = []
        self.names: set[str] = set()
        self.quads = 0
        self._new_persons: list[tuple[str, str]] = []
        self._waiting_persons = PersonIndex()
        self._waiting_events = EventIndex()

    def persons_named(self, name: str) -> set[str]:
        if self.store.shared:
            stored = StoreLookups(self.store).persons_named(name)
        else:
            if self._persons is None:
                self._persons = PersonIndex.of(self.store)
            stored = self._persons.persons_named(name)
        return stored | self._waiting_persons.persons_named(name)

    def store_changed(self) -> None:
        """Something else wrote to the store (an article replaced in place): index its persons afresh."""
        self._persons = None

    def events_like(self, cls: str, ordinal: int, actor: str) -> list[tuple[str, str | None]]:
        found = StoreLookups(self.store).events_like(cls, ordinal, actor)
        return found + self._waiting_events.events_like(cls, ordinal, actor)

    def add(self, item: T, graph: ArticleGraph) -> None:
        name = str(graph.name)
        persons = list(person_rows(graph.triples))
        self._waiting_persons.add_all(persons)
        self._waiting_events.add_graph(graph.triples)
        self._new_persons += persons
        self.graphs.append((name, graph.ntriples()))
        self.items.append(item)
        self.names.add(name)
        self.quads += len(graph)

    @property
    def full(self) -> bool:
        """Whether it holds :data:`BATCH_ARTICLES` graphs or :data:`BULK_MAX_QUADS` quads."""
        return len(self.graphs) >= BATCH_ARTICLES or self.quads >= BULK_MAX_QUADS

    def write(self) -> list[T]:
        """Write the waiting graphs, all or none (a :class:`KGError` if none), and return their items."""
        graphs, items, persons = self.graphs, self.items, self._new_persons
        if graphs:
            self._start()
            try:
                self.store.add_graphs(graphs)
            except BaseException:
                self.store_changed()  # some may have been written (not all or none on every store)
                raise
            if self._persons is not None:
                self._persons.add_all(persons)
        return items


def _written(batch: WriteBatch[tuple[T, IngestResult]]) -> Iterator[tuple[T, IngestResult | KGError]]:
    """Write the batch; its (tag, result) pairs, or (tag, error) for each if the write failed."""
    pending = list(batch.items)
    try:
        yield from batch.write()
    except KGError as exc:
        yield from ((tag, exc) for tag, _ in pending)


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


def _same_content(store: GraphStore, new: ArticleGraph) -> bool:
    """Whether the store holds the same graph, ignoring when the extraction ran."""
    stored = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads(graph=ox.NamedNode(str(new.name)))
        if q.predicate != _STARTED_AT
    }
    return stored == {t for t in new.triples if t.predicate != _STARTED_AT}
