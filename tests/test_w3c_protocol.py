"""W3C SPARQL 1.1 Protocol conformance: the protocol test suite replayed over HTTP against gunicorn.

The suite (``manifest.ttl`` plus ``data1.nt``…``data3.nt``, from the W3C SPARQL 1.1 test suite,
under the W3C test suite licence in its ``LICENSE.md``) is kept in ``tests/data/sparql-protocol``.

Each ``mf:ProtocolTest`` lists ``ht:Request`` s, sent in order with ``http.client`` exactly as the
manifest gives them: method, headers and body bytes (a ``cnt:characterEncoding "UTF-16"`` body is
sent encoded in UTF-16). Nothing is added but ``Host``, ``Content-Length`` and, on update requests,
``Authorization: Bearer <TOKEN>``; no ``Accept`` is sent, so the service picks its default result
format. Each response must have one of the ``mf:expectedStatus`` classes and, when given, the
``mf:expectedFormat`` (``boolean``: a JSON or XML SPARQL boolean result, equal to
``mf:expectedBoolean`` when given; ``tabular``: JSON, XML, CSV or TSV results; ``RDF``: Turtle,
N-Triples, RDF/XML or JSON-LD, parsed by rdflib). A 404 never counts as an expected 4xx: it says
that the mapped endpoint is missing, not that the request was refused.

Path mapping
------------
Every ``ht:absolutePath`` starts with ``/sparql/``; the service has two endpoints, ``/sparql`` for
queries and ``/sparql/update`` for updates. The ``/sparql/`` prefix is replaced by the endpoint of
the request's operation; the query string is kept as it is. A request is

* an **update** when its content type is ``application/sparql-update``, or its query string or
  url-encoded (``application/x-www-form-urlencoded``) body has an ``update``, ``using-graph-uri`` or
  ``using-named-graph-uri`` parameter;
* else a **query** when its content type is ``application/sparql-query`` or its query string or
  url-encoded body has a ``query`` parameter;
* else (no usable content type: ``text/plain``, or none at all) it goes to the endpoint of the
  test's family. The update family is the tests whose name has the word ``update``/``updates``
  (``update_*``, ``bad_update_*`` and ``bad_multiple_updates``); every other test is a query test.

The manifest has 20 query tests and 14 update tests. Query tests run on one server; update tests
run, in manifest order, on another (each of them starts by clearing what it needs). Both stores are
preloaded with every ``ut:graphData`` of the manifest (each file into the named graph its
``rdfs:label`` names). Two more tests check the bearer token of ``/sparql/update``: a server with a
token refuses updates without it (401) or with a wrong one (403); a server without a token refuses
every update (403); in both cases the store is left as it was.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import http.client
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pyoxigraph
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from kgservice.store import GraphStore
from tests.backends import Backend
from tests.live import serve

SUITE = Path(__file__).resolve().parent / "data" / "sparql-protocol"
TOKEN = "w3c-protocol-suite-token"
WRONG_TOKEN = "not-the-w3c-protocol-suite-token"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

QUERY_PATH = "/sparql"
UPDATE_PATH = "/sparql/update"
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UPDATE_PARAMS = frozenset({"update", "using-graph-uri", "using-named-graph-uri"})
UPDATE_FAMILY = re.compile(r"(?:^|_)updates?(?:_|$)")

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
TABULAR = frozenset({RESULTS_JSON, RESULTS_XML, "text/csv", "text/tab-separated-values"})
RDF_SYNTAXES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}

# every quad of the store, the default graph included (it is also the union of the named graphs)
SNAPSHOT = "SELECT ?g ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


# -- the manifest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a response must be: a status class (2, 3, 4…), maybe a format and a boolean."""

    status_classes: frozenset[int]
    format: str | None
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolRequest:
    """One ``ht:Request`` of a test, with its expected response."""

    method: str
    absolute_path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: Expected

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-cased and without parameters ("" when there is none)."""
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def parameters(self) -> set[str]:
        """Names of the parameters in the query string and, for a url-encoded body, in the body."""
        names = set(parse_qs(urlsplit(self.absolute_path).query, keep_blank_values=True))
        if self.content_type == FORM and self.body:
            names |= set(parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return names

    def operation(self, family: str) -> str:
        """``"update"`` or ``"query"`` (see the module docstring); ``family`` decides the rest."""
        names = self.parameters()
        if self.content_type == SPARQL_UPDATE or names & UPDATE_PARAMS:
            return "update"
        if self.content_type == SPARQL_QUERY or "query" in names:
            return "query"
        return family

    def target(self, family: str) -> str:
        """The service path: the endpoint of the operation plus the manifest's query string."""
        assert self.absolute_path.startswith("/sparql/"), self.absolute_path
        query = urlsplit(self.absolute_path).query
        path = UPDATE_PATH if self.operation(family) == "update" else QUERY_PATH
        return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class ProtocolTest:
    """One ``mf:ProtocolTest``: its requests and the graphs it expects in the store."""

    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]
    graph_data: tuple[tuple[Path, str], ...]

    @property
    def family(self) -> str:
        """``"update"`` for the update tests, ``"query"`` for the others."""
        return "update" if UPDATE_FAMILY.search(self.name) else "query"


