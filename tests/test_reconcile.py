"""The ``/reconcile`` service (Reconciliation Service API 0.2) and the reconciliation client.

The service is tested live under gunicorn on the seed store; the client is tested against a
second running instance on a second seed store, with names read from the first.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from kgservice.matching import CandidateIndex, NameQuery, PropertyValue, answer, find_type, normalise
from kgservice.reconcile import (
    MEMORY,
    AnswerCache,
    RateLimiter,
    ReconcileClient,
    ReconcileError,
    cache_path,
    choose,
    reconcile_names,
)
from kgservice.settings import load_settings
from tests.backends import Backend
from tests.live import free_port, serve

TOKEN = "reconcile-test-token"
BASE = load_settings().base_uri  # what the seed stores were built with
SEM = "http://semanticweb.cs.vu.nl/2009/11/sem/"
SCHEMA = "https://schema.org/"


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(
    backend: Backend, seed_store: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Two instances of the service, each on its own copy of the seed store: (first, second)."""
    root = tmp_path_factory.mktemp("reconcile")
    one, two = backend.copy_store(seed_store, request), backend.copy_store(seed_store, request)
    with ExitStack() as stack:
        first = stack.enter_context(serve(one, root / "first.log", KG_API_TOKEN=TOKEN))
        second = stack.enter_context(serve(two, root / "second.log"))
        yield first, second


@pytest.fixture(scope="module")
def first(servers: tuple[str, str]) -> str:
    return servers[0]


@pytest.fixture(scope="module")
def second(servers: tuple[str, str]) -> str:
    return servers[1]


