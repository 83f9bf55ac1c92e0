"""The query guard: time limit, row limit, worker generations, and the endpoint's other guards."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.query import Result

from kgservice.errors import QuerySyntaxError, StoreError
from kgservice.guard import QueryGuard, QueryRequest, QueryTimeout
from kgservice.store import GraphStore
from tests.backends import FAILED_UPDATE_IS_500, OXIGRAPH_NO_QUERY_LIMIT, VIRTUOSO_DROP, Backend, server_cpu_seconds
from tests.conftest import running_app
from tests.live import serve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import build_store, triples_for

# rdflib's own JSON-LD parser builds a ConjunctiveGraph internally (rdflib 7.x); not our code.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SRJ = "application/sparql-results+json"
TOKEN = "test-token-4f1c"


@pytest.fixture()
def store(backend: Backend, seed_store: str, request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """A private copy of the seed store (tests here write to it)."""
    opened = GraphStore(backend.copy_store(seed_store, request))
    yield opened
    opened.close()


def test_a_runaway_query_is_stopped_and_the_next_one_runs(store: GraphStore) -> None:
    guard = QueryGuard(store, timeout=1.0, workers=2)
    try:
        start = time.monotonic()
        with pytest.raises(QueryTimeout, match="time limit"):
            guard.run(QueryRequest(RUNAWAY))
        assert time.monotonic() - start < 2.0
        answer = guard.run(QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        assert int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"]) == len(store)
    finally:
        guard.close()


@pytest.mark.fails_on("oxigraph", reason=OXIGRAPH_NO_QUERY_LIMIT)
def test_a_query_stopped_at_the_time_limit_stops_on_the_server_too(backend: Backend, store: GraphStore) -> None:
    if not backend.remote:
        pytest.skip("on the embedded store the query ran in the killed worker (the test above)")
    guard = QueryGuard(store, timeout=1.0, workers=1)
    try:
        with pytest.raises(QueryTimeout, match="time limit"):
            guard.run(QueryRequest(RUNAWAY))
        stopped = time.monotonic()
        while server_cpu_seconds(store.location, window=1.0) > 0.2:  # it checks its clock now and then
            assert time.monotonic() - stopped < 5.0, "the server is still computing the query"
    finally:
        guard.close()


@pytest.mark.fails_on("oxigraph", reason=OXIGRAPH_NO_QUERY_LIMIT)
def test_a_server_answer_cut_at_the_time_limit_is_an_error(backend: Backend, store: GraphStore) -> None:
    if not backend.remote:
        pytest.skip("the embedded store has no per-query time limit of its own: the guard kills its workers")
    start = time.monotonic()
    with pytest.raises(StoreError, match="time limit"):  # a partial count must not pass for the answer
        GraphStore(store.location, timeout=1.0).rows(RUNAWAY)
    assert time.monotonic() - start < 4.0


def test_a_worker_never_answers_from_before_a_write(store: GraphStore) -> None:
    guard = QueryGuard(store, timeout=10.0, workers=1)
    ask = QueryRequest("ASK { <urn:kg:test> ?p ?o }")
    try:
        assert json.loads(guard.run(ask).body)["boolean"] is False  # a worker now sits idle
        store.update("INSERT DATA { GRAPH <urn:kg:g> { <urn:kg:test> <urn:kg:p> 1 } }")
        assert json.loads(guard.run(ask).body)["boolean"] is True
        store.delete_graph(URIRef("urn:kg:g"))
        assert json.loads(guard.run(ask).body)["boolean"] is False
    finally:
        guard.close()


def test_row_limit_cuts_and_says_so(store: GraphStore) -> None:
    guard = QueryGuard(store, timeout=10.0)
    try:
        rows = guard.run(QueryRequest("SELECT ?s WHERE { ?s ?p ?o } LIMIT 7", max_rows=5))
        assert rows.truncated
        assert len(json.loads(rows.body)["results"]["bindings"]) == 5
        exact = guard.run(QueryRequest("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5", max_rows=5))
        assert not exact.truncated
        assert len(json.loads(exact.body)["results"]["bindings"]) == 5
        graph = guard.run(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", graph_format="nt", max_rows=3))
        assert graph.truncated and len(Graph().parse(data=graph.body.decode(), format="nt")) == 3
    finally:
        guard.close()


def test_every_result_format_parses(store: GraphStore) -> None:
    guard = QueryGuard(store, timeout=10.0)
    select = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 20"
    try:
        for fmt in ("json", "xml"):
            body = guard.run(QueryRequest(select, bindings_format=fmt)).body
            assert len(Result.parse(io.BytesIO(body), format=fmt).bindings) == 20
        csv_lines = guard.run(QueryRequest(select, bindings_format="csv")).body.decode().split("\r\n")
        assert csv_lines[0] == "s,label" and len([line for line in csv_lines if line]) == 21
        tsv_lines = guard.run(QueryRequest(select, bindings_format="tsv")).body.decode().splitlines()
        assert tsv_lines[0] == "?s\t?label" and tsv_lines[1].startswith("<http")
        # DISTINCT: the union default graph repeats a triple once per graph holding it, and which
        # 50 rows come first is up to the engine (on Virtuoso they hold 40 distinct triples)
        construct = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 50 }"
        for fmt, rdflib_name in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")):
            body = guard.run(QueryRequest(construct, graph_format=fmt)).body
            assert len(Graph().parse(data=body, format=rdflib_name)) == 50, fmt
        with pytest.raises(QuerySyntaxError, match="1:"):
            guard.run(QueryRequest("SELECT * WHERE { ?s ?p"))
    finally:
        guard.close()


def test_a_worker_that_dies_is_an_error_not_a_hang(store: GraphStore) -> None:
    guard = QueryGuard(store, timeout=30.0, workers=1)
    try:
        guard.run(QueryRequest("ASK {}"))
        (worker,) = guard._idle
        killer = threading.Timer(0.5, os.kill, (worker.pid, 9))
        killer.start()
        with pytest.raises(Exception, match="query process died"):
            guard.run(QueryRequest(RUNAWAY))
        killer.join()
        assert json.loads(guard.run(QueryRequest("ASK {}")).body)["boolean"] is True
    finally:
        guard.close()


# -- the endpoint's guards, in process ---------------------------------------------------------


@pytest.fixture()
def app(store: GraphStore) -> Iterator[Flask]:
    location = store.location
    store.close()
    with running_app(location, KG_API_TOKEN=TOKEN, KG_MAX_QUERY_BYTES=2000) as application:
        yield application


def update(client: FlaskClient, text: str, token: str | None = TOKEN, origin: str | None = None, **kwargs: object):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if origin:
        headers["Origin"] = origin
    return client.post("/sparql/update", data=text, content_type="application/sparql-update", headers=headers, **kwargs)


def count(client: FlaskClient) -> int:
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    got = client.get("/sparql", query_string={"query": query}, headers={"Accept": SRJ})
    return int(got.get_json()["results"]["bindings"][0]["n"]["value"])


def test_update_needs_the_token_and_is_seen_by_the_next_query(client: FlaskClient) -> None:
    before = count(client)
    insert = "INSERT DATA { GRAPH <urn:kg:g> { <urn:kg:a> <urn:kg:b> 'c' } }"
    missing = update(client, insert, token=None)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert update(client, insert, token="wrong").status_code == 403
    assert count(client) == before
    assert update(client, insert).status_code == 204
    assert count(client) == before + 1
    form = client.post(
        "/sparql/update",
        data={"update": "DELETE DATA { GRAPH <urn:kg:g> { <urn:kg:a> <urn:kg:b> 'c' } }"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert form.status_code == 204 and count(client) == before
    assert client.get("/sparql/update", query_string={"update": "CLEAR ALL"}).status_code == 405
    assert count(client) == before


@pytest.mark.fails_on("virtuoso", reason=VIRTUOSO_DROP)
def test_drop_graph_removes_a_graph_written_by_insert_data(client: FlaskClient) -> None:
    before = count(client)
    assert update(client, "INSERT DATA { GRAPH <urn:kg:g> { <urn:kg:a> <urn:kg:b> 'c' } }").status_code == 204
    dropped = update(client, "DROP GRAPH <urn:kg:g>")
    assert dropped.status_code == 204, dropped.data
    assert count(client) == before


@pytest.mark.fails_on("oxigraph", reason=FAILED_UPDATE_IS_500)
@pytest.mark.fails_on("virtuoso", reason=FAILED_UPDATE_IS_500)
def test_an_update_that_fails_is_a_400_and_changes_nothing(client: FlaskClient) -> None:
    before = count(client)
    failed = update(client, "DROP GRAPH <urn:kg:nothing-here>")
    assert failed.status_code == 400 and "changed nothing" in failed.get_json()["message"]
    assert count(client) == before


def test_updates_are_off_without_a_server_token(store: GraphStore) -> None:
    location = store.location
    store.close()
    with running_app(location, KG_API_TOKEN="") as application:
        refused = update(application.test_client(), "CLEAR ALL", token="anything")
        assert refused.status_code == 403 and "KG_API_TOKEN" in refused.get_json()["message"]
        assert count(application.test_client()) > 0


def test_using_graph_uri_applies_to_the_update(client: FlaskClient) -> None:
    setup = "INSERT DATA { GRAPH <urn:kg:src> { <urn:kg:x> a <urn:kg:Doc> } GRAPH <urn:kg:other> { <urn:kg:y> a <urn:kg:Doc> } }"
    assert update(client, setup).status_code == 204
    copy = "INSERT { GRAPH <urn:kg:out> { ?s a <urn:kg:Copied> } } WHERE { ?s a <urn:kg:Doc> }"
    done = update(client, copy, query_string={"using-graph-uri": "urn:kg:src"})
    assert done.status_code == 204
    got = client.get(
        "/sparql",
        query_string={"query": "SELECT ?s WHERE { GRAPH <urn:kg:out> { ?s ?p ?o } }"},
        headers={"Accept": SRJ},
    )
    assert [b["s"]["value"] for b in got.get_json()["results"]["bindings"]] == ["urn:kg:x"]
    conflict = update(
        client,
        "WITH <urn:kg:src> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        query_string={"using-graph-uri": "urn:kg:src"},
    )
    assert conflict.status_code == 400


def test_from_narrows_the_default_graph(client: FlaskClient) -> None:
    setup = (
        "INSERT DATA { GRAPH <urn:kg:one> { <urn:kg:a> <urn:kg:p> 1 } GRAPH <urn:kg:two> { <urn:kg:b> <urn:kg:p> 2 } }"
    )
    assert update(client, setup).status_code == 204
    got = client.get(
        "/sparql",
        query_string={"query": "SELECT ?s FROM <urn:kg:one> WHERE { ?s <urn:kg:p> ?o }"},
        headers={"Accept": SRJ},
    )
    assert [b["s"]["value"] for b in got.get_json()["results"]["bindings"]] == ["urn:kg:a"]


def test_service_load_and_size_are_refused(client: FlaskClient) -> None:
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9999/sparql> { ?s ?p ?o } }"
    refused = client.get("/sparql", query_string={"query": service}, headers={"Accept": SRJ})
    assert refused.status_code == 400 and "SERVICE" in refused.get_json()["message"]
    load = update(client, "LOAD <http://127.0.0.1:9999/data.ttl>")
    assert load.status_code == 400 and "LOAD" in load.get_json()["message"]
    big = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 3000
    too_big = client.post("/sparql", data=big, content_type="application/sparql-query", headers={"Accept": SRJ})
    assert too_big.status_code == 413 and "KG_MAX_QUERY_BYTES" in too_big.get_json()["message"]
    utf16 = client.post(
        "/sparql", data="ASK {}".encode("utf-16"), content_type="application/sparql-query; charset=UTF-16"
    )
    assert utf16.status_code == 415


def test_cors_opens_reads_not_writes(client: FlaskClient) -> None:
    origin = {"Origin": "https://notebook.example"}
    read = client.get("/sparql", query_string={"query": "ASK {}"}, headers={**origin, "Accept": SRJ})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-KG-Truncated" in read.headers["Access-Control-Expose-Headers"]
    preflight = {**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    assert client.options("/sparql", headers=preflight).headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.options("/sparql/update", headers=preflight).headers
    assert "Access-Control-Allow-Origin" not in update(client, "CLEAR ALL", token=None, origin=origin["Origin"]).headers


# -- the runaway query on a million triples, under gunicorn ------------------------------------


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Path:
    location = tmp_path_factory.mktemp("million") / "kg"
    store = build_store(str(location), triples_for(1_000_000))
    assert len(store) > 990_000
    del store
    return location


@pytest.mark.embedded_only("a million triples bulk-loaded with pyoxigraph, served under gunicorn")
def test_runaway_on_a_million_triples_is_stopped_while_others_are_served(million: Path, tmp_path: Path) -> None:
    limit = 3.0
    with serve(million, tmp_path / "gunicorn.log", threads=4, KG_QUERY_TIMEOUT=str(limit)) as base:
        outcome: dict[str, object] = {}

        def runaway() -> None:
            start = time.monotonic()
            request = urllib.request.Request(
                f"{base}/sparql",
                data=b"SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",
                headers={"Content-Type": "application/sparql-query", "Accept": SRJ},
            )
            try:
                urllib.request.urlopen(request, timeout=60)
            except urllib.error.HTTPError as exc:
                outcome["status"] = exc.code
                outcome["body"] = json.loads(exc.read())
            outcome["seconds"] = time.monotonic() - start

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.5)
        served = []
        while thread.is_alive() and len(served) < 20:
            start = time.monotonic()
            query = urllib.parse.quote("SELECT ?e WHERE { ?e a <https://w3id.org/kgservice/ns#Meeting> } LIMIT 3")
            with urllib.request.urlopen(f"{base}/sparql?query={query}", timeout=10) as response:
                assert response.status == 200
            with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
                assert response.status == 200
            served.append(time.monotonic() - start)
            time.sleep(0.1)
        thread.join()
        assert outcome["status"] == 503, outcome
        assert "time limit" in str(outcome["body"]), outcome
        assert float(outcome["seconds"]) <= limit + 1.0, outcome  # type: ignore[arg-type]
        assert len(served) >= 5 and max(served) < 1.0, served
        with urllib.request.urlopen(f"{base}/sparql?query=ASK%20%7B%7D", timeout=10) as response:
            assert json.loads(response.read())["boolean"] is True


def test_service_description_names_the_update_endpoint(client: FlaskClient) -> None:
    described = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    languages = {(str(s), str(o)) for s, o in described.subject_objects(URIRef(sd + "supportedLanguage"))}
    assert ("http://localhost/sparql", sd + "SPARQL11Query") in languages
    assert ("http://localhost/sparql/update", sd + "SPARQL11Update") in languages


def test_queries_beyond_the_worker_count_wait_their_turn(store: GraphStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    guard = QueryGuard(store, timeout=1.0, workers=2)
    count = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: guard.run(count).body, range(12)))
        assert len(set(answers)) == 1 and len(guard._all) <= 2
        with ThreadPoolExecutor(3) as pool:
            start = time.monotonic()
            runaways = [pool.submit(guard.run, QueryRequest(RUNAWAY)) for _ in range(2)]
            time.sleep(0.2)
            waiting = pool.submit(guard.run, count)  # both workers are taken: it waits for a free one
            for future in runaways:
                with pytest.raises(QueryTimeout, match="time limit"):
                    future.result()
            assert waiting.result().body == answers[0]  # served once a runaway was stopped, within its own limit
            assert time.monotonic() - start < 1.2 + 0.5
        assert guard.run(count).body == answers[0]
    finally:
        guard.close()


def test_workers_outlive_the_request_thread_that_started_them(store: GraphStore) -> None:
    guard = QueryGuard(store, timeout=5.0, workers=1)
    try:
        thread = threading.Thread(target=guard.run, args=(QueryRequest("ASK {}"),))
        thread.start()
        thread.join()
        (worker,) = guard._idle
        time.sleep(0.2)  # a parent-death signal tied to the ended thread would have fired by now
        assert json.loads(guard.run(QueryRequest("ASK {}")).body)["boolean"] is True
        assert guard._idle == [worker]
    finally:
        guard.close()


def test_the_timeline_shows_a_write_at_once(client: FlaskClient) -> None:
    before = client.get("/timeline.json").get_json()["events"]
    client.get("/timeline")  # the page's index is now cached
    event = "urn:kg:test-event"
    insert = (
        "PREFIX kg: <https://w3id.org/kgservice/ns#> "
        f"INSERT DATA {{ GRAPH <urn:kg:test-article> {{ <{event}> a kg:Meeting ; kg:status kg:Planned ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> 'A meeting written over SPARQL Update' } }"
    )
    assert update(client, insert).status_code == 204
    assert len(client.get("/timeline.json").get_json()["events"]) == len(before) + 1
    assert b"A meeting written over SPARQL Update" in client.get("/timeline").data
