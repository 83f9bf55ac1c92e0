"""The store: an rdflib Dataset on embedded Oxigraph, one named graph per article.

This is the only module that knows which backend sits behind the Dataset. Every SPARQL
query is handed to Oxigraph's own engine (rdflib's engine is never used: it is orders of
magnitude slower), values are bound as RDF terms through SPARQL substitution, and an
article's graph is replaced or removed in a single transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from oxrdflib._converter import from_ox as _from_ox
from oxrdflib._converter import to_ox
from rdflib import XSD, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result
from rdflib.term import Node, Variable

from kgservice.errors import InputError, QuerySyntaxError, StoreError
from kgservice.graph.namespaces import bind_prefixes
from kgservice.sparqltext import declares_dataset

T = TypeVar("T")

ONTOLOGY_GRAPH = URIRef("https://w3id.org/kgservice/ns")

#: Quads per bulk load in :meth:`GraphStore.add_graphs`. Oxigraph's bulk loader writes what it
#: is given as one set of sorted files that RocksDB ingests in one atomic step, up to its own
#: batch of 1,000,000 quads; past that it makes several steps. Stay well below.
BULK_MAX_QUADS = 250_000


class ForkGate:
    """Reads in this process share the gate; forking a query worker takes it alone.

    A forked worker inherits the store's memory, locks included: a fork taken while
    another thread was inside Oxigraph (holding, say, a block-cache mutex) leaves that
    mutex locked forever in the child, whose next read then hangs. So a fork waits until
    no in-process read is running, and new reads wait for the fork (a few milliseconds).
    Re-entrant per thread, so a read inside a read never waits for a pending fork.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._forking = False
        self._depth = threading.local()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        depth = getattr(self._depth, "value", 0)
        if depth == 0:
            with self._cond:
                while self._forking:
                    self._cond.wait()
                self._readers += 1
        self._depth.value = depth + 1
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0:
                with self._cond:
                    self._readers -= 1
                    self._cond.notify_all()

    @contextlib.contextmanager
    def forking(self) -> Iterator[None]:
        with self._cond:
            while self._forking:
                self._cond.wait()
            self._forking = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._forking = False
                self._cond.notify_all()