def items(graph: Graph, head: Node | None) -> list[Node]:
    """The members of an RDF list (none when ``head`` is missing)."""
    return [] if head is None else list(Collection(graph, head))


def text(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """The one value of ``predicate`` as a string (None when there is none)."""
    value = graph.value(subject, predicate)
    return None if value is None else str(value)


def read_expected(graph: Graph, response: Node) -> Expected:
    classes = set()
    for status in graph.objects(response, MF.expectedStatus):
        match = re.search(r"StatusCode(\d)xx$", str(status))
        assert match, f"unknown expected status {status}"
        classes.add(int(match.group(1)))
    boolean = graph.value(response, MF.expectedBoolean)
    value = bool(boolean.toPython()) if isinstance(boolean, Literal) else None
    return Expected(frozenset(classes), text(graph, response, MF.expectedFormat), value)


def read_body(graph: Graph, request: Node) -> bytes | None:
    body = graph.value(request, HT.body)
    if body is None:
        return None
    chars = text(graph, body, CNT.chars) or ""
    return chars.encode(text(graph, body, CNT.characterEncoding) or "utf-8")


def read_request(graph: Graph, request: Node) -> ProtocolRequest:
    headers = tuple(
        (text(graph, header, HT.fieldName) or "", text(graph, header, HT.fieldValue) or "")
        for header in items(graph, graph.value(request, HT.headers))
    )
    response = graph.value(request, HT.resp)
    assert response is not None, f"request {request} has no ht:resp"
    return ProtocolRequest(
        method=text(graph, request, HT.methodName) or "",
        absolute_path=text(graph, request, HT.absolutePath) or "",
        headers=headers,
        body=read_body(graph, request),
        expected=read_expected(graph, response),
    )


def read_test(graph: Graph, test: Node, folder: Path) -> ProtocolTest:
    base = folder.as_uri() + "/"
    data = tuple(
        sorted(
            (
                folder / unquote(str(graph.value(entry, UT.graph)).removeprefix(base)),
                str(graph.value(entry, RDFS.label)),
            )
            for entry in graph.objects(test, UT.graphData)
        )
    )
    action = graph.value(test, MF.action)
    requests = tuple(read_request(graph, r) for r in items(graph, graph.value(action, HT.requests)))
    return ProtocolTest(str(test).rsplit("#", 1)[-1], text(graph, test, MF.name) or "", requests, data)


@functools.cache
def load_suite(folder: Path = SUITE) -> tuple[ProtocolTest, ...]:
    """The protocol tests of ``folder/manifest.ttl``, in manifest order."""
    graph = Graph().parse(folder / "manifest.ttl", format="turtle", publicID=folder.as_uri() + "/manifest.ttl")
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest)
    entries = items(graph, graph.value(manifest, MF.entries))
    return tuple(read_test(graph, test, folder) for test in entries if (test, RDF.type, MF.ProtocolTest) in graph)


def family_params(family: str) -> list[Any]:
    """Parameters of a suite test: one per manifest test of ``family``."""
    return [pytest.param(t, id=t.name) for t in load_suite() if t.family == family]


def update_writes(tests: tuple[ProtocolTest, ...]) -> list[tuple[ProtocolTest, int, ProtocolRequest]]:
    """Every update request of the update tests that is expected to succeed (2xx)."""
    return [
        (test, number, request)
        for test in tests
        if test.family == "update"
        for number, request in enumerate(test.requests, 1)
        if request.operation(test.family) == "update" and 2 in request.expected.status_classes
    ]


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A response: status, headers and body bytes."""

    status: int
    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type() if self.headers.get("Content-Type") else ""

    @property
    def text(self) -> str:
        return self.body.decode(self.headers.get_content_charset() or "utf-8", "replace")


def send(base_url: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None) -> Reply:
    """One request with exactly these method, path, headers and body bytes."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None or method in {"POST", "PUT", "PATCH"}:
            connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def request_headers(request: ProtocolRequest, family: str, token: str | None) -> list[tuple[str, str]]:
    """The manifest's headers, plus ``Authorization`` on an update when ``token`` is given."""
    headers = list(request.headers)
    if token is not None and request.operation(family) == "update":
        headers.append(("Authorization", f"Bearer {token}"))
    return headers


