"""Operations: request ids, one JSON log line per request, ``/healthz``, and no token in any log.

The last test runs ``kgservice serve`` itself (gunicorn with ``kgservice.web.gunicorn_conf``)
and reads everything it wrote.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgservice.web.requestlog import HEADER, JsonFormatter, json_handler
from tests.conftest import running_app
from tests.live import free_port, stop, wait_healthy
from tests.test_web import build_seed_store

TOKEN = "ops-secret-token-93aa"
WRONG = "ops-wrong-token-1c57"
HEX_ID = r"[0-9a-f]{32}"


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("opsstore") / "kg"
    build_seed_store(path)
    return path


@pytest.fixture(scope="module")
def app(location: Path) -> Iterator[Flask]:
    with running_app(location, KG_API_TOKEN=TOKEN) as application:
        yield application


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in map(json.loads, stream.getvalue().splitlines()) if line["logger"] == "kgservice.access"]


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("kgservice")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


# -- request ids -------------------------------------------------------------------------------


def test_a_sane_request_id_is_kept(client: FlaskClient) -> None:
    for given in ("abc-123", "0f8e2b5c-6b1e-4c9a-9d3f-2a7c1e0b9f44", "Root=1-5759e988-bd862e3fe1be46a9", "a" * 128):
        assert client.get("/healthz", headers={HEADER: given}).headers[HEADER] == given


def test_any_other_request_id_is_replaced(client: FlaskClient) -> None:
    for given in ("", "a" * 129, "has space", 'quote"d', "semi;colon", "<script>", "naïve", "tab\tid"):
        answered = client.get("/healthz", headers={HEADER: given}).headers[HEADER]
        assert answered != given
        assert len(answered) == 32 and int(answered, 16) >= 0
    first, second = (client.get("/healthz").headers[HEADER] for _ in range(2))
    assert first != second  # a fresh id per request


def test_errors_carry_the_request_id_too(client: FlaskClient) -> None:
    for response in (client.get("/no/such/page"), client.get("/timeline.json?from=nonsense")):
        assert response.status_code in {400, 404}
        assert len(response.headers[HEADER]) == 32


# -- the log line ------------------------------------------------------------------------------


def test_each_request_is_one_json_line(client: FlaskClient, captured: io.StringIO) -> None:
    response = client.get(
        "/timeline.json?actor=Bolton&token=do-not-log",
        headers={HEADER: "req-42"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 200
    client.post("/sparql/update", data="CLEAR ALL", content_type="application/sparql-update")  # 401, no token
    lines = access_lines(captured)
    assert len(lines) == 2
    first, second = lines
    assert first["request_id"] == "req-42"
    assert first["method"] == "GET" and first["path"] == "/timeline.json"  # no query string
    assert first["status"] == 200 and first["level"] == "INFO"
    assert first["remote_addr"] == "10.1.2.3"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert (second["method"], second["path"], second["status"]) == ("POST", "/sparql/update", 401)
    assert "do-not-log" not in captured.getvalue()


def test_records_made_during_a_request_carry_its_id(location: Path, app: Flask, captured: io.StringIO) -> None:
    """A bug's logged 500: the error record and the access line share the id that the client got back."""
    app.extensions["kgstore"].close()
    with running_app(location) as other:

        def broken() -> str:
            raise RuntimeError("a bug")

        other.add_url_rule("/broken", "broken", broken)
        response = other.test_client().get("/broken", headers={"Accept": "application/json"})
    assert response.status_code == 500
    rid = response.headers[HEADER]
    records = [json.loads(line) for line in captured.getvalue().splitlines()]
    error = next(r for r in records if r["level"] == "ERROR")
    assert error["request_id"] == rid and "RuntimeError: a bug" in error["error"]
    assert any(r["logger"] == "kgservice.access" and r["request_id"] == rid and r["status"] == 500 for r in records)


