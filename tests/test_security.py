"""Request values never become query text; every write route needs the token; read-only mode; CORS stays shut on writes.

SPARQL injection: every filter and path parameter that reaches a SPARQL query is sent
hostile values (quotes that close a string, ``>`` that closes an IRI, braces, ``UNION``,
``DROP ALL``, newlines, SPARQL's ``\\u0022`` escapes). Each answer must be a 400 or 404 with a
message, or a 200 with the answer an honest lookup gives (nothing matches); never a 500, and
the store must be exactly as it was. The term layer itself is tested too: a bound value
arrives in the query as the same RDF term, on the embedded store (substitution) and in the
``VALUES`` block a remote store gets.

Writes: the test walks ``app.url_map``, so a write route added later without
:func:`kgservice.web.auth.require_token` fails here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from werkzeug.routing import BuildError

from kgservice.cli import main
from kgservice.remote import _with_values
from kgservice.store import GraphStore, iter_quads
from tests.conftest import running_app
from tests.test_web import build_seed_store

TOKEN = "security-token-5be0"
BASE = "http://127.0.0.1:8000/"
ATTEMPTS = (
    '"} ; DROP ALL ; #',
    "'} ; CLEAR ALL ; #",
    "> } UNION { ?s ?p ?o",
    "http://x> } UNION { ?s ?p ?o } #",
    f"{BASE}id/actor/donald-trump> . ?s ?p ?o . <urn:x",
    "urn:a>\n} ; DROP ALL ; INSERT DATA { <urn:s> <urn:p> <urn:o> } #",
    'http://example.org/a"b',
    "http://example.org/a\\u0022 } UNION { ?s ?p ?o",
    "http://example.org/\\u003E } UNION { ?s ?p ?o",
    "http://example.org/a b",
    "http://example.org/a\u2028b",
    'Trump\\" } UNION { ?s ?p ?o } #',
)
ATTEMPT_IDS = [f"attempt{i}" for i in range(len(ATTEMPTS))]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# POST routes that only read: each has its own test that it changes nothing.
READ_POSTS = {"sparql.endpoint", "reconcile.service"}


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("securitystore") / "kg"
    build_seed_store(path)
    return path


@pytest.fixture(scope="module")
def app(location: Path) -> Iterator[Flask]:
    with running_app(location, KG_API_TOKEN=TOKEN, KG_BASE_URI=BASE) as application:
        yield application


def digest(store: GraphStore) -> str:
    """Every quad of the store, hashed: equal digests mean nothing changed."""
    lines = sorted(" ".join(term.n3() for term in quad) for quad in iter_quads(store))
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def expect_refused_or_empty(response: Any, empty: Any = None) -> None:
    """A 4xx with a message, or a 200 whose answer is ``empty(answer)``; never a 5xx."""
    if response.status_code == 200:
        assert empty is not None and empty(response), response.get_data(as_text=True)[:500]
        return
    assert response.status_code in {400, 404}, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.get_json()["message"]


JSON = {"Accept": "application/json"}
AUTH = {**JSON, "Authorization": f"Bearer {TOKEN}"}


def no_events(response: Any) -> bool:
    return response.get_json()["events"] == []


def no_rows(response: Any) -> bool:
    """No graph named, nothing counted."""
    return all(cell["value"] == "0" for row in response.get_json()["results"]["bindings"] for cell in row.values())


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=ATTEMPT_IDS)
def test_timeline_filters(client: FlaskClient, store: GraphStore, attempt: str) -> None:
    before = digest(store)
    for name in ("actor", "source", "class", "status"):
        expect_refused_or_empty(client.get("/timeline.json", query_string={name: attempt}, headers=JSON), no_events)
        page = client.get("/timeline", query_string={name: attempt}, headers={"Accept": "text/html"})
        assert page.status_code in {200, 400}, (name, page.status_code)
    for name in ("from", "to"):
        assert client.get("/timeline.json", query_string={name: attempt}, headers=JSON).status_code == 400
    assert digest(store) == before


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=ATTEMPT_IDS)
def test_resource_paths(client: FlaskClient, store: GraphStore, attempt: str) -> None:
    before = digest(store)
    for kind in ("actor", "event", "assertion", "article"):
        for suffix in ("", ".ttl"):
            response = client.get(f"/id/{kind}/{quote(attempt, safe='')}{suffix}", headers=JSON)
            expect_refused_or_empty(response)
    assert digest(store) == before


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=ATTEMPT_IDS)
def test_export_parameters(client: FlaskClient, store: GraphStore, attempt: str) -> None:
    before = digest(store)
    for name in ("graph", "from", "to", "format"):
        expect_refused_or_empty(client.get("/export", query_string={name: attempt}, headers=JSON))
    assert digest(store) == before


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=ATTEMPT_IDS)
def test_sparql_dataset_parameters(client: FlaskClient, store: GraphStore, attempt: str) -> None:
    before = digest(store)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    graphs = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    for name, query in (("default-graph-uri", count), ("named-graph-uri", graphs)):
        response = client.get("/sparql", query_string={"query": query, name: attempt}, headers=JSON)
        expect_refused_or_empty(response, no_rows)
        form = client.post("/sparql", data={"query": query, name: attempt}, headers=JSON)
        expect_refused_or_empty(form, no_rows)
    assert digest(store) == before


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=ATTEMPT_IDS)
def test_update_dataset_parameters_and_article_deletion(client: FlaskClient, store: GraphStore, attempt: str) -> None:
    """With the token: a hostile graph IRI is refused or names no graph, so nothing is deleted."""
    before = digest(store)
    for name in ("using-graph-uri", "using-named-graph-uri"):
        data = {"update": "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", name: attempt}
        response = client.post("/sparql/update", data=data, headers=AUTH)
        assert response.status_code in {204, 400}, (response.status_code, response.get_data(as_text=True))
    for target in (quote(attempt, safe=""), quote(attempt, safe="/:")):
        expect_refused_or_empty(client.delete(f"/api/articles/{target}", headers=AUTH))
    assert digest(store) == before


def test_bound_values_arrive_as_the_same_terms(tmp_path: Path) -> None:
    """Substitution (embedded) and the VALUES block (remote) carry hostile text as one literal, unchanged."""
    store = GraphStore(str(tmp_path / "kg"))
    try:
        for attempt in ATTEMPTS:
            rows = store.rows("SELECT ?x WHERE { }", bindings={"x": Literal(attempt)})
            assert rows == [{"x": attempt}]
            text = _with_values("SELECT ?x WHERE { }", {ox.Variable("x"): ox.Literal(attempt)})
            assert [row["x"].value for row in ox.Store().query(text)] == [attempt]  # type: ignore[union-attr]
    finally:
        store.close()


def test_written_graphs_keep_hostile_text_exactly(tmp_path: Path) -> None:
    """Graphs go to the store as N-Triples inside an update: hostile literals and IRIs come back as written."""
    store = GraphStore(str(tmp_path / "kg"))
    try:
        keep = Graph()
        keep.add((URIRef("urn:keep"), URIRef("urn:p"), Literal("kept")))
        store.replace_graph(URIRef("urn:other"), keep)
        graph = Graph()
        for number, attempt in enumerate(ATTEMPTS):
            graph.add((URIRef(f"urn:s{number}"), URIRef("urn:p"), Literal(attempt)))
            graph.add((URIRef(f"urn:s{number}"), URIRef("urn:q"), Literal(attempt + "'''\"\"\"\\")))
        store.replace_graph(URIRef("urn:hostile"), graph)
        assert set(store.graph(URIRef("urn:hostile"))) == set(graph)
        assert set(store.graph(URIRef("urn:other"))) == set(keep)
    finally:
        store.close()


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=ATTEMPT_IDS)
def test_command_line_values(location: Path, app: Flask, attempt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kgservice timeline --actor``, ``export --graph`` and ``delete`` refuse or find nothing; no traceback."""
    app.extensions["kgstore"].close()  # the CLI opens the store itself
    monkeypatch.setenv("KG_STORE", str(location))
    monkeypatch.setenv("KG_BASE_URI", BASE)
    runner = CliRunner()
    before = runner.invoke(main, ["export", "--format", "nquads"]).output
    for args in (["timeline", "--actor", attempt], ["export", "--graph", attempt], ["delete", attempt]):
        result = runner.invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
        if result.exit_code:
            assert result.output.startswith("kgservice: "), (args, result.output)
    assert runner.invoke(main, ["export", "--format", "nquads"]).output == before


