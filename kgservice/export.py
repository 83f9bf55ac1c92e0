"""Dumps of the store, streamed: six formats; the whole store, one graph, or a range of articles.

Nothing is built in memory. The dataset formats (TriG, N-Quads, JSON-LD) keep every graph's
name; the whole store in TriG or N-Quads is Oxigraph's own dump, read from one snapshot.
The triple formats (Turtle, N-Triples, RDF/XML) hold the union of the chosen graphs with
each triple once: for the whole store the quads are read in predicate–object–subject
order, where copies of a triple from several graphs come one after the other; for a set of
graphs a triple is written by the first graph (in the scope's order) that holds it.

Oxigraph's serialisers push bytes into a file; :func:`piped` runs one in a thread and hands
its writes to a generator, so a web response or a file reads the dump as it is written.
The JSON-LD dump is written by :mod:`kgservice.graph.jsonld` against the published context.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import pyoxigraph as ox
from rdflib import URIRef

from kgservice.errors import InputError, NotFound
from kgservice.graph.jsonld import instance_prefixes, jsonld_chunks
from kgservice.graph.namespaces import PREFIXES
from kgservice.resources import load_query
from kgservice.store import GraphStore

CHUNK = 64 * 1024  # bytes handed on at once
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # date.fromisoformat() alone also reads 20180910 and 2018-W37


@dataclass(frozen=True)
class DumpFormat:
    """One dump format: its name, file extension, media type and Oxigraph writer (``None``: our JSON-LD)."""

    key: str
    extension: str
    media_type: str
    rdf_format: ox.RdfFormat | None
    dataset: bool  # keeps graph names
    aliases: tuple[str, ...] = ()


FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat("trig", "trig", "application/trig", ox.RdfFormat.TRIG, True),
    DumpFormat("nquads", "nq", "application/n-quads", ox.RdfFormat.N_QUADS, True, ("nq",)),
    DumpFormat("turtle", "ttl", "text/turtle", ox.RdfFormat.TURTLE, False, ("ttl",)),
    DumpFormat("ntriples", "nt", "application/n-triples", ox.RdfFormat.N_TRIPLES, False, ("nt",)),
    DumpFormat("jsonld", "jsonld", "application/ld+json", None, True, ("json-ld",)),
    DumpFormat("rdfxml", "rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML, False, ("rdf", "xml")),
)
FORMAT_NAMES = tuple(f.key for f in FORMATS)


def dump_format(name: str) -> DumpFormat:
    """The format called ``name`` (or one of its aliases, or its media type); a clear error otherwise."""
    wanted = name.strip().lower()
    for fmt in FORMATS:
        if wanted in (fmt.key, fmt.media_type, *fmt.aliases):
            return fmt
    raise InputError(f"unknown format {name!r}; the formats are {', '.join(FORMAT_NAMES)}")


@dataclass(frozen=True)
class Scope:
    """What a dump holds: the whole store (``graphs is None``) or these named graphs, in this order."""

    label: str  # names the file: kgservice-<label>.<ext>
    graphs: tuple[str, ...] | None = None


def resolve_scope(
    store: GraphStore, base_uri: str, graph: str | None = None, date_from: str | None = None, date_to: str | None = None
) -> Scope:
    """The scope asked for: one graph (an IRI or an article id), a range of publication dates, or everything."""
    if graph and (date_from or date_to):
        raise InputError("give either a graph or a date range (from/to), not both")
    if graph:
        return graph_scope(store, base_uri, graph)
    if date_from or date_to:
        return date_scope(store, parse_day(date_from, "from"), parse_day(date_to, "to"))
    return Scope("all")


def graph_scope(store: GraphStore, base_uri: str, graph: str) -> Scope:
    """One named graph: a full IRI, or an article id (``000_ff2e2aa8e7c5ec47``) under ``base_uri``."""
    iri = graph.strip() if ":" in graph else instance_prefixes(base_uri)["article"] + graph.strip()
    try:
        node = ox.NamedNode(iri)
    except ValueError as exc:
        raise InputError(f"graph {graph!r} is not an IRI or an article id") from exc
    if not store.has_graph(URIRef(node.value)):
        raise NotFound(f"no graph {iri} in the store")
    return Scope(_safe(iri.rstrip("/").rsplit("/", 1)[-1]) or "graph", (iri,))


def date_scope(store: GraphStore, start: date | None, end: date | None) -> Scope:
    """The article graphs whose ``schema:datePublished`` falls from ``start`` to ``end`` (both included)."""
    if start and end and start > end:
        raise InputError(f"the range is empty: from {start.isoformat()} is after to {end.isoformat()}")
    low, high = start.isoformat() if start else "", end.isoformat() if end else "9999"
    rows = store.rows(load_query("articles-published").text)
    graphs = tuple(row["article"] for row in rows if low <= row["published"][:10] <= high)
    if start and end:
        return Scope(f"{low}_{high}", graphs)
    return Scope(f"from-{low}" if start else f"to-{high}", graphs)


def parse_day(value: str | None, name: str) -> date | None:
    """An ISO date written out (``2018-09-10``) given as parameter ``name``; ``None`` when empty."""
    if not value:
        return None
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InputError(f"{name} must be an ISO date (YYYY-MM-DD), not {value!r}")


def dump_filename(fmt: DumpFormat, scope: Scope, gzipped: bool = False) -> str:
    """``kgservice-<scope>.<ext>``, with ``.gz`` for a gzip file."""
    return f"kgservice-{scope.label}.{fmt.extension}" + (".gz" if gzipped else "")


def _safe(text: str) -> str:
    return _FILENAME_UNSAFE.sub("-", text).strip("-.")


# -- writing ---------------------------------------------------------------------------------


def dump_chunks(store: GraphStore, fmt: DumpFormat, scope: Scope, base_uri: str) -> Iterator[bytes]:
    """The dump, as chunks of about :data:`CHUNK` bytes, written while they are read."""
    if fmt.rdf_format is None:
        text = jsonld_chunks(_scope_quads(store, scope), base_uri)
        return coalesce(piece.encode("utf-8") for piece in text)
    prefixes = {**{p: str(ns) for p, ns in PREFIXES.items()}, **instance_prefixes(base_uri)}
    rdf_format = fmt.rdf_format
    return coalesce(piped(lambda out: _write(store, rdf_format, fmt.dataset, scope, out, prefixes)))


def _write(
    store: GraphStore, rdf_format: ox.RdfFormat, dataset: bool, scope: Scope, out: IO[bytes], prefixes: dict[str, str]
) -> None:
    """Serialise ``scope`` into ``out`` with Oxigraph's writer for ``rdf_format``."""
    if dataset and scope.graphs is None:
        store.dump_to(out, rdf_format, prefixes=prefixes)  # Oxigraph's own dump, from one snapshot
        return
    if not dataset and scope.graphs is not None and len(scope.graphs) == 1:
        store.dump_to(out, rdf_format, graph=scope.graphs[0], prefixes=prefixes)
        return
    source: Generator[ox.Quad, None, None] | Generator[ox.Triple, None, None]
    if dataset:
        source = _scope_quads(store, scope)
    elif scope.graphs is None:
        source = union_triples(store)
    else:
        source = first_holder_triples(store, scope.graphs)
    try:
        ox.serialize(source, out, rdf_format, prefixes=prefixes)
    finally:
        source.close()  # an Oxigraph iterator must be dropped by the thread that made it


