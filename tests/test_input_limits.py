"""Input limits and typed parameters: a clear 4xx for bad input, never a 500, and nothing stored.

Each 500 that fuzzing or reading the code found has its regression test here (the live
fuzzing itself is ``tests/test_fuzz_http.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kgservice.cli import main
from kgservice.errors import ConfigError
from kgservice.settings import load_settings
from kgservice.store import GraphStore
from tests.conftest import running_app

TOKEN = "limits-token-81"
MAX_ARTICLE = 300  # bytes of article text, for these tests
WRITE = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
JSON = {"Accept": "application/json"}
LONG = ("The delegations met again on Monday. " * 10).strip()  # 369 bytes


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    location = tmp_path_factory.mktemp("limits") / "kg"
    with running_app(location, KG_API_TOKEN=TOKEN, KG_MAX_ARTICLE_BYTES=MAX_ARTICLE, KG_MAX_UPDATE_BYTES=2000) as app:
        yield app


def refused(response, status: int = 400) -> str:
    """The message of a refusal with ``status``."""
    assert response.status_code == status, response.data[:300]
    return response.get_json()["message"]


# -- 500s found, each fixed -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/timeline?page=%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "/timeline?per_page=%C2%B2",
        "/reconcile/suggest/type?prefix=M&cursor=%C2%B2",
        "/reconcile/suggest/type?prefix=M&limit=%C2%B2",
        "/reconcile/suggest/entity?prefix=M&limit=%C2%B2",
        "/reconcile?query=" + json.dumps({"query": "x", "limit": "²"}),
        "/reconcile/suggest/property?cursor=" + "9" * 5000,  # longer than int() converts
    ],
)
def test_digits_that_are_not_ascii_are_a_400_not_a_500(client: FlaskClient, url: str) -> None:
    assert "whole number" in refused(client.get(url, headers=JSON))


# -- typed parameters -------------------------------------------------------------------------


def test_timeline_filters_list_the_valid_values(client: FlaskClient) -> None:
    message = refused(client.get("/timeline.json?class=Summit", headers=JSON))
    assert "Summit" in message and "Meeting" in message and "MilitaryAction" in message
    message = refused(client.get("/timeline?status=rumoured", headers=JSON))
    assert "Planned" in message and "Denied" in message
    assert "timelinejs" in refused(client.get("/timeline.json?format=xml", headers=JSON))
    for value in ("20180910", "2018-02-30", " 2018-09-10", "2018-W37"):
        assert "2018-09-10" in refused(client.get("/timeline.json", query_string={"from": value}, headers=JSON))
    for good in (
        "class=meeting",
        "class=kg:Meeting",
        "class=https://w3id.org/kgservice/ns%23Meeting",
        "status=planned",
    ):
        assert client.get(f"/timeline.json?{good}&from=2018-09-10&to=").status_code == 200, good


def test_sparql_dataset_without_a_query_is_a_400(client: FlaskClient) -> None:
    assert "query" in refused(client.get("/sparql?named-graph-uri=http://example.org/g", headers=JSON))
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200  # the service description


def test_reconcile_json_post_must_be_a_batch(client: FlaskClient) -> None:
    for body in ("{}", "[]", '"Kim"', "{"):
        response = client.post("/reconcile", data=body, content_type="application/json")
        assert "queries" in refused(response), body
    assert "longer than" in refused(client.get("/reconcile/suggest/type?prefix=" + "x" * 501))


def test_article_metadata_must_be_text(client: FlaskClient, store: GraphStore) -> None:
    before = len(store)
    for field, value in (("title", {"a": 1}), ("url", ["x"]), ("published", True), ("id", 1.5), ("author", [1])):
        body = json.dumps({"text": "The talks went on.", field: value})
        response = client.post("/api/articles", data=body, content_type="application/json", headers=WRITE)
        assert f'"{field}" must be text' in refused(response), field
    response = client.post(
        "/api/articles?replace=maybe", data="The talks went on.", content_type="text/plain", headers=WRITE
    )
    assert "true or false" in refused(response)
    assert len(store) == before


# -- sizes ------------------------------------------------------------------------------------


def test_an_article_over_the_limit_is_a_413_and_nothing_is_stored(client: FlaskClient, store: GraphStore) -> None:
    before = len(store)
    text = LONG
    for body, kind in ((json.dumps({"text": text}), "application/json"), (text, "text/plain")):
        message = refused(client.post("/api/articles", data=body, content_type=kind, headers=WRITE), 413)
        assert "369 bytes" in message and "KG_MAX_ARTICLE_BYTES" in message
    assert len(store) == before


def test_an_article_too_long_for_spacy_is_a_413_not_a_500(tmp_path: Path) -> None:
    """Extraction failed with spaCy's E088 on a text over 1,000,000 characters: a 500 before the limit existed."""
    with running_app(tmp_path / "kg", KG_API_TOKEN=TOKEN) as app:
        text = "Officials met. " * 70_000
        response = app.test_client().post("/api/articles", data=text, content_type="text/plain", headers=WRITE)
        assert "1,049,999 bytes" in refused(response, 413)
    with pytest.raises(ConfigError, match="spaCy"):
        load_settings({"KG_MAX_ARTICLE_BYTES": 2_000_000})


@pytest.mark.parametrize("name", ["KG_MAX_ROWS", "KG_QUERY_TIMEOUT", "KG_QUERY_WORKERS", "KG_THREADS"])
def test_limits_below_one_are_refused(name: str) -> None:
    for value in ("0", "-5"):
        with pytest.raises(ConfigError, match=f"{name} must be more than 0"):
            load_settings(environ={name: value})


def test_a_body_over_the_request_limit_is_a_413(client: FlaskClient, store: GraphStore) -> None:
    before = len(store)
    huge = "x" * (2000 + 65 * 1024)  # KG_MAX_UPDATE_BYTES + 64 KiB is the largest body any route reads
    assert client.post("/api/articles", data=huge, content_type="text/plain", headers=WRITE).status_code == 413
    assert (
        client.post("/sparql/update", data=huge, content_type="application/sparql-update", headers=WRITE).status_code
        == 413
    )
    assert client.post("/sparql", data={"query": huge}, headers=JSON).status_code == 413
    assert len(store) == before


def test_the_command_line_refuses_an_oversize_article_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "big.txt").write_text(LONG)
    (folder / "small.txt").write_text("The delegations met in Geneva on Monday.")
    lines = [{"id": "short", "text": "Officials met on Tuesday."}, {"id": "long", "text": "Officials met. " * 40}]
    (folder / "batch.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    env = {"KG_STORE": str(tmp_path / "kg"), "KG_MAX_ARTICLE_BYTES": str(MAX_ARTICLE)}
    result = CliRunner(mix_stderr=False).invoke(main, ["ingest", str(folder)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and len(errors) == 2, errors
    assert any("big.txt" in e and "369 bytes" in e and "KG_MAX_ARTICLE_BYTES" in e for e in errors), errors
    assert any("batch.jsonl" in e and "article long" in e for e in errors), errors
    assert "ingested 2 articles (2 added" in result.stdout and "2 failed" in result.stdout
    with GraphStore(env["KG_STORE"]) as store:
        names = {str(g).rsplit("/", 1)[-1] for g in store.graph_names()}
    assert {"small", "short"} <= names and not {"big", "long"} & names