def describe(test: ProtocolTest, number: int, method: str, path: str, reply: Reply, problem: str) -> str:
    """A failure message: which test and request, what came back, and the start of the body."""
    return (
        f"{test.name} ({test.title}), request {number}/{len(test.requests)}: {method} {path} -> "
        f"{reply.status} {reply.content_type or '(no content type)'}: {problem}\n"
        f"body: {reply.text[:300]!r}"
    )


# -- response checks -----------------------------------------------------------------------------


def boolean_result(reply: Reply) -> bool:
    """The value of a SPARQL boolean result in JSON or XML; AssertionError if it is not one."""
    if reply.content_type == RESULTS_JSON:
        document = json.loads(reply.body)
        assert isinstance(document, dict) and isinstance(document.get("boolean"), bool), "no JSON boolean result"
        return bool(document["boolean"])
    if reply.content_type == RESULTS_XML:
        element = ET.fromstring(reply.body).find(f"{RESULTS_NS}boolean")
        assert element is not None and (element.text or "").strip() in {"true", "false"}, "no XML boolean result"
        return (element.text or "").strip() == "true"
    raise AssertionError(f"a boolean result must be {RESULTS_JSON} or {RESULTS_XML}")


def check_tabular(reply: Reply) -> None:
    """The body is SPARQL results in the (tabular) format its content type names."""
    kind = reply.content_type
    assert kind in TABULAR, f"tabular results must be one of {sorted(TABULAR)}"
    if kind == RESULTS_JSON:
        document = json.loads(reply.body)
        assert isinstance(document, dict) and "head" in document, "JSON results without a head"
    elif kind == RESULTS_XML:
        assert ET.fromstring(reply.body).tag == f"{RESULTS_NS}sparql", "XML results without a <sparql> root"
    else:
        tab = kind == "text/tab-separated-values"
        dialect = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if tab else {}
        rows = list(csv.reader(io.StringIO(reply.text), **dialect))  # type: ignore[arg-type]
        assert rows and rows[0], "no header row"
        assert all(len(row) == len(rows[0]) for row in rows if row), "rows of different lengths"
        assert not tab or all(name.startswith("?") for name in rows[0]), "TSV variables need a leading ?"


def check_rdf(reply: Reply) -> None:
    """The body is RDF in the syntax its content type names."""
    syntax = RDF_SYNTAXES.get(reply.content_type)
    assert syntax, f"an RDF result must be one of {sorted(RDF_SYNTAXES)}"
    Graph().parse(data=reply.text, format=syntax)


def problem_with(reply: Reply, expected: Expected) -> str | None:
    """What is wrong with ``reply`` (None when it is as expected)."""
    classes = sorted(expected.status_classes)
    if reply.status == 404:
        return "404: the mapped endpoint does not exist, which is no answer to a protocol request"
    if reply.status // 100 not in expected.status_classes:
        return f"expected a status in {', '.join(f'{c}xx' for c in classes)}"
    try:
        if expected.format == "boolean":
            value = boolean_result(reply)
            if expected.boolean is not None and value != expected.boolean:
                return f"expected the boolean {str(expected.boolean).lower()}, got {str(value).lower()}"
        elif expected.format == "tabular":
            check_tabular(reply)
        elif expected.format == "RDF":
            check_rdf(reply)
        elif expected.format is not None:
            return f"unknown expected format {expected.format!r} in the manifest"
    except (AssertionError, ValueError, ET.ParseError, csv.Error, SyntaxError) as exc:
        return f"not a valid {expected.format} result: {exc}"
    return None


def replay(base_url: str, test: ProtocolTest, token: str | None = TOKEN) -> None:
    """Send the test's requests in order; fail on the first unexpected response."""
    for number, request in enumerate(test.requests, 1):
        path = request.target(test.family)
        reply = send(base_url, request.method, path, request_headers(request, test.family, token), request.body)
        problem = problem_with(reply, request.expected)
        if problem:
            pytest.fail(describe(test, number, request.method, path, reply, problem), pytrace=False)


# -- servers --------------------------------------------------------------------------------------


def preload(location: str, tests: tuple[ProtocolTest, ...]) -> None:
    """A fresh store with every ``ut:graphData`` of the suite, closed again before a server opens it."""
    graphs: dict[str, list[pyoxigraph.Triple]] = {}
    for path, graph_name in sorted({data for test in tests for data in test.graph_data}):
        graphs.setdefault(graph_name, []).extend(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.N_TRIPLES))
    with GraphStore(location) as store:
        for graph_name, triples in graphs.items():
            store.replace_graph_triples(graph_name, triples)