def _scope_quads(store: GraphStore, scope: Scope) -> Generator[ox.Quad, None, None]:
    """The scope's quads, graph by graph (the whole store from one snapshot)."""
    if scope.graphs is None:
        yield from store.quads()
        return
    for name in scope.graphs:
        yield from store.quads(graph=ox.NamedNode(name))


def union_triples(store: GraphStore) -> Generator[ox.Triple, None, None]:
    """Every distinct triple of the store, whatever graphs hold it, in constant memory.

    Per predicate, Oxigraph returns a predicate's quads ordered by object, then subject, then
    graph, so copies of a triple are neighbours. Default-graph quads come apart from the
    named ones and are skipped when a named graph holds the triple too.
    """
    for row in store.rows("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        last: tuple[object, object] | None = None
        for quad in store.quads(predicate=ox.NamedNode(row["p"])):
            key = (quad.subject, quad.object)
            if key == last:
                continue
            last = key
            if isinstance(quad.graph_name, ox.DefaultGraph) and _in_named_graph(store, quad):
                continue
            yield quad.triple


def _in_named_graph(store: GraphStore, quad: ox.Quad) -> bool:
    return any(
        not isinstance(q.graph_name, ox.DefaultGraph) for q in store.quads(quad.subject, quad.predicate, quad.object)
    )


def first_holder_triples(store: GraphStore, graphs: Iterable[str]) -> Generator[ox.Triple, None, None]:
    """The distinct triples of ``graphs``: each written by the first of them that holds it."""
    rank = {name: i for i, name in enumerate(graphs)}
    for name, position in rank.items():
        for quad in store.quads(graph=ox.NamedNode(name)):
            holders = store.quads(quad.subject, quad.predicate, quad.object)
            if min(rank.get(getattr(q.graph_name, "value", ""), position) for q in holders) == position:
                yield quad.triple


# -- streaming helpers -------------------------------------------------------------------------


class _ReaderGone(Exception):
    """The reader of a pipe stopped reading (a client went away)."""


_END = object()


class _Pipe:
    """A write-only file whose writes a reader takes from a small queue (so the writer waits for it)."""

    def __init__(self, depth: int = 16) -> None:
        self.items: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.reader_gone = threading.Event()

    def write(self, data: bytes) -> int:
        self.put(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: every write is handed on."""

    def put(self, item: object) -> None:
        """Queue ``item``, waiting while the reader is behind; :class:`_ReaderGone` once it stopped."""
        while True:
            if self.reader_gone.is_set():
                raise _ReaderGone
            try:
                self.items.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def piped(writer: Callable[[IO[bytes]], None]) -> Generator[bytes, None, None]:
    """Run ``writer(file)`` in a thread and yield what it writes, as it writes it.

    The thread starts on the first read. An error in the writer is raised to the reader;
    when the reader stops early (the generator is closed), the writer's next write fails
    and the thread ends.
    """
    pipe = _Pipe()

    def run() -> None:
        outcome: object = _END
        try:
            writer(pipe)  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the reader, which raises it
            outcome = exc
        with contextlib.suppress(_ReaderGone):
            pipe.put(outcome)

    thread = threading.Thread(target=run, name="kgservice-dump", daemon=True)
    thread.start()
    try:
        while (item := pipe.items.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        pipe.reader_gone.set()
        thread.join(timeout=2)


def coalesce(chunks: Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Join small chunks into pieces of at least ``size`` bytes (the last one may be shorter)."""
    buffer: list[bytes] = []
    held = 0
    for chunk in chunks:
        buffer.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(buffer)
            buffer, held = [], 0
    if held:
        yield b"".join(buffer)


def gzipped(chunks: Iterable[bytes], level: int = 6) -> Iterator[bytes]:
    """The chunks compressed as one gzip stream, as they come."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    for chunk in chunks:
        packed = compressor.compress(chunk)
        if packed:
            yield packed
    yield compressor.flush()
