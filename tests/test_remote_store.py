"""The store on real SPARQL servers (``KG_STORE=sparql+http://…``): ingest, the timeline, the
endpoint, exports and ingest while serving, the same as on the embedded store.

Each test runs twice: on the ``oxigraph`` PyPI package's server, started here on 127.0.0.1
with ``--union-default-graph`` (the contract of the remote backend: see
``kgservice/remote.py``), and on Debian's Virtuoso (``virtuoso-opensource``, which ``make
test`` installs as root), started here on loopback ports with SPARQL Update granted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kgservice.cli import main
from kgservice.store import GraphStore
from kgservice.timeline import timeline_events
from tests.live import free_port, serve, stop
from tests.test_web import build_seed_store

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO, ISQL = "virtuoso-t", "isql-vt"
TOKEN = "remote-token-31f"


def run(env: dict[str, str], *args: str):
    return CliRunner(mix_stderr=False).invoke(main, list(args), env=env, catch_exceptions=False)


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
MaxQueryExecutionTime = 60
"""


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
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
def oxigraph_server(folder: Path) -> Iterator[str]:
    port = free_port()
    command = [str(OXIGRAPH), "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"]
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen([*command, "--union-default-graph"], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, "oxigraph serve")
            yield f"sparql+http://127.0.0.1:{port}/query"
        finally:
            stop(process)


@contextlib.contextmanager
def virtuoso_server(folder: Path) -> Iterator[str]:
    """Debian's Virtuoso on loopback ports, with SPARQL Update granted (a test instance only)."""
    isql, http = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, isql=isql, http=http))
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(http, process, "virtuoso-t")
            grant = 'GRANT SPARQL_UPDATE TO "SPARQL";'
            subprocess.run([ISQL, f"127.0.0.1:{isql}", "dba", "dba", f"exec={grant}"], check=True, capture_output=True)
            yield f"sparql+http://127.0.0.1:{http}/sparql"
        finally:
            stop(process)


SERVERS = {"oxigraph": oxigraph_server, "virtuoso": virtuoso_server}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SPARQL server on a fresh directory, started for these tests; its store URL for ``KG_STORE``."""
    if request.param == "virtuoso" and not shutil.which(VIRTUOSO):
        if os.environ.get("CI"):
            pytest.fail("virtuoso-t is missing: `make test` installs Debian's virtuoso-opensource as root")
        pytest.skip("virtuoso-t is missing (Debian's virtuoso-opensource)")
    with SERVERS[request.param](tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture(scope="module")
def ingested(server: str, seeds: Path) -> dict[str, str]:
    env = {"KG_STORE": server}
    first = run(env, "ingest", str(seeds))
    assert first.exit_code == 0, first.stderr
    assert "2 added" in first.stdout
    return env


def key(events: list[dict]) -> list[tuple]:
    return [(e["id"], e["label"], e["status"], e["earliest"], e["latest"], len(e["participants"])) for e in events]


def test_ingest_is_idempotent_on_the_server(ingested: dict[str, str], seeds: Path) -> None:
    again = run(ingested, "ingest", str(seeds))
    assert again.exit_code == 0 and ("2 unchanged" in again.stdout or "2 skipped" in again.stdout)


def test_the_timeline_is_the_same_as_on_the_embedded_store(ingested: dict[str, str], tmp_path: Path) -> None:
    local = tmp_path / "kg"
    build_seed_store(local)
    with GraphStore(str(local)) as embedded:
        expected = key(timeline_events(embedded))
    remote = GraphStore(ingested["KG_STORE"])
    assert key(timeline_events(remote)) == expected
    assert key(timeline_events(remote, actor="John Bolton")) and len(expected) > 5


def test_the_service_runs_on_the_server_and_sees_ingests_made_meanwhile(
    ingested: dict[str, str], tmp_path: Path
) -> None:
    with serve(
        Path(ingested["KG_STORE"]), tmp_path / "gunicorn.log", KG_STORE=ingested["KG_STORE"], KG_API_TOKEN=TOKEN
    ) as base:

        def get(path: str, accept: str = "application/json") -> bytes:
            with urllib.request.urlopen(urllib.request.Request(base + path, headers={"Accept": accept})) as response:
                return response.read()

        before = json.loads(get("/timeline.json"))["events"]
        assert b"Second Kim" in get("/timeline", "text/html")
        query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s a <https://schema.org/OpinionNewsArticle> } }"
        answer = json.loads(
            get("/sparql?" + urllib.parse.urlencode({"query": query}), "application/sparql-results+json")
        )
        assert answer["results"]["bindings"][0]["n"]["value"] == "2"
        assert b"@prefix" in get("/id/actor/trump", "text/turtle") or b"<http" in get("/id/actor/trump", "text/turtle")
        trig = get("/export?format=trig", "application/trig")
        assert len(list(ox.parse(trig, format=ox.RdfFormat.TRIG))) > 1000

        # a second process ingests while the service answers: no lock, no restart
        story = tmp_path / "story.txt"
        story.write_text(
            "Leaders meet in Hanoi\n\nThe two leaders will meet in Hanoi on Feb. 27, 2019, officials said on "
            "Tuesday. The White House said the summit would focus on denuclearization.\n"
        )
        added = run({"KG_STORE": ingested["KG_STORE"]}, "ingest", str(story), "--published", "2019-02-05")
        assert added.exit_code == 0 and "1 added" in added.stdout
        after = json.loads(get("/timeline.json"))["events"]
        assert len(after) > len(before)
        assert any((e["earliest"] or "") == "2019-02-27" for e in after)


def test_a_syntax_error_from_the_server_is_a_400(ingested: dict[str, str]) -> None:
    from kgservice.errors import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="refused"):
        GraphStore(ingested["KG_STORE"]).rows("SELECT WHERE {")