# -- write routes ------------------------------------------------------------------------------


def write_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route that accepts a writing method, but the read-only POSTs."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) & WRITE_METHODS)
        if not methods or rule.endpoint in READ_POSTS:
            continue
        try:
            url = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, "x"))
        except (BuildError, ValueError):  # a number in the path
            url = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))
        found += [(rule.endpoint, method, url) for method in methods]
    return found


BODIES = {"sparql.update": ("INSERT DATA { <urn:s> <urn:p> <urn:o> }", "application/sparql-update")}


def send(client: FlaskClient, method: str, url: str, endpoint: str, headers: dict[str, str]) -> Any:
    body, kind = BODIES.get(endpoint, (json.dumps({"text": "Someone said hello."}), "application/json"))
    return client.open(url, method=method, data=body, content_type=kind, headers={**JSON, **headers})


def test_the_walk_finds_the_write_routes(app: Flask) -> None:
    assert {(e, m) for e, m, _ in write_routes(app)} >= {
        ("sparql.update", "POST"),
        ("articles.create", "POST"),
        ("articles.remove", "DELETE"),
    }


def test_every_write_route_needs_the_token(app: Flask, client: FlaskClient, store: GraphStore) -> None:
    before = digest(store)
    for endpoint, method, url in write_routes(app):
        where = f"{method} {url} ({endpoint})"
        missing = send(client, method, url, endpoint, {})
        assert missing.status_code == 401, where
        assert missing.headers["WWW-Authenticate"].lower().startswith("bearer"), where
        assert send(client, method, url, endpoint, {"Authorization": "Bearer wrong"}).status_code == 403, where
        assert send(client, method, url, endpoint, {"Authorization": f"Basic {TOKEN}"}).status_code == 401, where
        in_query = f"{url}?token={TOKEN}&access_token={TOKEN}&api_key={TOKEN}"
        assert send(client, method, in_query, endpoint, {}).status_code == 401, (
            where
        )  # a token only counts in the header
    assert digest(store) == before