class GraphStore:
    """A dataset of article graphs: on disk, queried by Oxigraph; or on a SPARQL server (:mod:`kgservice.remote`)."""

    def __init__(self, location: str | None, timeout: float = 60.0) -> None:
        """Open the store at ``location``: a directory, a ``sparql+http(s)://`` URL, or ``None`` for one in memory."""
        self.location = location or ":memory:"
        #: another process may write to the store (a remote server): nothing derived is cached
        self.shared = location is not None and is_remote(location)
        self.in_memory = location is None
        if location is None:
            self._inner = ox.Store()
            self.dataset = Dataset(store=OxigraphStore(store=self._inner), default_union=True)
        elif self.shared:
            from kgservice.remote import RemoteStore

            self._inner = cast(ox.Store, RemoteStore(location, timeout))
            self.dataset = Dataset(default_union=True)  # only for its prefixes; queries go to the server
        else:
            try:
                Path(location).mkdir(parents=True, exist_ok=True)
                self._inner = ox.Store(location)
            except OSError as exc:
                raise StoreError(_open_error(location, exc)) from exc
            self.dataset = Dataset(store=OxigraphStore(store=self._inner), default_union=True)
        self.generation = 0  # bumped by every write; query workers forked before a write are retired
        self._memo: dict[str, tuple[int, Any]] = {}
        self._write_lock = threading.RLock()
        self.gate = ForkGate()
        bind_prefixes(self.dataset)

    def close(self) -> None:
        """Flush to disk and release the store (a plain close leaves the next open slow)."""
        if getattr(self, "_inner", None) is None:
            return
        self._inner.flush()
        self.dataset.close()  # drops the rdflib store's reference to the Oxigraph store
        self._inner = None  # type: ignore[assignment]

    def flush(self) -> None:
        """Write what is buffered to disk: long runs of writes grow memory until a flush."""
        self._inner.flush()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        max_rows: int | None = None,
    ) -> Result:
        """Run a SPARQL query on Oxigraph's engine and return an rdflib ``Result``.

        The default graph is the union of all graphs, unless the request (``default_graphs``,
        ``named_graphs``) or the query (``FROM``, ``FROM NAMED``) names its own dataset.
        ``bindings`` substitute variables by RDF terms before evaluation (SEP-0007): the
        variable must be in the SELECT projection. ``max_rows`` stops reading a SELECT
        result after that many rows, so a huge result is never held in memory.
        """
        own_dataset = bool(default_graphs or named_graphs) or declares_dataset(sparql)
        options: dict[str, object] = {"use_default_graph_as_union": not own_dataset}
        if default_graphs:
            options["default_graph"] = [named_node(g, "default graph") for g in default_graphs]
        if named_graphs:
            options["named_graphs"] = [named_node(g, "named graph") for g in named_graphs]
        with self.gate.reading():
            return _to_rdflib(self._evaluate(sparql, options, bindings), max_rows)

    def _evaluate(self, sparql: str, options: dict[str, object], bindings: Mapping[str, Node] | None) -> object:
        """Oxigraph's answer, with ``bindings`` substituted; a parse error as :class:`QuerySyntaxError`."""
        if bindings:
            options["substitutions"] = {ox.Variable(k): _term(v) for k, v in bindings.items()}
        try:
            return self._inner.query(sparql, **options)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QuerySyntaxError(f"the query does not parse: {syntax_message(exc)}") from exc
        except OSError as exc:  # the disk, or a remote server that cannot be reached
            raise StoreError(f"the store could not be read: {exc}") from exc

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the next write to this store (its generation changes).

        For derived data read on every page (the articles, the timeline index); callers must
        not change what they get back.
        """
        if self.shared:
            return compute()
        generation = self.generation
        hit = self._memo.get(key)
        if hit is not None and hit[0] == generation:
            return cast(T, hit[1])
        value = compute()
        self._memo[key] = (generation, value)
        return value

    def rows(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[dict[str, str]]:
        """A SELECT's rows with every bound value as a plain string (an IRI's or a literal's text).

        The fast path for the service's own queries: no rdflib terms are built. The default
        graph is the union of all graphs.
        """
        with self.gate.reading():
            solutions = self._evaluate(sparql, {"use_default_graph_as_union": True}, bindings)
            if not isinstance(solutions, ox.QuerySolutions):
                raise QuerySyntaxError("rows() needs a SELECT query")
            names = [v.value for v in solutions.variables]
            return [
                {name: term.value for name, term in zip(names, solution, strict=False) if term is not None}  # type: ignore[union-attr]
                for solution in solutions
            ]

    def graph(self, name: URIRef) -> Graph:
        """A copy of one named graph."""
        graph = Graph(identifier=name)
        bind_prefixes(graph)
        with self.gate.reading():
            for quad in self._inner.quads_for_pattern(None, None, None, ox.NamedNode(str(name))):
                graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
        return graph

    def has_graph(self, name: URIRef) -> bool:
        """Whether a named graph with at least one triple exists."""
        with self.gate.reading():
            return self._inner.contains_named_graph(named_node(str(name), "graph"))

    def graph_names(self) -> list[URIRef]:
        """Every named graph, sorted."""
        with self.gate.reading():
            return sorted(URIRef(g.value) for g in self._inner.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        with self.gate.reading():
            return len(self._inner)

    def quads(
        self,
        subject: object = None,
        predicate: object = None,
        obj: object = None,
        graph: object = None,
    ) -> Iterator[ox.Quad]:
        """Oxigraph quads matching a pattern (``None`` matches anything), read from one snapshot.

        Oxigraph terms, not rdflib's: for streaming large answers (dumps) without converting
        every term. With only ``graph`` given (or nothing), quads come grouped by graph, then
        by subject; with only ``predicate``, by object, then subject.
        """
        with self.gate.reading():  # held while the caller iterates
            yield from cast(Iterator[ox.Quad], self._inner.quads_for_pattern(subject, predicate, obj, graph))  # type: ignore[arg-type]

    def dump_to(self, output: IO[bytes], rdf_format: ox.RdfFormat, graph: str | None = None, **options: Any) -> None:
        """Write the whole dataset (a dataset format) or one named graph with Oxigraph's own writer."""
        from_graph = ox.NamedNode(graph) if graph is not None else None
        with self.gate.reading():
            self._inner.dump(output, rdf_format, from_graph=from_graph, **options)

    # -- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self, bump: bool = True) -> Iterator[None]:
        """Hold the write lock (one write at a time; no fork of a query worker meanwhile).

        ``bump`` marks the store changed, so query workers forked earlier are not reused.
        """
        with self._write_lock:
            try:
                yield
            finally:
                if bump:
                    self.generation += 1

    def replace_graph(self, name: URIRef, graph: Graph) -> None:
        """Replace one named graph by ``graph`` in a single transaction."""
        self._replace(str(name), graph.serialize(format="nt"))

    def replace_graph_triples(self, name: str | None, triples: Iterable[ox.Triple]) -> int:
        """Replace one named graph (``None``: the default graph) by Oxigraph triples, in one transaction.

        For restoring dumps: no rdflib terms are built. Returns how many triples were written.
        """
        body = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        self._replace(name, body)
        return body.count("\n")

    def _replace(self, name: str | None, ntriples: str) -> None:
        """Write ``ntriples`` as graph ``name`` (``None``: the default graph), replacing it, in one transaction.

        A new graph (the usual case in an ingest) is a transactional load; an existing one is
        replaced by ``DROP`` then ``INSERT DATA`` as one update. Readers see the old graph or
        the new one.
        """
        graph = None if name is None else named_node(name, "graph")
        with self.writing():
            try:
                if graph is not None and not self.shared and not self._inner.contains_named_graph(graph):
                    self._inner.load(ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=graph)
                    return
                self._inner.update(_replace_update(graph, ntriples, self.shared))
            except OSError as exc:
                raise StoreError(f"the store could not be written: {exc}") from exc

    def add_graphs(self, graphs: Sequence[tuple[str, str]]) -> None:
        """Write named graphs, given as (name, N-Triples), that the store does not hold yet: all of them, or none.

        For bulk ingests. On the embedded store the graphs go in one Oxigraph bulk load: the
        quads are sorted into files and RocksDB ingests them in one atomic step, so readers
        and a crash see every graph or none. That is several times faster than a transaction
        per graph. Graphs of more than :data:`BULK_MAX_QUADS` quads in all go in several
        such steps, each with whole graphs. A graph that already exists is replaced as by
        :meth:`replace_graph`; on a remote store every graph is written that way. In memory,
        each graph is one transactional load (cheap there); not all-or-none.
        """
        with self.writing():
            fresh: list[tuple[ox.NamedNode, str, int]] = []
            for name, ntriples in graphs:
                node = named_node(name, "graph")
                if self.in_memory and not self._inner.contains_named_graph(node):
                    self._inner.load(ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=node)
                elif self.shared or self._inner.contains_named_graph(node):
                    self._replace(name, ntriples)
                else:
                    fresh.append((node, ntriples, ntriples.count("\n")))
            batch: list[str] = []
            size = 0
            for node, ntriples, quads in fresh:
                if batch and size + quads > BULK_MAX_QUADS:
                    self._bulk_load(batch)
                    batch, size = [], 0
                batch.append(_as_nquads(node, ntriples, quads))
                size += quads
            if batch:
                self._bulk_load(batch)

    def _bulk_load(self, nquads: list[str]) -> None:
        try:
            self._inner.bulk_load("".join(nquads).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        except OSError as exc:
            raise StoreError(f"the store could not be written: {exc}") from exc

    def delete_graph(self, name: URIRef) -> bool:
        """Remove exactly one named graph; return whether it existed."""
        with self.writing():
            if not self.has_graph(name):
                return False
            self._inner.remove_graph(named_node(str(name), "graph"))
            return True

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update in one transaction (all of it, or nothing)."""
        try:
            with self.writing():
                self._inner.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"the update does not parse: {syntax_message(exc)}") from exc
        except RuntimeError as exc:  # e.g. CREATE GRAPH of a graph that exists
            raise InputError(f"the update failed and changed nothing: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the update could not be written: {exc}") from exc

    def ensure_ontology(self, ontology: Graph) -> None:
        """Keep the ontology in a named graph of its own, updated when it changes."""
        if not isomorphic(self.graph(ONTOLOGY_GRAPH), ontology):
            self.replace_graph(ONTOLOGY_GRAPH, ontology)


def is_remote(location: str) -> bool:
    """Whether a store location is a SPARQL server's URL (``sparql+http://…``), not a directory."""
    return location.startswith(("sparql+http://", "sparql+https://"))


def _replace_update(graph: ox.NamedNode | None, ntriples: str, shared: bool) -> str:
    """``DROP`` then ``INSERT DATA`` of one graph (``None``: the default graph) as one update."""
    # a server may refuse blank nodes in INSERT DATA (Virtuoso does): a template with no WHERE takes them
    insert, where = ("INSERT", " WHERE {}") if shared else ("INSERT DATA", "")
    if graph is None:
        return f"DROP SILENT DEFAULT ;\n{insert} {{\n{ntriples}\n}}{where}"
    return f"DROP SILENT GRAPH {graph} ;\n{insert} {{ GRAPH {graph} {{\n{ntriples}\n}} }}{where}"


def _as_nquads(graph: ox.NamedNode, ntriples: str, lines: int) -> str:
    """N-Triples (one triple a line, as rdflib and Oxigraph write them) as N-Quads in ``graph``.

    Every line ends in `` .`` and a newline, which never occurs inside a term (a literal's
    newlines are escaped), so the graph name goes before each line's end.
    """
    quads = ntriples.replace(" .\n", f" {graph} .\n")
    if quads.count(f" {graph} .\n") != lines or (ntriples and not ntriples.endswith("\n")):
        raise ValueError(f"not one triple a line: the N-Triples of {graph}")
    return quads


def named_node(iri: str, what: str = "IRI") -> ox.NamedNode:
    """``iri`` as an Oxigraph IRI; :class:`InputError` (a 400) when it is not a valid IRI.

    Text from a request becomes an RDF term here, never part of a query's text: a value
    that does not parse as an IRI is refused whole.
    """
    try:
        return ox.NamedNode(iri)
    except (ValueError, TypeError) as exc:
        raise InputError(f"the {what} {iri!r} is not a valid IRI ({exc})") from None


def _term(node: Node) -> Any:
    """An rdflib term as Oxigraph's, for a substitution; an invalid IRI is an :class:`InputError`."""
    if isinstance(node, URIRef):
        return named_node(str(node))
    return to_ox(node)


def from_ox(term: object) -> Any:
    """An Oxigraph term as rdflib's, with ``xsd:string`` literals as plain literals (as rdflib writes them)."""
    node = _from_ox(term)  # type: ignore[arg-type]
    if isinstance(node, Literal) and node.datatype == XSD.string:
        return Literal(str(node))
    return node


def syntax_message(exc: SyntaxError, limit: int = 300) -> str:
    """Oxigraph's parse error, kept to its position and the start of what it expected."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open_error(location: str, exc: OSError) -> str:
    if "lock" in str(exc).lower():
        return (
            f"the store at {location} is in use by another process "
            "(is `kgservice serve` running? stop it, or ingest through its API)"
        )
    return f"cannot open the store at {location}: {exc}"


def _to_rdflib(raw: object, max_rows: int | None = None) -> Result:
    if isinstance(raw, ox.QueryBoolean):
        result = Result("ASK")
        result.askAnswer = bool(raw)
        return result
    if isinstance(raw, ox.QuerySolutions):
        result = Result("SELECT")
        variables = [Variable(v.value) for v in raw.variables]
        result.vars = variables
        result.bindings = [
            {var: from_ox(value) for var, value in zip(variables, solution, strict=False) if value is not None}  # type: ignore[misc]
            for solution in itertools.islice(raw, max_rows)
        ]
        return result
    result = Result("CONSTRUCT")
    graph = Graph()
    bind_prefixes(graph)
    graph += (from_ox(t) for t in raw)  # type: ignore[misc, attr-defined]
    result.graph = graph
    return result


def iter_quads(store: GraphStore) -> Iterator[tuple[Node, Node, Node, Node]]:
    """Every quad of the store as rdflib terms (for tests and small exports)."""
    for quad in store._inner.quads_for_pattern(None, None, None, None):
        yield from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object), from_ox(quad.graph_name)
