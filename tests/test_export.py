"""Dumps: every format read by two parsers, JSON-LD against the published context, restore, Oxigraph server.

The formats are checked with Raptor's ``rapper`` (Debian's ``raptor2-utils``, installed by
``make test``; without it these checks are skipped, and under CI they fail) and with
pyoxigraph; the JSON-LD with rdflib and pyoxigraph. A TriG dump served by gunicorn is
loaded into a real Oxigraph server, which must answer the timeline query as our endpoint does.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rdflib import ConjunctiveGraph, Graph, URIRef
from rdflib.compare import isomorphic

from kgservice import export as dumps
from kgservice.cli import FORMATS_EXPORT, main
from kgservice.graph.jsonld import Compactor, context_document, context_url, instance_prefixes
from kgservice.resources import load_query
from kgservice.settings import load_settings
from kgservice.store import ONTOLOGY_GRAPH, GraphStore, from_ox
from tests.backends import Backend, oxigraph_server, require
from tests.conftest import running_app
from tests.live import serve

pytestmark = [
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally (rdflib 7.x); not our code.
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]
BASE = load_settings().base_uri
ARTICLE = "000_ff2e2aa8e7c5ec47"
RAPTOR_SYNTAX = {"trig": "trig", "nquads": "nquads", "turtle": "turtle", "ntriples": "ntriples", "rdfxml": "rdfxml"}


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(backend: Backend, seed_store: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    with running_app(backend.copy_store(seed_store, request)) as application:
        yield application


@pytest.fixture(scope="session")
def rapper() -> str:
    """Raptor's ``rapper``: skipped without it, except under CI, where it must be there."""
    found = shutil.which("rapper")
    if found is None:
        message = "rapper is missing (Debian package raptor2-utils; `make test` installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def rapper_count(rapper: str, syntax: str, data: bytes) -> int:
    """How many triples (or quads) ``rapper`` reads from ``data``; fails on any parse error."""
    done = subprocess.run(
        [rapper, "-i", syntax, "-c", "-", BASE], input=data, capture_output=True, check=False, timeout=60
    )
    errors = done.stderr.decode()
    assert done.returncode == 0 and "Error" not in errors, errors
    return int(errors.rsplit("returned", 1)[1].split()[0])


def distinct_triples(store: GraphStore) -> int:
    return int(store.rows(load_query("void-statistics").text)[0]["triples"])


def export(client: FlaskClient, **params: str) -> bytes:
    response = client.get("/export", query_string=params)
    assert response.status_code == 200, response.data
    return response.data


def as_dataset(data: bytes, fmt: str) -> dict[str, Graph]:
    """A dump read graph by graph: TriG and JSON-LD by rdflib (JSON-LD with the published context
    put in place of its URL), N-Quads by pyoxigraph.

    rdflib 7.6's ``Dataset.parse`` and N-Quads parser warn from inside rdflib
    (``default_context``); its ``ConjunctiveGraph`` reads TriG and JSON-LD with only the warning
    filtered above.
    """
    if fmt == "nquads":
        graphs: dict[str, Graph] = {}
        for quad in ox.parse(data, ox.RdfFormat.N_QUADS):
            triple = (from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object))
            graphs.setdefault(str(from_ox(quad.graph_name)), Graph()).add(triple)
        return graphs
    dataset = ConjunctiveGraph()
    if fmt == "jsonld":
        document = json.loads(data)
        document["@context"][0] = context_document()["@context"]
        dataset.parse(data=json.dumps(document), format="json-ld")
    else:
        dataset.parse(data=data, format=fmt)
    return {str(g.identifier): g for g in dataset.contexts() if len(g)}


def store_graphs(store: GraphStore) -> dict[str, Graph]:
    return {str(name): store.graph(name) for name in store.graph_names()}


def assert_same_graphs(found: dict[str, Graph], expected: dict[str, Graph]) -> None:
    assert sorted(found) == sorted(expected)
    for name, graph in expected.items():
        assert len(found[name]) == len(graph), name
        assert isomorphic(found[name], graph), f"graph {name} differs"


# -- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["trig", "nquads", "turtle", "ntriples", "rdfxml"])
def test_every_format_parses_with_rapper_and_oxigraph(
    client: FlaskClient, store: GraphStore, rapper: str, fmt: str
) -> None:
    data = export(client, format=fmt)
    spec = dumps.dump_format(fmt)
    assert spec.rdf_format is not None
    parsed = list(ox.parse(data, spec.rdf_format))
    expected = len(store) if spec.dataset else distinct_triples(store)
    assert len(parsed) == expected
    assert rapper_count(rapper, RAPTOR_SYNTAX[fmt], data) == expected