def test_every_write_route_is_off_without_a_server_token_or_when_read_only(location: Path, app: Flask) -> None:
    app.extensions["kgstore"].close()
    for settings, message in (({}, "KG_API_TOKEN"), ({"KG_API_TOKEN": TOKEN, "KG_READ_ONLY": True}, "read-only")):
        with running_app(location, KG_BASE_URI=BASE, **settings) as other:
            client = other.test_client()
            before = digest(other.extensions["kgstore"].get())
            for endpoint, method, url in write_routes(other):
                refused = send(client, method, url, endpoint, {"Authorization": f"Bearer {TOKEN}"})
                assert refused.status_code == 403, (settings, method, url)
                assert message in refused.get_json()["message"]
            assert digest(other.extensions["kgstore"].get()) == before


def test_the_token_opens_writes(client: FlaskClient, store: GraphStore) -> None:
    """The positive case of the walk: the same request with the token is done (and undone)."""
    graph = URIRef("http://example.org/kgservice-test/auth")
    insert = f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:s> <urn:p> <urn:o> }} }}"
    response = client.post("/sparql/update", data=insert, content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 204
    assert store.has_graph(graph)
    assert client.delete(f"/api/articles/{quote(str(graph), safe='')}", headers=AUTH).status_code == 204
    assert not store.has_graph(graph)


def test_read_only_posts_change_nothing(client: FlaskClient, store: GraphStore) -> None:
    before = digest(store)
    for text in ("DROP ALL", "CLEAR ALL", "INSERT DATA { <urn:s> <urn:p> <urn:o> }"):
        for data in ({"query": text}, {"update": text}):
            assert client.post("/sparql", data=data, headers=AUTH).status_code == 400
        direct = client.post("/sparql", data=text, content_type="application/sparql-query", headers=AUTH)
        assert direct.status_code == 400
        assert client.post("/reconcile", data={"queries": text}, headers=AUTH).status_code == 400
    assert digest(store) == before


def test_cors_is_shut_on_every_write_route(app: Flask, client: FlaskClient) -> None:
    origin = "https://elsewhere.example"
    read = client.get("/timeline.json", headers={"Origin": origin})
    assert read.headers["Access-Control-Allow-Origin"] == "*"  # reads are open: the check below can see a difference
    for endpoint, method, url in write_routes(app):
        preflight = client.options(
            url,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers, (method, url)
        actual = send(client, method, url, endpoint, {"Origin": origin, "Authorization": "Bearer wrong"})
        assert "Access-Control-Allow-Origin" not in actual.headers, (method, url)


def test_read_only_service_says_so(location: Path, app: Flask) -> None:
    app.extensions["kgstore"].close()
    with running_app(location, KG_API_TOKEN=TOKEN, KG_READ_ONLY=True) as other:
        client = other.test_client()
        assert client.get("/healthz").get_json()["writes"] == "read-only"
        description = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle")
        assert not any("update" in str(s) for s in description.subjects())


def test_read_only_command_line_refuses_to_write(
    location: Path, app: Flask, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.extensions["kgstore"].close()
    monkeypatch.setenv("KG_STORE", str(location))
    monkeypatch.setenv("KG_READ_ONLY", "1")
    runner = CliRunner()
    before = runner.invoke(main, ["export", "--format", "nquads"]).output
    for args in (["ingest", str(seeds)], ["delete", "000_ff2e2aa8e7c5ec47"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert "KG_READ_ONLY" in result.output
    assert runner.invoke(main, ["query", "ASK { ?s ?p ?o }"]).exit_code == 0  # reading still works
    assert runner.invoke(main, ["export", "--format", "nquads"]).output == before
