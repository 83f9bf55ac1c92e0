"""The store on real SPARQL servers (``KG_STORE=sparql+http://…``): ingest, the timeline, the
endpoint, exports and ingest while serving, the same as on the embedded store.

Each test runs twice: on the ``oxigraph`` PyPI package's server, started here on 127.0.0.1
with ``--union-default-graph``, and on Debian's Virtuoso (``virtuoso-opensource``, which
``make test`` installs as root), started here on loopback ports with SPARQL Update granted
(``tests/backends.py``). ``make test`` also runs every integration test on both servers.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kgservice.cli import main
from kgservice.store import GraphStore
from kgservice.timeline import timeline_events
from tests.backends import SERVERS, oxigraph_server, require
from tests.live import serve
from tests.test_web import build_seed_store

TOKEN = "remote-token-31f"


def run(env: dict[str, str], *args: str):
    return CliRunner(mix_stderr=False).invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SPARQL server on a fresh directory, started for these tests; its store URL for ``KG_STORE``.

    Oxigraph server runs with ``--union-default-graph`` here (the whole suite runs on one
    without it: ``KG_TEST_BACKEND=oxigraph``, see ``tests/backends.py``).
    """
    require(request.param)
    options = ("--union-default-graph",) if request.param == "oxigraph" else ()
    with SERVERS[request.param](tmp_path_factory.mktemp(request.param), *options) as url:
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


def test_an_answer_the_server_breaks_off_is_a_store_error(tmp_path: Path) -> None:
    """Oxigraph server at its time limit ends an answer it has begun with an error text: that is
    the server failing (a 503), not a query that does not parse (a 400), nor a crash mid-loop."""
    from kgservice.errors import StoreError

    with oxigraph_server(tmp_path, limit=1) as url:
        store = GraphStore(url)
        triples = " ".join(f"<urn:kg:s{i}> <urn:kg:p> {i} ." for i in range(1000))
        store.update(f"INSERT DATA {{ GRAPH <urn:kg:g> {{ {triples} }} }}")
        with pytest.raises(StoreError, match="does not parse"):
            store.rows("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