def test_formatter_outside_a_request() -> None:
    record = logging.LogRecord("kgservice.x", logging.WARNING, __file__, 1, "store at %s", ("/x",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "store at /x" and line["level"] == "WARNING" and "request_id" not in line


# -- /healthz ----------------------------------------------------------------------------------


def test_healthz_reports_the_store_writes_and_workers(client: FlaskClient) -> None:
    client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["store"]["kind"] == "embedded"
    assert health["store"]["graphs"] >= 3 and health["store"]["triples"] > 100
    assert health["writes"] == "enabled"
    workers = health["query_workers"]
    assert workers["limit"] == 4 and workers["busy"] == 0 and workers["idle"] >= 1 and workers["timeout_s"] == 10
    assert "location" not in health["store"]  # no path or URL (it may hold credentials)


def test_healthz_counts_follow_writes(client: FlaskClient) -> None:
    before = client.get("/healthz").get_json()["store"]
    graph = "urn:kg:health-check"
    for update, change in (
        (f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:kg:a> <urn:kg:b> 'c' }} }}", 1),
        (f"DROP GRAPH <{graph}>", 0),
    ):
        written = client.post(
            "/sparql/update",
            data=update,
            content_type="application/sparql-update",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert written.status_code == 204, written.data
        after = client.get("/healthz").get_json()["store"]
        assert (after["graphs"], after["triples"]) == (before["graphs"] + change, before["triples"] + change)


def test_healthz_without_a_token_and_on_a_remote_store_that_is_down(location: Path, app: Flask) -> None:
    app.extensions["kgstore"].close()
    with running_app(location) as other:
        assert other.test_client().get("/healthz").get_json()["writes"] == "off"
    port = free_port()  # nothing listens there
    with running_app(f"sparql+http://127.0.0.1:{port}/query") as remote:
        response = remote.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["store"] == {"kind": "remote"} and body["message"]


# -- kgservice serve: JSON logs, and no token in them -------------------------------------------


def call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def test_kgservice_serve_logs_json_lines_without_tokens(location: Path, app: Flask, tmp_path: Path) -> None:
    app.extensions["kgstore"].close()
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "KG_STORE": str(location), "KG_API_TOKEN": TOKEN, "KG_THREADS": "2"}
    command = [str(Path(sys.executable).parent / "kgservice"), "serve", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(f"{url}/healthz", server)
            update = b"INSERT DATA { GRAPH <urn:ops:test> { <urn:s> <urn:p> <urn:o> } }"
            basic = base64.b64encode(f"user:{TOKEN}".encode()).decode()
            sent = [
                ("/healthz", None, {HEADER: "serve-check-1"}, 200),
                (f"/timeline?token={TOKEN}&access_token={TOKEN}", None, {}, 200),
                (
                    "/sparql?" + urlencode({"query": "ASK {}", "api_key": TOKEN}),
                    None,
                    {"Accept": "application/json"},
                    200,
                ),
                (
                    "/sparql/update",
                    update,
                    {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"},
                    204,
                ),
                (
                    "/sparql/update",
                    update,
                    {"Authorization": f"Bearer {WRONG}", "Content-Type": "application/sparql-update"},
                    403,
                ),
                (
                    "/sparql/update",
                    update,
                    {"Authorization": f"Basic {basic}", "Content-Type": "application/sparql-update"},
                    401,
                ),
                (f"/sparql/update?token={TOKEN}", update, {"Content-Type": "application/sparql-update"}, 401),
                ("/api/articles/no-such-article", None, {"Authorization": f"Bearer {TOKEN}"}, 404),
            ]
            for path, data, headers, status in sent:
                method = "DELETE" if path.startswith("/api/") else None
                assert call(url + path, data, headers, method) == status, path
        finally:
            stop(server)
    text = log.read_text("utf-8")
    for secret in (TOKEN, WRONG, basic):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    polls = [line for line in lines if line.get("path") == "/healthz" and line.get("request_id") != "serve-check-1"]
    access = [line for line in lines if line["logger"] == "kgservice.access" and line not in polls]
    assert [(a["path"], a["status"]) for a in access] == [(p.split("?")[0], s) for p, _, _, s in sent]
    assert access[0]["request_id"] == "serve-check-1"
    assert any(line["logger"] == "gunicorn.error" and "Listening at" in line["message"] for line in lines)