@contextlib.contextmanager
def suite_server(
    stores: tuple[Backend, pytest.FixtureRequest],
    factory: pytest.TempPathFactory,
    name: str,
    tests: tuple[ProtocolTest, ...],
    token: str,
) -> Iterator[str]:
    """Gunicorn on a freshly preloaded store of the backend (``stores``: it and the
    requesting fixture or test), with ``KG_API_TOKEN=token``; yields the base URL."""
    backend, request = stores
    folder = factory.mktemp(name)
    location = backend.new_store(request)
    preload(location, tests)
    with serve(location, folder / "gunicorn.log", KG_API_TOKEN=token) as base_url:
        yield base_url


def snapshot(base_url: str) -> list[str]:
    """Every quad of the store, as sorted JSON result rows."""
    reply = send(
        base_url,
        "GET",
        f"{QUERY_PATH}?query={quote(SNAPSHOT, safe='')}",
        [("Accept", RESULTS_JSON)],
        None,
    )
    assert reply.status == 200 and reply.content_type == RESULTS_JSON, f"snapshot: {reply.status} {reply.text[:300]!r}"
    rows = json.loads(reply.body)["results"]["bindings"]
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


@pytest.fixture(scope="module")
def suite() -> tuple[ProtocolTest, ...]:
    """The manifest's tests."""
    return load_suite()


@pytest.fixture(scope="module")
def query_server(
    backend: Backend,
    request: pytest.FixtureRequest,
    suite: tuple[ProtocolTest, ...],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with suite_server((backend, request), tmp_path_factory, "w3c-query", suite, TOKEN) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def update_server(
    backend: Backend,
    request: pytest.FixtureRequest,
    suite: tuple[ProtocolTest, ...],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with suite_server((backend, request), tmp_path_factory, "w3c-update", suite, TOKEN) as base_url:
        yield base_url


# -- tests ---------------------------------------------------------------------------------------


def test_manifest_has_20_query_and_14_update_tests(suite: tuple[ProtocolTest, ...]) -> None:
    families = [test.family for test in suite]
    assert (families.count("query"), families.count("update")) == (20, 14), [t.name for t in suite]
    assert all(test.requests for test in suite)
    assert all(r.absolute_path.startswith("/sparql/") for test in suite for r in test.requests)
    assert all(path.is_file() for test in suite for path, _ in test.graph_data)


@pytest.mark.parametrize("test", family_params("query"))
def test_query_suite(suite: tuple[ProtocolTest, ...], query_server: str, test: ProtocolTest) -> None:
    replay(query_server, test)


@pytest.mark.parametrize("test", family_params("update"))
def test_update_suite(suite: tuple[ProtocolTest, ...], update_server: str, test: ProtocolTest) -> None:
    replay(update_server, test)


def test_updates_need_the_token(
    backend: Backend,
    request: pytest.FixtureRequest,
    suite: tuple[ProtocolTest, ...],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    writes = update_writes(suite)
    assert writes, "the suite has no update expected to succeed"
    problems: list[str] = []
    with suite_server((backend, request), tmp_path_factory, "w3c-token", suite, TOKEN) as base_url:
        before = snapshot(base_url)
        assert before, "the preloaded store answers no quads"
        for token, status in ((None, 401), (WRONG_TOKEN, 403)):
            for test, number, request in writes:
                path = request.target(test.family)
                reply = send(base_url, request.method, path, request_headers(request, test.family, token), request.body)
                challenge = reply.headers.get("WWW-Authenticate", "")
                if reply.status != status:
                    problems.append(describe(test, number, request.method, path, reply, f"expected {status}"))
                elif status == 401 and not challenge.lower().startswith("bearer"):
                    problem = f"a 401 needs WWW-Authenticate: Bearer, got {challenge!r}"
                    problems.append(describe(test, number, request.method, path, reply, problem))
        if snapshot(base_url) != before:
            problems.append("updates without the right token changed the store")
    assert not problems, "\n\n".join(problems)


def test_updates_off_without_a_server_token(
    backend: Backend,
    request: pytest.FixtureRequest,
    suite: tuple[ProtocolTest, ...],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    writes = update_writes(suite)
    assert writes, "the suite has no update expected to succeed"
    problems: list[str] = []
    with suite_server((backend, request), tmp_path_factory, "w3c-no-token", suite, "") as base_url:
        before = snapshot(base_url)
        assert before, "the preloaded store answers no quads"
        for token in (TOKEN, WRONG_TOKEN, ""):
            for test, number, request in writes:
                path = request.target(test.family)
                reply = send(base_url, request.method, path, request_headers(request, test.family, token), request.body)
                if reply.status != 403:
                    problem = f"expected 403 (writes are off) for the bearer token {token!r}"
                    problems.append(describe(test, number, request.method, path, reply, problem))
        if snapshot(base_url) != before:
            problems.append("updates on a server without a token changed the store")
    assert not problems, "\n\n".join(problems)
