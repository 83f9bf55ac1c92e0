"""The app under gunicorn (one worker, threads), queried over HTTP by SPARQLWrapper."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from tests.test_web import CONSTRUCT, SELECT, build_seed_store

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("livestore") / "kg"
    build_seed_store(location)  # built and closed before the server opens it
    port = free_port()
    env = {**os.environ, "KG_STORE": str(location), "PYTHONPATH": str(ROOT)}
    log = (tmp_path_factory.mktemp("livelog") / "gunicorn.log").open("wb")
    command = [
        str(GUNICORN),
        "--workers",
        "1",
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        "--bind",
        f"127.0.0.1:{port}",
        "kgservice.web.wsgi:app",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", server)
        assert health["status"] == "ok"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def endpoint(base_url: str, query: str, fmt: str) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(f"{base_url}/sparql")
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    return wrapper


def test_json_results(base_url: str) -> None:
    result = endpoint(base_url, SELECT, JSON).queryAndConvert()
    assert result["head"]["vars"] == ["s", "label"]
    assert len(result["results"]["bindings"]) == 5


def test_xml_results(base_url: str) -> None:
    document = endpoint(base_url, SELECT, XML).queryAndConvert()
    assert len(document.getElementsByTagName("result")) == 5


def test_csv_results(base_url: str) -> None:
    data = endpoint(base_url, SELECT, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["s", "label"] and len(rows) == 6


def test_construct_turtle(base_url: str) -> None:
    data = endpoint(base_url, CONSTRUCT, TURTLE).queryAndConvert()
    assert len(Graph().parse(data=data, format="turtle")) == 20


def test_post_and_concurrent_readers(base_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def ask(_: int) -> int:
        wrapper = endpoint(base_url, SELECT, JSON)
        wrapper.setMethod("POST")
        return len(wrapper.queryAndConvert()["results"]["bindings"])

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(ask, range(16))) == [5] * 16
