"""The stores the integration tests run on: the embedded store, or a SPARQL server started here.

``KG_TEST_BACKEND`` (or ``pytest --backend``) names one:

- ``embedded`` (the default): pyoxigraph's store in a temporary folder;
- ``oxigraph``: the ``oxigraph`` package's server, on 127.0.0.1 (kgservice asks it for the
  union default graph on each query, see ``kgservice/remote.py``);
- ``virtuoso``: Debian's Virtuoso 7.2 (``virtuoso-opensource``, which ``make test`` installs
  as root), on loopback ports with SPARQL Update granted and its own system graphs made
  private, so its endpoint shows only the graphs written to it.

A test gets its store from the session's :class:`Backend`: ``new_store(request)`` is a fresh,
empty store for as long as the fixture or test behind ``request`` lives, and
``copy_store(location, request)`` a fresh store holding the same quads. On a server backend a
store is a whole server: servers are started when no idle one is left, and emptied when they
are handed out again. ``make test`` runs the suite on the embedded store, then every test that
asks for a store (the ``backend`` fixture) on both servers (see ``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgservice.store import GraphStore
from tests.live import free_port, stop

BACKENDS = ("embedded", "oxigraph", "virtuoso")
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO, ISQL = "virtuoso-t", "isql-vt"
#: seconds a server spends on one query at most: Oxigraph server computes a query the tests
#: gave up on (a runaway stopped at KG_QUERY_TIMEOUT) until then; Virtuoso takes the limit
#: kgservice sends with each query, capped by this
SERVER_QUERY_LIMIT = 10
#: the process of each server started here, by its ``KG_STORE`` URL
PROCESSES: dict[str, subprocess.Popen] = {}
#: Virtuoso's own graphs, made private, by the server's ``KG_STORE`` URL
OWN_GRAPHS: dict[str, set[str]] = {}

VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = ., {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {dir}
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {limit}
"""
PRIVATE_GRAPHS = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"

# The servers' known differences from the embedded store, for @pytest.mark.fails_on(backend, reason=…)
VIRTUOSO_DROP = (
    "Virtuoso refuses DROP GRAPH (without SILENT) of a graph that INSERT wrote but CREATE GRAPH never "
    'made, with HTTP 500 "SPARUL_DROP() failed: graph … has not been explicitly created before" (a 503 here)'
)
VIRTUOSO_NOT_ATOMIC = (
    "Virtuoso applies the operations of one update request one by one: when one fails, those before "
    "it stay (so kgservice's replace of an article graph, DROP then INSERT in one request, is not "
    "atomic there)"
)
OXIGRAPH_NO_QUERY_LIMIT = (
    "Oxigraph server takes no time limit with a query (Virtuoso's `timeout` parameter, which kgservice "
    "sends): it computes a query the service gave up on until its own --timeout-s (10 s here)"
)
VIRTUOSO_NO_TRIPLE_TERMS = (
    "Virtuoso's SPARQL has no SPARQL 1.2 triple terms: it refuses TRIPLE(…) as a syntax error (SP030)"
)
FAILED_UPDATE_IS_500 = (
    "the server answers an update that fails on what it names (DROP GRAPH of a graph that does not exist) "
    "with HTTP 500, as it answers its own faults; kgservice passes it on as a 503 with the server's "
    "message, where the embedded store answers 400"
)


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    """Wait until ``process`` listens on ``port`` of 127.0.0.1; fail if it exits first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, f"{what} exited"
            time.sleep(0.2)
    raise AssertionError(f"{what} did not listen on {port}")


@contextlib.contextmanager
def oxigraph_server(folder: Path, *options: str, limit: int = SERVER_QUERY_LIMIT) -> Iterator[str]:
    """``oxigraph serve`` on a fresh folder, with ``options`` (``--union-default-graph``) and a query
    time limit of ``limit`` seconds; its ``KG_STORE`` URL."""
    port = free_port()
    command = [str(OXIGRAPH), "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout-s", str(limit), *options]
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, "oxigraph serve")
            url = f"sparql+http://127.0.0.1:{port}/query"
            PROCESSES[url] = process
            yield url
        finally:
            stop(process)


@contextlib.contextmanager
def virtuoso_server(folder: Path) -> Iterator[str]:
    """Debian's Virtuoso on loopback ports, with SPARQL Update granted (a test instance only).

    Virtuoso keeps its own graphs (``virtrdf#``, about 2,500 quads of configuration, and two
    small ones) in the quad store that its endpoint shows; here they are made private, so
    the endpoint's dataset is what kgservice writes (README: a remote SPARQL store).
    """
    isql, http = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, isql=isql, http=http, limit=SERVER_QUERY_LIMIT))
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(http, process, "virtuoso-t")
            url = f"sparql+http://127.0.0.1:{http}/sparql"
            own = [str(g) for g in GraphStore(url).graph_names()]
            isql_run(isql, virtuoso_setup(own))
            assert not GraphStore(url).graph_names(), "Virtuoso's own graphs are still visible"
            PROCESSES[url], OWN_GRAPHS[url] = process, set(own)
            yield url
        finally:
            stop(process)


def virtuoso_setup(own_graphs: list[str]) -> list[str]:
    """The SQL that grants SPARQL Update and hides Virtuoso's own graphs from its endpoint."""
    statements = ['GRANT SPARQL_UPDATE TO "SPARQL"', f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE_GRAPHS}', 1)"]
    statements += [f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE_GRAPHS}', '{graph}')" for graph in own_graphs]
    statements += [
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1)",
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 15, 0)",
    ]
    return statements