def get(url: str, **params: str) -> tuple[int, str, bytes]:
    """GET ``url`` with ``params``: status, content type, body (also for 4xx)."""
    full = url + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(full, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()


def post(url: str, data: bytes, content_type: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def reconcile(service: str, **queries: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Ask ``service`` the ``queries`` (GET, ``queries=``); each query's results."""
    status, kind, body = get(f"{service}/reconcile", queries=json.dumps(queries))
    assert (status, kind) == (200, "application/json"), body
    answers = json.loads(body)
    assert set(answers) == set(queries)
    return {key: value["result"] for key, value in answers.items()}


# -- the manifest --------------------------------------------------------------------------


def test_manifest_has_what_openrefine_needs(first: str) -> None:
    status, kind, body = get(f"{first}/reconcile")
    assert (status, kind) == (200, "application/json")
    manifest = json.loads(body)
    assert "0.2" in manifest["versions"]
    assert manifest["name"]
    assert manifest["identifierSpace"] == f"{BASE}id/"
    assert manifest["schemaSpace"] == "https://w3id.org/kgservice/ns#"
    assert manifest["view"]["url"] == f"{BASE}id/{{{{id}}}}"
    assert {"url", "width", "height"} <= set(manifest["preview"])
    assert "{{id}}" in manifest["preview"]["url"]
    type_ids = {t["id"] for t in manifest["defaultTypes"]}
    assert {"Person", "Organization", "Place", "Group", "Product", "Meeting", "Statement", "Event"} <= type_ids
    assert all(set(t) == {"id", "name"} for t in manifest["defaultTypes"])
    for kind_ in ("entity", "type", "property"):  # every advertised suggest service answers
        service = manifest["suggest"][kind_]
        status, _, body = get(service["service_url"] + service["service_path"], prefix="K")
        assert status == 200 and "result" in json.loads(body)
    preview = manifest["preview"]["url"].replace("{{id}}", "actor/kim-jong-un")
    assert get(preview)[0] == 200
    page = manifest["view"]["url"].replace("{{id}}", "actor/kim-jong-un").replace(BASE, first + "/")
    assert get(page)[0] == 200  # the view template is the IRI, and the IRI is our resource page


def test_manifest_as_jsonp(first: str) -> None:
    status, kind, body = get(f"{first}/reconcile", callback="jQuery123_456")
    assert (status, kind) == (200, "application/javascript")
    text = body.decode()
    assert text.startswith("/**/jQuery123_456(") and text.endswith(");")
    assert json.loads(text[len("/**/jQuery123_456(") : -2]) == json.loads(get(f"{first}/reconcile")[2])


def test_read_routes_are_open_to_other_origins(first: str) -> None:
    request = urllib.request.Request(f"{first}/reconcile", headers={"Origin": "http://openrefine.example"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"


# -- queries -------------------------------------------------------------------------------


def test_a_spelling_variant_finds_the_actor_first(first: str) -> None:
    results = reconcile(first, q0={"query": "Kim Jong-un"}, q1={"query": "KIM JONG UN"}, q2={"query": "kim jong un"})
    for found in results.values():
        best = found[0]
        assert (best["id"], best["name"]) == ("actor/kim-jong-un", "Kim Jong Un")
        assert best["match"] is True and best["score"] == 100
        assert {"id": "Person", "name": "Person"} in best["type"]
        assert all(not other["match"] for other in found[1:])


def test_queries_by_post_form_give_the_same_answer(first: str) -> None:
    queries = {"q0": {"query": "Kim Jong-un", "limit": 3}}
    status, body = post(
        f"{first}/reconcile",
        urllib.parse.urlencode({"queries": json.dumps(queries)}).encode(),
        "application/x-www-form-urlencoded",
    )
    assert status == 200
    assert json.loads(body)["q0"]["result"] == reconcile(first, **queries)["q0"]
    assert len(json.loads(body)["q0"]["result"]) == 3


def test_trump_as_a_person(first: str) -> None:
    found = reconcile(first, q0={"query": "Trump", "type": "Person"})["q0"]
    assert found[0]["id"] == "actor/trump" and found[0]["match"] is True
    assert all(any(t["id"] == "Person" for t in c["type"]) for c in found)
    anything = reconcile(first, q0={"query": "Trump"})["q0"]  # without a type, events with Trump in their name follow
    assert anything[0]["id"] == "actor/trump"
    assert any(c["id"].startswith("event/") for c in anything[1:])


def test_type_strict(first: str) -> None:
    should = reconcile(first, q0={"query": "Trump", "type": "Meeting", "type_strict": "should"})["q0"]
    assert should[0]["id"].startswith("event/")  # a meeting with Trump in its name beats the person …
    assert "actor/trump" in [c["id"] for c in should]  # … who is still a candidate
    strict = reconcile(first, q0={"query": "Trump", "type": ["Meeting", "Communication"], "type_strict": "any"})["q0"]
    assert strict and all(c["id"].startswith("event/") for c in strict)
    both = reconcile(first, q0={"query": "Trump", "type": ["Meeting", "Communication"], "type_strict": "all"})["q0"]
    assert both == []


def test_a_nonsense_name_matches_nothing(first: str) -> None:
    for found in reconcile(first, q0={"query": "Xqzvbn Wrtlpq"}, q1={"query": "Zzyzx Quagmire Foundation"}).values():
        assert not any(c["match"] for c in found)


def test_properties_weigh_in(first: str) -> None:
    results = reconcile(
        first,
        plain={"query": "Sanders"},
        right={"query": "Sanders", "properties": [{"pid": "role", "v": "press secretary"}]},
        wrong={"query": "Sanders", "properties": [{"pid": "role", "v": "senator from Vermont"}]},
        place={"query": "summit", "type": "Meeting", "properties": [{"pid": "place", "v": "Singapore"}]},
        place_id={
            "query": "summit",
            "type": "Meeting",
            "properties": [{"pid": "place", "v": {"id": "actor/singapore"}}],
        },
    )
    plain, right, wrong = (results[k][0] for k in ("plain", "right", "wrong"))
    assert plain["id"] == right["id"] == wrong["id"] == "actor/sarah-huckabee-sanders"
    assert right["score"] > plain["score"] * 0.75 and right["match"]
    assert wrong["score"] < right["score"] and not wrong["match"]
    for key in ("place", "place_id"):
        assert results[key][0]["id"] == "event/first-kim-trump-meeting-2f90c8ec"  # the Singapore summit


def test_a_single_query_and_the_draft_batch(first: str) -> None:
    status, _, body = get(f"{first}/reconcile", query="Pompeo")
    assert status == 200 and json.loads(body)["result"][0]["id"] == "actor/mike-pompeo"
    batch = {
        "queries": [
            {"query": "Pompeo", "limit": 2},
            {"type": "Person", "properties": [{"v": "Bolton"}]},
            {"conditions": [{"matchType": "name", "propertyValue": "Kim Jong-un"}]},
        ]
    }
    status, body = post(f"{first}/reconcile", json.dumps(batch).encode(), "application/json")
    assert status == 200
    results = json.loads(body)["results"]
    assert [r["candidates"][0]["id"] for r in results] == [
        "actor/mike-pompeo",
        "actor/john-bolton",
        "actor/kim-jong-un",
    ]
    assert len(results[0]["candidates"]) == 2


# -- preview and suggest -------------------------------------------------------------------


def test_preview_is_a_small_card(first: str) -> None:
    status, kind, body = get(f"{first}/reconcile/preview", id="actor/kim-jong-un")
    assert (status, kind) == (200, "text/html")
    html = body.decode()
    assert "Kim Jong Un" in html and "North Korean dictator" in html
    assert "<mark>Kim Jong Un</mark>" in html  # a sentence that mentions him
    assert f'href="{BASE}id/actor/kim-jong-un"' in html
    assert "<script" not in html and "<link" not in html and "<img" not in html and "src=" not in html
    by_iri = get(f"{first}/reconcile/preview", id=f"{BASE}id/actor/kim-jong-un")
    assert by_iri[2] == body


def test_preview_escapes_what_the_graph_says(first: str) -> None:
    evil = '<script>alert("x")</script> & Sons'
    update = (
        f"INSERT DATA {{ GRAPH <{BASE}id/article/reconcile-test> {{ <{BASE}id/actor/evil> a <{SEM}Actor>, "
        f"<{SCHEMA}Organization> ; <http://www.w3.org/2000/01/rdf-schema#label> {json.dumps(evil)} ; "
        f'<https://w3id.org/kgservice/ns#role> "<b>boss</b>" }} }}'
    )
    status, body = post(f"{first}/sparql/update", update.encode(), "application/sparql-update", TOKEN)
    assert status in (200, 204), body
    found = reconcile(first, q0={"query": evil, "type": "Organization"})["q0"]  # the index saw the write
    assert found[0]["id"] == "actor/evil" and found[0]["name"] == evil
    html = get(f"{first}/reconcile/preview", id="actor/evil")[2].decode()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in html
    assert "&lt;b&gt;boss&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html


def test_suggest(first: str) -> None:
    status, kind, body = get(f"{first}/reconcile/suggest/entity", prefix="Pomp")
    assert (status, kind) == (200, "application/json")
    found = json.loads(body)["result"]
    assert (found[0]["id"], found[0]["name"]) == ("actor/mike-pompeo", "Mike Pompeo")
    assert "Secretary of State" in found[0]["description"]
    people = json.loads(get(f"{first}/reconcile/suggest/entity", prefix="pomp", type="Person")[2])["result"]
    assert [p["id"] for p in people] == ["actor/mike-pompeo"]
    paged = json.loads(get(f"{first}/reconcile/suggest/entity", prefix="Pomp", limit="1", cursor="1")[2])["result"]
    assert paged == found[1:2]
    types = json.loads(get(f"{first}/reconcile/suggest/type", prefix="meet")[2])["result"]
    assert types == [{"id": "Meeting", "name": "Meeting"}]
    props = json.loads(get(f"{first}/reconcile/suggest/property", prefix="ro")[2])["result"]
    assert [p["id"] for p in props] == ["role"]
    jsonp = get(f"{first}/reconcile/suggest/entity", prefix="Pomp", callback="cb")
    assert jsonp[1] == "application/javascript" and jsonp[2].startswith(b"/**/cb(")


# -- bad input -----------------------------------------------------------------------------

BAD_QUERIES = {
    "not JSON": "{q0: ",
    "an array": '["Kim"]',
    "too many": json.dumps({f"q{n}": {"query": "Kim"} for n in range(101)}),
    "limit 0": json.dumps({"q0": {"query": "Kim", "limit": 0}}),
    "limit 101": json.dumps({"q0": {"query": "Kim", "limit": 101}}),
    "limit text": json.dumps({"q0": {"query": "Kim", "limit": "ten"}}),
    "query not text": json.dumps({"q0": {"query": ["Kim"]}}),
    "query not an object": json.dumps({"q0": "Kim"}),
    "unknown type": json.dumps({"q0": {"query": "Kim", "type": "Unicorn"}}),
    "bad type_strict": json.dumps({"q0": {"query": "Kim", "type": "Person", "type_strict": "maybe"}}),
    "unknown property": json.dumps({"q0": {"query": "Kim", "properties": [{"pid": "shoe size", "v": "42"}]}}),
    "property without pid": json.dumps({"q0": {"query": "Kim", "properties": [{"v": "x"}]}}),
    "long query": json.dumps({"q0": {"query": "K" * 501}}),
}


@pytest.mark.parametrize("case", sorted(BAD_QUERIES))
def test_bad_queries_are_400_with_a_message(first: str, case: str) -> None:
    form = urllib.parse.urlencode(
        {"queries": BAD_QUERIES[case]}
    ).encode()  # POST: long batches pass gunicorn's 4 KiB request line
    status, body = post(f"{first}/reconcile", form, "application/x-www-form-urlencoded")
    assert status == 400, body
    error = json.loads(body)
    assert error["status"] == 400 and len(error["message"]) > 10


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/reconcile", {"callback": "alert(1)"}, 400),
        ("/reconcile/preview", {}, 400),
        ("/reconcile/preview", {"id": "actor/nobody"}, 404),
        ("/reconcile/suggest/entity", {}, 400),
        ("/reconcile/suggest/entity", {"prefix": "K", "limit": "1000"}, 400),
        ("/reconcile/suggest/entity", {"prefix": "K", "cursor": "-1"}, 400),
        ("/reconcile/suggest/entity", {"prefix": "K", "type": "Unicorn"}, 400),
    ],
)
def test_other_bad_requests(first: str, path: str, params: dict[str, str], expected: int) -> None:
    status, kind, body = get(first + path, **params)
    assert (status, kind) == (expected, "application/json")
    assert json.loads(body)["message"]


def test_a_malformed_draft_batch_is_400(first: str) -> None:
    for batch in ({"queries": "Kim"}, {"queries": ["Kim"]}, {"queries": [{"conditions": ["Kim"]}]}):
        status, body = post(f"{first}/reconcile", json.dumps(batch).encode(), "application/json")
        assert status == 400 and json.loads(body)["message"]


# -- the client, against a second instance -------------------------------------------------


def actor_labels(service: str) -> dict[str, str]:
    """The labels of the actors of ``service``'s articles, by label: their IRIs (from its SPARQL endpoint)."""
    query = """
        SELECT DISTINCT ?label ?actor WHERE {
          GRAPH ?g { ?actor a <http://semanticweb.cs.vu.nl/2009/11/sem/Actor> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }
          ?g a ?articleType . FILTER(?articleType IN (<https://schema.org/NewsArticle>, <https://schema.org/OpinionNewsArticle>))
        }"""
    status, _, body = get(f"{service}/sparql", query=query, format="json")
    assert status == 200
    rows = json.loads(body)["results"]["bindings"]
    return {row["label"]["value"]: row["actor"]["value"] for row in rows}


def test_client_reconciles_names_of_one_instance_against_another(first: str, second: str) -> None:
    labels = actor_labels(first)
    assert {"Kim Jong Un", "Mike Pompeo", "Trump"} <= set(labels)
    names = [*labels, "Kim Jong-un", "Xqzvbn Wrtlpq"]
    with ReconcileClient(f"{second}/reconcile", rate=0) as client:
        matches = client.reconcile(names)
    for label, iri in labels.items():
        match = matches[label]
        assert match is not None, label
        assert match.iri == iri  # same seeds, same IRIs
        assert (match.name, match.service) == (label, f"{second}/reconcile")
        assert match.id == iri.removeprefix(f"{BASE}id/")
    assert matches["Kim Jong-un"] is not None and matches["Kim Jong-un"].id == "actor/kim-jong-un"
    assert matches["Xqzvbn Wrtlpq"] is None
    assert client.requests_made == 1 + -(-len(names) // 10)  # the manifest, then batches of 10


def test_client_caches_answers(second: str, tmp_path: Path) -> None:
    names = ["Kim Jong-un", "Pompeo", "Bolton", "Xqzvbn Wrtlpq"]
    with ReconcileClient(f"{second}/reconcile", rate=0, cache=AnswerCache(tmp_path / "cache.sqlite")) as client:
        first_time = client.reconcile(names, ["Person"])
        sent = client.requests_made
        assert sent == 2  # one batch, one manifest
        again = client.reconcile([*names, "Kim Jong-un"], ["Person"])
        assert client.requests_made == sent  # every answer came from the cache, the empty one too
        assert again == first_time
        client.reconcile(["Pompeo"])  # other types: another question
        assert client.requests_made == sent + 1
    with ReconcileClient(f"{second}/reconcile", rate=0, cache=AnswerCache(tmp_path / "cache.sqlite")) as later:
        assert later.reconcile(names, ["Person"]) == first_time  # the cache file outlives the process's client
        assert later.requests_made == 0


def test_client_threshold(second: str) -> None:
    name = "Second Kim Trump summit"  # close to an event, but no automatic match
    with ReconcileClient(f"{second}/reconcile", rate=0) as client:
        (candidate, *_) = client.candidates([name], ["Meeting"])[name]
        assert candidate["match"] is False and 60 < candidate["score"] < 95
        client.threshold = candidate["score"]
        accepted = client.reconcile([name], ["Meeting"])[name]
        assert accepted is not None and accepted.id == "event/second-kim-trump-meeting-7bb85ccc"
        client.threshold = candidate["score"] + 0.1
        assert client.reconcile([name], ["Meeting"])[name] is None
        client.threshold = 0  # a service's own match is accepted whatever the threshold, nonsense never
        assert client.reconcile(["Xqzvbn Wrtlpq"])["Xqzvbn Wrtlpq"] is None


def test_client_rate_limit(second: str) -> None:
    rate = 8.0
    names = [f"Name number {n}" for n in range(7)]
    with ReconcileClient(f"{second}/reconcile", rate=rate, batch_size=1) as client:
        started = time.monotonic()
        client.candidates(names)
        elapsed = time.monotonic() - started
    assert client.requests_made == len(names)
    assert elapsed >= (len(names) - 1) / rate


def test_reconcile_names_from_settings(second: str, tmp_path: Path) -> None:
    off = load_settings({"KG_STORE": str(tmp_path / "kg")})
    assert reconcile_names(["Kim Jong Un"], None, off) == {"Kim Jong Un": None}
    assert not (tmp_path / "kg-reconcile.sqlite").exists()
    on = load_settings({"KG_STORE": str(tmp_path / "kg"), "KG_RECONCILE_URL": f"{second}/reconcile"})
    assert cache_path(on) == str(tmp_path / "kg-reconcile.sqlite")
    matches = reconcile_names(["Kim Jong Un", "Xqzvbn Wrtlpq"], ["Person"], on)
    assert matches["Kim Jong Un"] is not None and matches["Kim Jong Un"].iri == f"{BASE}id/actor/kim-jong-un"
    assert matches["Xqzvbn Wrtlpq"] is None
    assert (tmp_path / "kg-reconcile.sqlite").exists()


def test_client_errors_are_clear(second: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/reconcile"
    with ReconcileClient(nowhere, rate=0) as client, pytest.raises(ReconcileError, match="cannot reach"):
        client.reconcile(["Kim"])
    with ReconcileClient(f"{second}/healthz", rate=0) as client, pytest.raises(ReconcileError, match="405"):
        client.reconcile(["Kim"])
    with pytest.raises(ReconcileError, match="http"):
        ReconcileClient("ftp://example.org/reconcile")


# -- without a server ----------------------------------------------------------------------


def test_normalise() -> None:
    assert normalise("Kim Jong-un") == normalise("KIM JONG UN") == "kim jong un"
    assert normalise("Müller–Lüdenscheidt") == "muller ludenscheidt"
    assert normalise("Worker’s Party") == "workers party"
    assert normalise("U.S.") == normalise("US") == "us"
    assert normalise("  Straße ") == "strasse"
    assert normalise("김정은") == "김정은"


def _index() -> CandidateIndex:
    rows = [
        ("actor/a", "label", "Jean Dupont"),
        ("actor/a", "type", f"{SEM}Actor"),
        ("actor/a", "type", f"{SCHEMA}Person"),
        ("actor/a", "role", "mayor of Lyon"),
        ("actor/b", "label", "Jean Dupond"),
        ("actor/b", "type", f"{SEM}Actor"),
        ("actor/b", "type", f"{SCHEMA}Person"),
        ("actor/b", "role", "baker"),
        ("ontology/c", "label", "Jean Dupont"),  # a label of something that is neither actor nor event
    ]
    return CandidateIndex.from_rows(({"entity": f"{BASE}id/{e}", "field": f, "value": v} for e, f, v in rows), BASE)


def test_close_names_are_no_match_until_a_property_decides() -> None:
    index = _index()
    assert len(index) == 2
    exact = answer(index, NameQuery("JEAN DUPONT"))
    assert exact[0].candidate.id == "actor/a" and exact[0].match  # 100 against Dupond's 91
    between = answer(index, NameQuery("Jean Dupon"))
    assert between[0].score == between[1].score and not between[0].match
    role = PropertyValue("role", ("baker",))
    baker = answer(index, NameQuery("Jean Dupon", (find_type("Person"),), properties=(role,)))
    assert baker[0].candidate.id == "actor/b" and baker[0].score > baker[1].score


def test_choose() -> None:
    assert choose([], 50) is None
    assert choose([{"id": "a", "score": 10, "match": True}], 90) == {"id": "a", "score": 10, "match": True}
    assert choose([{"id": "a", "score": 92}, {"id": "b", "score": 80}], 90) == {"id": "a", "score": 92}
    assert choose([{"id": "a", "score": 92}, {"id": "b", "score": 92}], 90) is None  # a tie
    assert choose([{"id": "a", "score": 89}], 90) is None


def test_rate_limiter_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
    assert now[0] == pytest.approx(1.0) and len(slept) == 4
    assert AnswerCache(MEMORY).get("s", "k") is None
