"""The query guard: SPARQL queries run in worker processes that can be killed.

Oxigraph cannot interrupt a query: it ignores signals, and a thread cannot be stopped. So
``/sparql`` never evaluates a query in the serving process. The process that owns the
store forks **query workers**; a forked worker shares the open store (copy-on-write: no
second open, no lock) and answers queries sent to it over a pipe. The parent waits for
the answer until the time limit; past it, the worker is killed with ``SIGKILL`` and the
caller gets :class:`QueryTimeout`. The parent's threads, and every other worker, go on
serving. A worker also dies alone if a query exhausts its memory.

A worker sees the store as it was when it was forked. Every write in the owning process
goes through :meth:`GraphStore.writing`, which bumps the store's generation; a worker of
an older generation is retired instead of reused, so a query never reads a stale store.
Between writes (most of the time) workers are reused and a query costs one pipe round
trip; right after a write, the next query pays for one fork (a few milliseconds).

Forking a threaded process can copy a lock that another thread held; a worker that does
not report ready within :data:`HANDSHAKE` seconds is killed and forked again.

Workers also serialise the answer (JSON, XML, CSV, TSV results; Turtle, N-Triples,
JSON-LD, RDF/XML graphs), cut it at the row limit and say whether it was cut
(:mod:`kgservice.results`).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import fcntl
import os
import pickle
import select
import signal
import stat
import struct
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox

from kgservice import results
from kgservice.errors import KGError, NotAcceptable, QuerySyntaxError, StoreError
from kgservice.remote import RemoteStore
from kgservice.sparqltext import declares_dataset
from kgservice.store import named_node, syntax_message

HANDSHAKE = 10.0  # seconds a new worker has to report ready (generous: the machine may be busy)
QUEUE_LIMIT = 30.0  # seconds a query may wait for a free worker before the answer is 503 "busy"
MAX_SERVED = 1000  # queries a worker answers before it is replaced (bounds its private memory)
ANSWER_PIPE_BYTES = 1 << 20  # a larger pipe: an answer of up to 1 MiB goes over in one write and one wake-up
_HEADER = struct.Struct("!Q")


class QueryTimeout(KGError):
    """A query ran past the time limit and was stopped."""

    status = 503


@dataclass(frozen=True)
class QueryRequest:
    """One query with its dataset, the result format for each kind and the row limit.

    ``bindings_format`` serves SELECT/ASK (``json``, ``xml``, ``csv``, ``tsv``) and
    ``graph_format`` CONSTRUCT/DESCRIBE (``ttl``, ``nt``, ``jsonld``, ``rdf``): the query's
    form is known for sure only once Oxigraph has parsed it. ``None`` means the client
    accepts no format of that kind (406 if the query turns out to be of it).
    """

    query: str
    bindings_format: str | None = "json"
    graph_format: str | None = "ttl"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None
    max_rows: int = 10000
    prefixes: dict[str, str] = field(default_factory=dict)
    #: whether the query has FROM / FROM NAMED, when the caller already knows (spares the worker lexing it again)
    declares_dataset: bool | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised answer: the query form, the format, the bytes and whether rows (or triples) were cut."""

    form: str
    format: str
    body: bytes
    truncated: bool
    seconds: float = 0.0  # time the worker spent evaluating and serialising


def execute(store: ox.Store, request: QueryRequest) -> QueryAnswer:
    """Run one query on ``store`` and serialise the answer (what a worker does; usable directly)."""
    declared = declares_dataset(request.query) if request.declares_dataset is None else request.declares_dataset
    own_dataset = bool(request.default_graphs or request.named_graphs) or declared
    options: dict[str, object] = {"use_default_graph_as_union": not own_dataset, "base_iri": request.base_iri}
    if request.default_graphs:
        options["default_graph"] = [named_node(g, "default-graph-uri") for g in request.default_graphs]
    if request.named_graphs:
        options["named_graphs"] = [named_node(g, "named-graph-uri") for g in request.named_graphs]
    try:
        result = store.query(request.query, **options)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise QuerySyntaxError(f"the query does not parse: {syntax_message(exc)}") from exc
    if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
        fmt = request.bindings_format
        if fmt is None:
            raise NotAcceptable("a SELECT or ASK answer is available as JSON, XML, CSV or TSV; Accept names none")
        if isinstance(result, ox.QueryBoolean):
            return QueryAnswer("ASK", fmt, results.boolean(bool(result), fmt), False)
        body, truncated = results.solutions(result, fmt, request.max_rows)
        return QueryAnswer("SELECT", fmt, body, truncated)
    fmt = request.graph_format
    if fmt is None:
        raise NotAcceptable("a CONSTRUCT or DESCRIBE answer is available as Turtle, N-Triples, JSON-LD or RDF/XML")
    body, truncated = results.graph(result, fmt, request.max_rows, request.prefixes)
    return QueryAnswer("CONSTRUCT", fmt, body, truncated)