def isql_run(port: int, statements: list[str]) -> None:
    """Run SQL statements as ``dba`` with Virtuoso's ``isql``; fail on any error (isql exits 0 anyway)."""
    script = "".join(f"{statement};\n" for statement in statements)
    done = subprocess.run(
        [ISQL, f"127.0.0.1:{port}", "dba", "dba"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "*** Error" not in output, output


SERVERS: dict[str, Callable[..., contextlib.AbstractContextManager[str]]] = {
    "oxigraph": oxigraph_server,
    "virtuoso": virtuoso_server,
}


def require(name: str) -> None:
    """Skip (fail under CI) when the server a backend needs is not installed."""
    if name == "virtuoso" and not shutil.which(VIRTUOSO):
        message = "virtuoso-t is missing (Debian's virtuoso-opensource; `make test` installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if name == "oxigraph":
        assert OXIGRAPH.exists(), "the oxigraph package (test extras) ships the server"


class Backend:
    """The stores of one test session: folders (embedded), or servers handed out one store each."""

    def __init__(self, name: str, factory: pytest.TempPathFactory) -> None:
        assert name in BACKENDS, name
        self.name = name
        self.remote = name != "embedded"
        self._factory = factory
        self._idle: list[str] = []
        self._servers = contextlib.ExitStack()

    def new_store(self, request: pytest.FixtureRequest) -> str:
        """A fresh, empty store (its ``KG_STORE`` value), kept for as long as ``request``'s fixture or test."""
        if not self.remote:
            return str(self._factory.mktemp("kg") / "kg")
        url = self._idle.pop() if self._idle else self._start()
        request.addfinalizer(lambda: self._idle.append(url))
        empty(url, self.name)
        return url

    def copy_store(self, source: str, request: pytest.FixtureRequest) -> str:
        """A fresh store holding the quads of the (closed) store at ``source``."""
        target = self.new_store(request)
        if self.remote:
            copy_quads(source, target)
        else:
            shutil.copytree(source, target)
        return target

    def unreachable(self, folder: Path) -> str:
        """A store location that cannot be opened: a folder under a file, or a port nobody listens on."""
        if self.remote:
            return f"sparql+http://127.0.0.1:{free_port()}/query"
        blocker = folder / "not-a-dir"
        blocker.write_text("x")
        return str(blocker / "kg")

    def close(self) -> None:
        """Stop every server started for this session."""
        self._servers.close()

    def _start(self) -> str:
        return self._servers.enter_context(SERVERS[self.name](self._factory.mktemp(self.name)))


def server_cpu_seconds(url: str, window: float) -> float:
    """The CPU time the server at ``url`` spends in the next ``window`` seconds (Linux ``/proc``)."""

    def used() -> float:
        fields = Path(f"/proc/{PROCESSES[url].pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    before = used()
    time.sleep(window)
    return used() - before


def empty(url: str, name: str) -> None:
    """Drop every graph on the server at ``url``; check that nothing is left."""
    store = GraphStore(url)
    if name == "oxigraph":
        store.update("DROP ALL")
    else:
        # Virtuoso's DROP ALL leaves the named graphs be; SELECT DISTINCT ?g also lists the graphs
        # CREATE GRAPH made and left empty (a second CREATE of one fails), and its own graphs
        listed = store.rows("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        for graph in {row["g"] for row in listed} - OWN_GRAPHS[url]:
            store.update(f"DROP SILENT GRAPH <{graph}>")
    assert not store.rows("SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } LIMIT 1"), url


def copy_quads(source: str, target: str) -> None:
    """Write every named graph of the store at ``source`` into the one at ``target``, graph by graph."""
    graphs: dict[str, list[ox.Triple]] = {}
    with GraphStore(source) as store:
        for quad in store.quads():
            assert isinstance(quad.graph_name, ox.NamedNode), quad
            graphs.setdefault(quad.graph_name.value, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    copy = GraphStore(target)
    for graph, triples in graphs.items():
        copy.replace_graph_triples(graph, triples)