@pytest.mark.parametrize("fmt", ["trig", "nquads", "turtle", "ntriples", "rdfxml", "jsonld"])
def test_one_article_in_every_format(client: FlaskClient, store: GraphStore, fmt: str) -> None:
    name = f"{BASE}id/article/{ARTICLE}"
    data = export(client, format=fmt, graph=ARTICLE)
    assert data == export(client, format=fmt, graph=name)
    expected = store.graph(URIRef(name))
    if dumps.dump_format(fmt).dataset:
        assert_same_graphs(as_dataset(data, fmt), {name: expected})
    else:
        graph = Graph().parse(data=data, format={"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}[fmt])
        assert isomorphic(graph, expected)


def test_one_article_with_rapper(client: FlaskClient, store: GraphStore, rapper: str) -> None:
    expected = len(store.graph(URIRef(f"{BASE}id/article/{ARTICLE}")))
    for fmt in RAPTOR_SYNTAX:
        assert rapper_count(rapper, RAPTOR_SYNTAX[fmt], export(client, format=fmt, graph=ARTICLE)) == expected


def test_dataset_dumps_keep_every_graph(client: FlaskClient, store: GraphStore) -> None:
    expected = store_graphs(store)
    assert str(ONTOLOGY_GRAPH) in expected
    for fmt in ("trig", "nquads", "jsonld"):
        assert_same_graphs(as_dataset(export(client, format=fmt), fmt), expected)


def test_triple_dumps_hold_each_triple_of_the_union_once(backend: Backend, request: pytest.FixtureRequest) -> None:
    """The same triple in two graphs (and the default graph) is written once, by both union paths.

    On a server kgservice reads the named graphs only (the default graph of its queries is
    their union: README, a remote SPARQL store), so there the triples are in named graphs only.
    """
    default = "" if backend.remote else "<http://e/s> <http://e/p> <http://e/o> . <http://e/s> <http://e/p> 'x' . "
    with GraphStore(backend.new_store(request)) as store:
        store.update(
            f"INSERT DATA {{ {default}"
            "GRAPH <http://e/g1> { <http://e/s> <http://e/p> <http://e/o> . <http://e/s> <http://e/q> 1 } "
            "GRAPH <http://e/g2> { <http://e/s> <http://e/p> <http://e/o> } }"
        )
        whole = b"".join(dumps.dump_chunks(store, dumps.dump_format("nt"), dumps.Scope("all"), BASE))
        scope = dumps.Scope("two", ("http://e/g2", "http://e/g1"))
        both = b"".join(dumps.dump_chunks(store, dumps.dump_format("nt"), scope, BASE))
    named = [
        "<http://e/s> <http://e/p> <http://e/o> .",
        '<http://e/s> <http://e/q> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    ]
    assert sorted(whole.decode().splitlines()) == sorted(
        named + ([] if backend.remote else ['<http://e/s> <http://e/p> "x" .'])
    )
    assert sorted(both.decode().splitlines()) == sorted(named)


# -- JSON-LD and its context ------------------------------------------------------------------


def test_jsonld_reads_naturally(client: FlaskClient) -> None:
    document = json.loads(export(client, format="jsonld"))
    assert document["@context"] == [context_url(BASE), instance_prefixes(BASE)]
    nodes = [node for graph in document["@graph"] for node in graph.get("@graph", [])]
    meeting = next(n for n in nodes if n.get("type") == "Meeting" and n.get("status") == "Planned")
    assert meeting["id"].startswith("event:") and "label" in meeting
    assert all(p.startswith("actor:") for p in meeting["participants"])
    dated = next(n for n in nodes if "statedOn" in n)
    assert isinstance(dated["statedOn"], str) and len(dated["statedOn"]) == 10
    claim = next(n for n in nodes if n.get("type") == "Assertion")
    assert {"claimant", "cue", "content", "isDirectQuote", "about"} <= set(claim)
    assert isinstance(claim["isDirectQuote"], bool)
    assert not any(key.startswith("http") for node in nodes for key in node)


def test_jsonld_expands_the_same_in_pyoxigraph(client: FlaskClient, store: GraphStore) -> None:
    document = json.loads(export(client, format="jsonld"))
    document["@context"][0] = context_document()["@context"]
    quads = list(ox.parse(json.dumps(document).encode(), ox.RdfFormat.JSON_LD))
    assert len(quads) == len(store)
    assert {q.graph_name.value for q in quads} == {str(g) for g in store.graph_names()}  # type: ignore[union-attr]


def test_context_covers_every_property_and_class_of_the_articles(store: GraphStore) -> None:
    """Article graphs' properties read as terms, their classes as terms or prefixed names (``sem:Place``
    beside ``schema:Place``); anything else in the store (the ontology's axioms) at least with a prefix."""
    compactor = Compactor(context_document()["@context"], instance_prefixes(BASE))
    rows = store.rows(
        "PREFIX schema: <https://schema.org/> SELECT DISTINCT ?p ?class WHERE { GRAPH ?g { "
        "?g a ?kind . VALUES ?kind { schema:NewsArticle schema:OpinionNewsArticle } ?s ?p ?o "
        "OPTIONAL { ?s a ?class } } }"
    )
    properties = {r["p"] for r in rows} - {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    untermed = {p for p in properties if ":" in compactor.key(p)[0]}
    assert not untermed, f"give these properties a term in ontology/context.jsonld: {sorted(untermed)}"
    classes = {compactor.iri(r["class"], vocab=True) for r in rows if "class" in r}
    assert {"Meeting", "Assertion", "Actor", "Person", "OffsetBasedString", "OpinionNewsArticle"} <= classes
    assert not [c for c in classes if c.startswith("http")]
    for row in store.rows("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        assert not compactor.key(row["p"])[0].startswith("http"), f"{row['p']} has no term and no prefix"


def test_context_terms_are_unique_and_served(client: FlaskClient) -> None:
    context = context_document()["@context"]
    compactor = Compactor(context)
    assert len({t.name for t in compactor.terms.values()}) == len(compactor.terms)
    for path in ("/context.jsonld", "/context/v1.jsonld"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/ld+json"
        assert response.get_json() == context_document()
    assert client.get("/context.jsonld").headers["Link"] == f'<{context_url(BASE)}>; rel="canonical"'
    assert client.get("/context/v9.jsonld").status_code == 404
    assert context_url(BASE).endswith(f"/context/v{context_document()['version']}.jsonld")


# -- web: names, gzip, errors, streaming ----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "filename"),
    [
        ({}, "kgservice-all.trig"),
        ({"format": "nquads"}, "kgservice-all.nq"),
        ({"format": "turtle", "graph": ARTICLE}, f"kgservice-{ARTICLE}.ttl"),
        ({"format": "jsonld", "from": "2018-09-01", "to": "2018-09-30"}, "kgservice-2018-09-01_2018-09-30.jsonld"),
        ({"format": "rdfxml", "from": "2018-09-01"}, "kgservice-from-2018-09-01.rdf"),
        ({"format": "ntriples", "to": "2018-09-30"}, "kgservice-to-2018-09-30.nt"),
        ({"format": "nq", "gzip": "1"}, "kgservice-all.nq.gz"),
    ],
)
def test_attachment_names(client: FlaskClient, params: dict[str, str], filename: str) -> None:
    response = client.get("/export", query_string=params)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.is_streamed


def test_date_range_holds_the_articles_published_in_it(client: FlaskClient, store: GraphStore) -> None:
    published = {r["article"]: r["published"] for r in store.rows(load_query("articles-published").text)}
    assert published[f"{BASE}id/article/{ARTICLE}"] == "2018-09-11"
    september = as_dataset(export(client, format="nquads", **{"from": "2018-09-01", "to": "2018-09-30"}), "nquads")
    assert sorted(september) == sorted(a for a, day in published.items() if "2018-09-01" <= day <= "2018-09-30")
    assert export(client, format="nquads", **{"from": "2030-01-01"}) == b""
    assert json.loads(export(client, format="jsonld", to="1990-01-01"))["@graph"] == []


def test_gzip_by_accept_encoding_and_by_parameter(client: FlaskClient) -> None:
    plain = export(client, format="nquads")
    encoded = client.get("/export", query_string={"format": "nquads"}, headers={"Accept-Encoding": "gzip, deflate"})
    assert encoded.headers["Content-Encoding"] == "gzip" and encoded.mimetype == "application/n-quads"
    assert encoded.headers["Content-Disposition"].endswith('.nq"')
    assert "Accept-Encoding" in encoded.headers["Vary"]
    assert gzip.decompress(encoded.data) == plain
    packed = client.get("/export", query_string={"format": "nquads", "gzip": "1"}, headers={"Accept-Encoding": "gzip"})
    assert packed.mimetype == "application/gzip" and "Content-Encoding" not in packed.headers
    assert gzip.decompress(packed.data) == plain
    assert len(packed.data) < len(plain) / 5


def test_format_by_accept(client: FlaskClient) -> None:
    response = client.get("/export", headers={"Accept": "application/n-quads"})
    assert response.mimetype == "application/n-quads"
    assert client.get("/export", headers={"Accept": "text/html"}).mimetype == "application/trig"


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"format": "csv"}, 400, "trig, nquads, turtle, ntriples, jsonld, rdfxml"),
        ({"graph": "no-such-article"}, 404, "no graph"),
        ({"graph": "http://example.org/nothing"}, 404, "no graph"),
        ({"graph": "http://exa mple.org/"}, 400, "not an IRI"),
        ({"from": "11/09/2018"}, 400, "ISO date"),
        ({"to": "2018-02-30"}, 400, "ISO date"),
        ({"from": "2018-10-01", "to": "2018-09-01"}, 400, "empty"),
        ({"graph": ARTICLE, "from": "2018-09-01"}, 400, "not both"),
        ({"gzip": "please"}, 400, "gzip"),
        ({"fromat": "trig"}, 400, "unknown parameter fromat"),
    ],
)
def test_bad_parameters_are_clear_errors(client: FlaskClient, params: dict[str, str], status: int, words: str) -> None:
    response = client.get("/export", query_string=params, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert words in response.get_json()["message"]


def test_the_writer_stops_when_the_reader_does() -> None:
    written = threading.Event()

    def endless(out: io.RawIOBase) -> None:
        while True:
            out.write(b"x" * 1000)
            written.set()

    chunks = dumps.piped(endless)  # type: ignore[arg-type]
    assert next(chunks) == b"x" * 1000 and written.is_set()
    before = {t for t in threading.enumerate() if t.name == "kgservice-dump"}
    assert before
    chunks.close()
    deadline = time.monotonic() + 5
    while any(t.is_alive() for t in before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.is_alive() for t in before)


def test_a_writer_error_reaches_the_reader() -> None:
    def broken(out: io.RawIOBase) -> None:
        out.write(b"start")
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(dumps.piped(broken))  # type: ignore[arg-type]


def test_pages_link_to_the_dataset_description(client: FlaskClient) -> None:
    import lxml.html

    page = lxml.html.fromstring(client.get("/timeline", headers={"Accept": "text/html"}).data)
    assert page.xpath("//head/link[@rel='describedby'][@href='/.well-known/void']")
    assert page.xpath("//footer//a[@href='/.well-known/void']")
    assert page.xpath("//footer//a[starts-with(@href, '/export')]")


# -- the command line and restoring dumps ------------------------------------------------------------


@pytest.fixture()
def cli_env(backend: Backend, seed_store: str, request: pytest.FixtureRequest) -> dict[str, str]:
    return {"KG_STORE": backend.copy_store(seed_store, request)}


def run(env: dict[str, str], *args: str) -> object:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_cli_formats_match_the_web_choices() -> None:
    assert FORMATS_EXPORT == dumps.FORMAT_NAMES


def test_cli_export_paths(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "a.nt"
    assert run(cli_env, "export", "--format", "ntriples", "--graph", ARTICLE, "-o", str(out)).exit_code == 0  # type: ignore[attr-defined]
    with GraphStore(cli_env["KG_STORE"]) as store:
        expected = store.graph(URIRef(f"{BASE}id/article/{ARTICLE}"))
    assert isomorphic(Graph().parse(out, format="nt"), expected)
    packed = tmp_path / "sept.trig.gz"
    args = ("export", "--from", "2018-09-01", "--to", "2018-09-30", "--gzip", "-o", str(packed))
    assert run(cli_env, *args).exit_code == 0  # type: ignore[attr-defined]
    assert {q.graph_name.value for q in ox.parse(gzip.decompress(packed.read_bytes()), ox.RdfFormat.TRIG)} == {  # type: ignore[union-attr]
        f"{BASE}id/article/{ARTICLE}"
    }
    stdout = run(cli_env, "export", "--format", "jsonld", "--graph", ARTICLE)
    assert json.loads(stdout.output)["@graph"][0]["id"] == f"article:{ARTICLE}"  # type: ignore[attr-defined]


def test_cli_export_errors(cli_env: dict[str, str]) -> None:
    missing = run(cli_env, "export", "--graph", "nope")
    assert missing.exit_code == 1 and "no graph" in missing.output  # type: ignore[attr-defined]
    bad = run(cli_env, "export", "--from", "yesterday")
    assert bad.exit_code == 2 and "ISO date" in bad.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["dump.trig", "dump.nq", "dump.trig.gz", "dump.nq.gz"])
def test_a_dump_restores_the_store(
    backend: Backend, request: pytest.FixtureRequest, cli_env: dict[str, str], tmp_path: Path, name: str
) -> None:
    fmt = "trig" if ".trig" in name else "nquads"
    dump = tmp_path / name
    args = ["export", "--format", fmt, "-o", str(dump)] + (["--gzip"] if name.endswith(".gz") else [])
    assert run(cli_env, *args).exit_code == 0  # type: ignore[attr-defined]
    fresh = {"KG_STORE": backend.new_store(request)}
    result = run(fresh, "ingest", str(dump))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    with GraphStore(cli_env["KG_STORE"]) as original:
        expected, quads = store_graphs(original), len(original)
    assert f"restored {len(expected)} graphs ({quads} quads) from 1 dump file, 0 failed" in result.output  # type: ignore[attr-defined]
    with GraphStore(fresh["KG_STORE"]) as restored:
        assert_same_graphs(store_graphs(restored), expected)


def test_restoring_replaces_only_the_graphs_in_the_dump(cli_env: dict[str, str], tmp_path: Path) -> None:
    article = f"{BASE}id/article/{ARTICLE}"
    dump = tmp_path / "one.nq"
    assert run(cli_env, "export", "--format", "nquads", "--graph", ARTICLE, "-o", str(dump)).exit_code == 0  # type: ignore[attr-defined]
    with GraphStore(cli_env["KG_STORE"]) as store:
        before = store_graphs(store)
        store.update(f"INSERT DATA {{ GRAPH <{article}> {{ <{article}> <http://e/p> 'added later' }} }}")
    folder = tmp_path / "backups"
    folder.mkdir()
    shutil.copy(dump, folder / "one.nq")
    result = run(cli_env, "ingest", str(folder))
    assert result.exit_code == 0 and "restored 1 graph (" in result.output  # type: ignore[attr-defined]
    assert "ingested" not in result.output  # type: ignore[attr-defined]
    with GraphStore(cli_env["KG_STORE"]) as store:
        assert_same_graphs(store_graphs(store), before)


def test_a_broken_dump_changes_nothing(
    backend: Backend, request: pytest.FixtureRequest, cli_env: dict[str, str], tmp_path: Path
) -> None:
    good, bad, notgz = tmp_path / "good.nq", tmp_path / "bad.trig", tmp_path / "fake.nq.gz"
    assert run(cli_env, "export", "--format", "nquads", "--graph", ARTICLE, "-o", str(good)).exit_code == 0  # type: ignore[attr-defined]
    text = good.read_text("utf-8")
    bad.write_text(f"<{BASE}id/article/{ARTICLE}> {{ <http://e/s> <http://e/p> . }}\n", "utf-8")
    notgz.write_bytes(b"plain text")
    fresh = {"KG_STORE": backend.new_store(request)}
    result = run(fresh, "ingest", str(bad), str(notgz), str(good))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert f"{bad}: not valid" in result.output and f"{notgz}: cannot read the dump" in result.output  # type: ignore[attr-defined]
    assert "restored 1 graph" in result.output and "2 failed" in result.output  # type: ignore[attr-defined]
    with GraphStore(fresh["KG_STORE"]) as store:
        assert len(store) == len(text.splitlines())


# -- a real Oxigraph server ------------------------------------------------------------------------


def post(url: str, body: bytes, content_type: str, accept: str = "*/*") -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type, "Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def timeline_rows(answer: bytes) -> list[tuple[tuple[str, str], ...]]:
    bindings = json.loads(answer)["results"]["bindings"]
    return sorted(tuple(sorted((k, v["value"]) for k, v in row.items())) for row in bindings)


def test_a_trig_dump_loads_into_oxigraph_server_and_answers_the_timeline_like_our_endpoint(
    backend: Backend, seed_store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    require("oxigraph")
    location = backend.copy_store(seed_store, request)
    query = load_query("timeline").text.encode()
    srj = "application/sparql-results+json"
    with serve(location, tmp_path / "gunicorn.log") as ours:
        with urllib.request.urlopen(f"{ours}/export?format=trig", timeout=60) as response:
            assert response.headers["Transfer-Encoding"] == "chunked"  # streamed, no Content-Length
            trig = response.read()
        expected = timeline_rows(post(f"{ours}/sparql", query, "application/sparql-query", srj))
    (tmp_path / "oxigraph").mkdir()
    with oxigraph_server(tmp_path / "oxigraph", "--union-default-graph") as url:
        theirs = url.removeprefix("sparql+").removesuffix("/query")
        post(f"{theirs}/store", trig, "application/trig")
        found = timeline_rows(post(f"{theirs}/query", query, "application/sparql-query", srj))
    assert expected and found == expected