# -- worker processes ------------------------------------------------------------------


def _send(fd: int, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float | None = None) -> object:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exactly(fd, size, deadline))


@dataclass(eq=False)
class _Worker:
    pid: int
    requests: int  # the parent writes requests here
    answers: int  # and reads answers here
    generation: int
    served: int = 0

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        for fd in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)


class QueryGuard:
    """A pool of killable query workers forked from the process that owns ``store``.

    ``store`` is a :class:`kgservice.store.GraphStore`; ``timeout`` is the time limit of one
    query in seconds; at most ``workers`` queries run at once (others wait, within their
    own time limit, for a free worker).
    """

    def __init__(self, store: object, timeout: float, workers: int = 4) -> None:
        self.store = store
        self.timeout = timeout
        self.size = max(1, workers)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._busy = 0
        self._cond = threading.Condition()
        self._closed = False
        # Every fork happens on this one long-lived thread: a worker's parent-death signal
        # fires when the thread that forked it ends, and request threads come and go.
        self._forker = ThreadPoolExecutor(1, thread_name_prefix="kgservice-query-forker")

    def run(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` in a worker, or raise :class:`QueryTimeout` when it takes too long."""
        worker = self._acquire(time.monotonic() + max(QUEUE_LIMIT, self.timeout))
        deadline = time.monotonic() + self.timeout  # the time limit counts from when the query starts
        try:
            _send(worker.requests, request)
            reply = _receive(worker.answers, deadline)
        except TimeoutError:
            self._discard(worker)
            raise QueryTimeout(
                f"the query was stopped after {self.timeout:g} s, the time limit (KG_QUERY_TIMEOUT); "
                "narrow it down (a LIMIT, more specific patterns) or ask the operator for a longer limit"
            ) from None
        except (EOFError, OSError) as exc:
            self._discard(worker)
            raise StoreError("the query process died (out of memory?); the query was not answered") from exc
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        if isinstance(reply, KGError):
            raise reply
        assert isinstance(reply, QueryAnswer)
        return reply

    def close(self) -> None:
        """Kill every worker (the store owner is closing)."""
        with self._cond:
            self._closed = True
            workers, self._idle = list(self._all), []
            self._all.clear()
        for worker in workers:
            worker.kill()
        self._forker.shutdown(wait=False)

    def state(self) -> dict[str, int | float]:
        """How the pool stands: its size, the queries running now, idle workers, the time limit."""
        with self._cond:
            return {"limit": self.size, "busy": self._busy, "idle": len(self._idle), "timeout_s": self.timeout}

    # -- pool bookkeeping ------------------------------------------------------------------

    @property
    def _generation(self) -> int:
        return int(getattr(self.store, "generation", 0))

    def _acquire(self, deadline: float) -> _Worker:
        """An idle worker of the current generation, or a new one when fewer than ``size`` are busy."""
        stale: list[_Worker] = []
        try:
            worker = self._reserve(deadline, stale)
        finally:
            for old in stale:  # outside the lock: killing waits for the process
                old.kill()
        if worker is not None:
            return worker
        try:
            worker = self._spawn()
        except BaseException:
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._all.add(worker)
        return worker

    def _reserve(self, deadline: float, stale: list[_Worker]) -> _Worker | None:
        """Take an idle worker (None: a slot to fork one), retiring idle workers of older generations."""
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError("the store is closing")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.generation == self._generation:
                        self._busy += 1
                        return worker
                    stale.append(worker)
                    self._all.discard(worker)
                if self._busy < self.size:
                    self._busy += 1
                    return None
                wait = deadline - time.monotonic()
                if wait <= 0 or not self._cond.wait(wait):
                    raise QueryTimeout(
                        f"every query worker stayed busy for {max(QUEUE_LIMIT, self.timeout):g} s; try again later"
                    )

    def _release(self, worker: _Worker) -> None:
        worker.served += 1
        retire = worker.served >= MAX_SERVED or worker.generation != self._generation
        with self._cond:
            self._busy -= 1
            if retire or self._closed:
                self._all.discard(worker)
            else:
                self._idle.append(worker)
            self._cond.notify()
        if retire:
            worker.kill()

    def _discard(self, worker: _Worker) -> None:
        with self._cond:
            self._busy -= 1
            self._all.discard(worker)
            self._cond.notify()
        worker.kill()

    def _spawn(self) -> _Worker:
        """Fork a worker and wait for it to report ready (twice, if the first hangs)."""
        last: Exception | None = None
        for _ in range(2):
            worker = self._forker.submit(self._fork).result()
            try:
                if _receive(worker.answers, time.monotonic() + HANDSHAKE) == "ready":
                    return worker
            except (TimeoutError, EOFError, OSError) as exc:
                last = exc
            worker.kill()
        raise StoreError(f"could not start a query worker: {last!r}")

    def _fork(self) -> _Worker:
        request_r, request_w = os.pipe()
        answer_r, answer_w = os.pipe()
        with contextlib.suppress(OSError, AttributeError):  # Linux only, and capped by fs.pipe-max-size
            fcntl.fcntl(answer_w, fcntl.F_SETPIPE_SZ, ANSWER_PIPE_BYTES)
        inner = self.store._inner  # type: ignore[attr-defined]
        with self._cond:
            others = [fd for w in self._all for fd in (w.requests, w.answers)]
        # no write and no read is in progress in this process while it forks (see ForkGate)
        with self.store.writing(bump=False), self.store.gate.forking(), warnings.catch_warnings():  # type: ignore[attr-defined]
            warnings.simplefilter("ignore", DeprecationWarning)  # "fork() in a multi-threaded process"
            generation = self._generation
            pid = os.fork()
        if pid == 0:  # the worker
            try:
                os.close(request_w)
                os.close(answer_r)
                _become_worker(keep={request_r, answer_w}, close=others)
                if isinstance(inner, RemoteStore):  # the server stops a query this worker is killed for
                    inner.timeout = min(inner.timeout, self.timeout)
                _serve(inner, request_r, answer_w)
            finally:
                os._exit(0)
        os.close(request_r)
        os.close(answer_w)
        return _Worker(pid, request_w, answer_r, generation)


def _become_worker(keep: set[int], close: list[int]) -> None:
    """Shed what the worker inherited and must not hold: signal handlers, sockets, other workers' pipes."""
    for signum in (signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C in a terminal reaches the whole group; the parent decides
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent (its forking thread)
    for fd in close:
        with contextlib.suppress(OSError):
            os.close(fd)
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        fd = int(name)
        if fd in keep:
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.fstat(fd).st_mode):  # client connections and the listening socket
                os.close(fd)


def _receive_while_parent_lives(fd: int, parent: int) -> object:
    """The next request; EOFError when the pipe closes or the parent is gone (orphans exit)."""
    while not select.select([fd], [], [], 5.0)[0]:
        if os.getppid() != parent:
            raise EOFError
    return _receive(fd)


def _serve(store: ox.Store, requests: int, answers: int) -> None:
    """The worker's loop: prove the store is readable, then answer requests until the pipe closes."""
    parent = os.getppid()
    store.query("ASK { ?s ?p ?o }")  # hangs here, and is replaced, if fork copied a held lock
    _send(answers, "ready")
    while True:
        try:
            request = _receive_while_parent_lives(requests, parent)
        except EOFError:
            return
        started = time.perf_counter()
        try:
            reply: object = execute(store, request)  # type: ignore[arg-type]
            reply = dataclasses.replace(reply, seconds=time.perf_counter() - started)  # type: ignore[type-var]
        except KGError as exc:
            reply = exc
        except OSError as exc:
            reply = StoreError(f"the store could not be read: {exc}")
        except Exception as exc:  # report, never die silently: the parent turns this into an error page
            reply = KGError(f"the query failed: {exc}")
        _send(answers, reply)
