"""The app under gunicorn (one worker, threads), used by real clients: SPARQLWrapper and rdflib's SPARQL stores."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from tests.backends import Backend
from tests.live import serve
from tests.test_web import CONSTRUCT, SELECT

TOKEN = "live-token-9d2e"
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(scope="module")
def base_url(
    backend: Backend, seed_store: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    location = backend.copy_store(seed_store, request)  # closed before the server opens it
    with serve(location, tmp_path_factory.mktemp("livelog") / "gunicorn.log", KG_API_TOKEN=TOKEN) as url:
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


def test_tsv_results(base_url: str) -> None:
    data = endpoint(base_url, SELECT, TSV).queryAndConvert()
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == "?s\t?label" and len(lines) == 6
    assert all(line.startswith("<http") for line in lines[1:])


@pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)  # inside rdflib's JSON-LD parser
def test_construct_jsonld(base_url: str) -> None:
    graph = endpoint(base_url, CONSTRUCT, JSONLD).queryAndConvert()
    assert len(graph) == 20


def test_rdflib_sparqlstore_reads_the_graph(base_url: str) -> None:
    graph = Graph(store=SPARQLStore(f"{base_url}/sparql", returnFormat="json"))
    rows = list(graph.query(SELECT))
    assert len(rows) == 5 and all(isinstance(row[0], URIRef) for row in rows)
    labels = {str(o) for _, _, o in graph.triples((None, LABEL, None))}
    every = endpoint(base_url, f"SELECT DISTINCT ?l WHERE {{ ?s <{LABEL}> ?l }}", JSON).queryAndConvert()
    assert labels == {b["l"]["value"] for b in every["results"]["bindings"]} and len(labels) > 20


def test_rdflib_sparqlupdatestore_writes_with_the_token(base_url: str) -> None:
    subject = URIRef("urn:kg:live-test")

    def store(token: str | None) -> Graph:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        update_store = SPARQLUpdateStore(
            f"{base_url}/sparql", f"{base_url}/sparql/update", returnFormat="json", headers=headers, autocommit=True
        )
        return Graph(store=update_store, identifier=URIRef("urn:kg:live-graph"))

    from urllib.error import HTTPError

    with pytest.raises(HTTPError) as refused:
        store(None).add((subject, LABEL, Literal("written over HTTP")))
    assert refused.value.code == 401
    refused.value.close()
    writer = store(TOKEN)
    writer.add((subject, LABEL, Literal("written over HTTP")))
    assert list(writer.objects(subject, LABEL)) == [Literal("written over HTTP")]
    writer.remove((subject, None, None))
    assert list(writer.objects(subject, LABEL)) == []
