"""The app under gunicorn (one worker, threads), queried over HTTP by SPARQLWrapper."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from tests.live import serve
from tests.test_web import CONSTRUCT, SELECT, build_seed_store


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("livestore") / "kg"
    build_seed_store(location)  # built and closed before the server opens it
    with serve(location, tmp_path_factory.mktemp("livelog") / "gunicorn.log") as url:
        yield url


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
