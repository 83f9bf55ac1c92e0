"""The web app on a store built from the seeds: timeline, SPARQL protocol, linked data, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kgservice.resources import all_queries
from kgservice.settings import load_settings
from kgservice.store import GraphStore
from kgservice.web import create_app
from tests.backends import VIRTUOSO_NO_TRIPLE_TERMS, Backend
from tests.conftest import running_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

pytestmark = [
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally (rdflib 7.x); not our code.
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]
SRJ = "application/sparql-results+json"
SD = "http://www.w3.org/ns/sparql-service-description#"
SELECT = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s a ?t } WHERE { SELECT DISTINCT ?s ?t WHERE { ?s a ?t } ORDER BY ?s ?t LIMIT 20 }"


def build_seed_store(location: str | Path) -> None:
    """Ingest the seed articles into a fresh store at ``location`` (a folder, or a ``sparql+http`` URL) and close it."""
    from kgservice.articles import read_file
    from kgservice.ingest import Ingester

    settings = load_settings({"KG_STORE": str(location)})
    store = GraphStore(settings.store)
    try:
        articles = [read_file(p)[0] for p in sorted(SEEDS.glob("*.txt"))]
        list(Ingester(store, settings).ingest_many(articles))
    finally:
        store.close()


@pytest.fixture(scope="module")
def app(backend: Backend, seed_store: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    with running_app(backend.copy_store(seed_store, request)) as application:
        yield application


def timeline(client: FlaskClient, **params: str) -> list[dict]:
    response = client.get("/timeline.json", query_string=params)
    assert response.status_code == 200
    return response.get_json()["events"]


def find(events: list[dict], prefix: str) -> list[dict]:
    return [e for e in events if e["label"].lower().startswith(prefix.lower())]


# -- timeline --------------------------------------------------------------------------------


def test_timeline_is_chronological(client: FlaskClient) -> None:
    events = timeline(client)
    keys = [e["earliest"] or e["latest"] for e in events]
    dated = [k for k in keys if k]
    assert dated == sorted(dated)
    assert all(k is None for k in keys[len(dated) :]), "undated events come last"
    labels = [e["label"] for e in events]
    interview = labels.index(find(events, "Interview")[0]["label"])
    sanders = labels.index("Statement by Sarah Huckabee Sanders")
    assert interview < sanders
    assert events[sanders]["earliest"] == "2018-09-10"


def test_timeline_shape(client: FlaskClient) -> None:
    event = timeline(client)[0]
    for key in (
        "id",
        "label",
        "class",
        "status",
        "earliest",
        "latest",
        "timex",
        "precision",
        "participants",
        "place",
        "sources",
        "assertions",
        "statuses",
        "disputed",
    ):
        assert key in event


def test_second_meeting_never_occurred_and_disagreement_shows(client: FlaskClient) -> None:
    seconds = [e for e in timeline(client) if e["label"].startswith("Second") and e["label"].endswith("meeting")]
    assert seconds
    for event in seconds:
        assert event["status"] in {"Planned", "Possible"}
        assert all(v["status"] != "Occurred" for v in event["statuses"])
    disputed = [e for e in seconds if e["disputed"]]
    assert disputed and len(disputed[0]["statuses"]) == 2
    assert disputed[0]["date"] == "planned, date unknown"


def test_timeline_filters(client: FlaskClient) -> None:
    trump = timeline(client, actor="trump")
    claimed = {
        b["e"]["value"]
        for b in client.get(
            "/sparql",
            query_string={
                "query": "SELECT ?e WHERE { ?a <https://w3id.org/kgservice/ns#about> ?e ; "
                "<http://www.w3.org/ns/prov#wasAttributedTo>/<http://www.w3.org/2000/01/rdf-schema#label> ?l "
                'FILTER(CONTAINS(LCASE(?l), "trump")) }'
            },
            headers={"Accept": SRJ},
        ).get_json()["results"]["bindings"]
    }
    assert trump and len(trump) < len(timeline(client))
    for event in trump:  # Trump takes part, or makes a claim about it
        assert any("trump" in p["label"].lower() for p in event["participants"]) or event["id"] in claimed
    assert all(e["class"] == "Meeting" for e in timeline(client, **{"class": "Meeting"}))
    planned = timeline(client, status="planned")
    assert planned and all(any(v["status"] == "Planned" for v in e["statuses"]) for e in planned)
    late = timeline(client, **{"from": "2018-09-01"})
    assert late and all((e["latest"] or e["earliest"]) >= "2018-09-01" for e in late)
    assert client.get("/timeline.json?from=someday").status_code == 400


def test_timelinejs(client: FlaskClient) -> None:
    data = client.get("/timeline.json?format=timelinejs").get_json()
    assert data["events"]
    for item in data["events"]:
        assert item["start_date"]["year"] and item["start_date"]["display_date"]
        assert item["text"]["headline"] and item["unique_id"]
    displays = {e["start_date"]["display_date"] for e in data["events"]}
    assert "Sept. 10, 2018" in displays and "summer 2018" in displays and "by Aug. 22, 2018" in displays


def test_timeline_page(client: FlaskClient) -> None:
    response = client.get("/timeline", headers={"Accept": "text/html"})
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.data)
    text = " ".join(doc.text_content().split())
    assert "Sept. 10, 2018" in text and "summer 2018" in text and "planned, date unknown" in text
    assert "Sources disagree" in text
    assert doc.xpath("//article[contains(@class, 'status-planned')]")
    assert doc.xpath("//form[@method='get']//input[@name='actor']")
    assert client.get("/").status_code == 302


def event_ids(html: bytes) -> list[str]:
    return lxml.html.fromstring(html).xpath("//ol[@id='event-list']/li/article/@id")


def test_timeline_pages_and_fragment(client: FlaskClient) -> None:
    everything = event_ids(client.get("/timeline").data)
    first = client.get("/timeline?per_page=4")
    second = client.get("/timeline?per_page=4&page=2")
    assert event_ids(first.data) == everything[:4] and event_ids(second.data) == everything[4:8]
    doc = lxml.html.fromstring(first.data)
    assert doc.xpath("//nav[@class='pager']//a[@rel='next']/@href") == ["/timeline?page=2&per_page=4"]
    assert f"of {len(everything)} events" in " ".join(doc.xpath("//p[@class='count']//text()"))
    fragment = client.get("/timeline?per_page=4", headers={"X-KG-Fragment": "events"})
    assert b"<html" not in fragment.data and event_ids(fragment.data) == everything[:4]
    assert "X-KG-Fragment" in fragment.headers["Vary"]
    axis = json.loads(lxml.html.fromstring(fragment.data).xpath("//script[@class='axis-data']/text()")[0])
    assert [e["id"] for e in axis["events"]] == everything[:4]
    for bad in ("page=0", "page=x", "per_page=100000"):
        assert client.get(f"/timeline?{bad}").status_code == 400


def test_claims_show_their_evidence_sentence(client: FlaskClient) -> None:
    doc = lxml.html.fromstring(client.get("/timeline?actor=John+Bolton").data)
    claims = doc.xpath("//blockquote[contains(@class, 'claim')]")
    assert claims and all("Bolton" in c.xpath("string(.//a[1])") for c in claims)
    marked = claims[0].xpath("string(.//p[@class='evidence']/mark)")
    sentence = claims[0].xpath("string(.//p[@class='evidence'])")
    assert marked and marked in sentence and len(sentence) > len(marked)


def test_resource_page_mentions_are_sentences(client: FlaskClient) -> None:
    page = lxml.html.fromstring(client.get("/id/actor/trump", headers={"Accept": "text/html"}).data)
    mentions = page.xpath("//ul[@class='mentions']/li")
    marks = [item.xpath("string(.//mark)") for item in mentions]
    assert any("Trump" in mark for mark in marks)  # others are "he", "the president"…
    for item, mark in zip(mentions, marks, strict=True):
        assert mark and len(item.xpath("string(.//p[@class='evidence'])")) > len(mark)


# -- SPARQL ----------------------------------------------------------------------------------


def parse_json_results(data: bytes) -> list[dict]:
    body = json.loads(data)
    assert "head" in body
    return body["results"]["bindings"]


def test_sparql_get_post_form_post_direct(client: FlaskClient) -> None:
    answers = [
        client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": SRJ}),
        client.post("/sparql", data={"query": SELECT}, headers={"Accept": SRJ}),
        client.post("/sparql", data=SELECT, content_type="application/sparql-query", headers={"Accept": SRJ}),
    ]
    for response in answers:
        assert response.status_code == 200
        assert response.mimetype == SRJ
        assert len(parse_json_results(response.data)) == 5
        assert response.headers["X-KG-Truncated"] == "false"


def test_sparql_xml_csv_tsv(client: FlaskClient) -> None:
    xml = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "application/sparql-results+xml"})
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert len(ElementTree.fromstring(xml.data).findall(f"{ns}results/{ns}result")) == 5
    got = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(got.data.decode())))
    assert rows[0] == ["s", "label"] and len(rows) == 6
    tsv = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/tab-separated-values"})
    lines = tsv.data.decode().splitlines()
    assert lines[0] == "?s\t?label" and len(lines) == 6 and lines[1].startswith("<http")


def test_sparql_ask(client: FlaskClient) -> None:
    got = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": SRJ})
    assert json.loads(got.data)["boolean"] is True
    got = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }", "format": "csv"})
    assert got.data.decode().split() == ["_askResult", "true"]


def test_sparql_construct_turtle_and_jsonld(client: FlaskClient) -> None:
    ttl = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/turtle"})
    assert ttl.mimetype == "text/turtle"
    assert len(Graph().parse(data=ttl.data, format="turtle")) == 20
    jsonld = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json"
    assert len(Graph().parse(data=jsonld.data, format="json-ld")) == 20


def test_sparql_dataset_parameters(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://schema.org/OpinionNewsArticle> }"
    graph = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"})
    names = [b["g"]["value"] for b in parse_json_results(graph.data) if "/id/article/" in b["g"]["value"]]
    one = client.get("/sparql", query_string={"query": query, "default-graph-uri": names[0]})
    both = client.get("/sparql", query_string={"query": query})
    assert parse_json_results(one.data)[0]["n"]["value"] == "1"
    assert parse_json_results(both.data)[0]["n"]["value"] == "2"


def test_sparql_row_limit_is_reported(app: Flask, client: FlaskClient) -> None:
    limited = create_app({"KG_STORE": app.config["KG"].store, "KG_MAX_ROWS": 3})
    limited.extensions["kgstore"] = app.extensions["kgstore"]  # one process, one open store
    response = limited.test_client().get("/sparql", query_string={"query": SELECT}, headers={"Accept": SRJ})
    assert response.headers["X-KG-Truncated"] == "true"
    assert response.headers["X-KG-Row-Limit"] == "3"
    assert len(parse_json_results(response.data)) == 3


def test_sparql_errors(client: FlaskClient) -> None:
    bad = client.get("/sparql", query_string={"query": "SELECT WHERE {"}, headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "error" in bad.get_json()["message"].lower()
    update = client.get("/sparql", query_string={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert update.status_code == 400 and b"/sparql/update" in update.data
    update = client.post("/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert update.status_code == 400
    assert client.put("/sparql", data="x").status_code == 405
    wrong = client.post("/sparql", data="{}", content_type="application/json")
    assert wrong.status_code == 415
    refused = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "image/png"})
    assert refused.status_code == 406
    refused = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert refused.status_code == 406


def test_service_description(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    services = list(graph.subjects(RDF.type, URIRef(SD + "Service")))
    assert services
    assert (services[0], URIRef(SD + "feature"), URIRef(SD + "UnionDefaultGraph")) in graph
    assert client.get("/sparql").mimetype == "text/turtle"


def test_sparql_html_page_and_table(client: FlaskClient) -> None:
    page = client.get("/sparql", headers={"Accept": "text/html"})
    doc = lxml.html.fromstring(page.data)
    assert doc.xpath("//textarea[@name='query']") and doc.xpath("//select[@id='example']/option[@data-query]")
    table = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/html,*/*;q=0.8"})
    doc = lxml.html.fromstring(table.data)
    assert len(doc.xpath("//section[@class='results']//tbody/tr")) == 5
    assert doc.xpath("//section[@class='results']//td/a[contains(@href, '/id/')]")
    assert {a.text for a in doc.xpath("//p[@class='downloads']/a")} == {"JSON", "XML", "CSV", "TSV"}


@pytest.mark.fails_on("virtuoso", reason=VIRTUOSO_NO_TRIPLE_TERMS)
def test_triple_terms_in_results(client: FlaskClient) -> None:
    """SPARQL 1.2 triple terms: JSON results as SPARQL-star writes them, text in the HTML table."""
    query = 'SELECT ?t WHERE { BIND(TRIPLE(<http://example.org/s>, <http://example.org/p>, "o") AS ?t) }'
    answer = client.get("/sparql", query_string={"query": query}, headers={"Accept": SRJ})
    (row,) = parse_json_results(answer.data)
    assert row["t"] == {
        "type": "triple",
        "value": {
            "subject": {"type": "uri", "value": "http://example.org/s"},
            "predicate": {"type": "uri", "value": "http://example.org/p"},
            "object": {"type": "literal", "value": "o"},
        },
    }
    page = client.get("/sparql", query_string={"query": query, "format": "html"})
    assert page.status_code == 200
    (cell,) = lxml.html.fromstring(page.data).xpath("//section[@class='results']//tbody/tr/td")
    assert "http://example.org/s" in cell.text_content() and '"o"' in cell.text_content()


@pytest.mark.parametrize("named", [q for q in all_queries()], ids=lambda q: q.name)
def test_every_named_query_runs(client: FlaskClient, named) -> None:
    response = client.get("/sparql", query_string={"query": named.text}, headers={"Accept": SRJ})
    assert response.status_code == 200, response.data
    rows = parse_json_results(response.data)
    if not named.name.startswith("resolve-"):
        assert rows, f"{named.name} returns no rows on the seed graph"


# -- linked data -----------------------------------------------------------------------------


def test_actor_page_html_and_turtle(client: FlaskClient) -> None:
    html = client.get("/id/actor/trump", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    doc = lxml.html.fromstring(html.data)
    assert doc.xpath("//h1")[0].text_content().strip() == "Trump"
    assert doc.xpath("//link[@rel='alternate'][@type='text/turtle']")
    assert 'rel="alternate"' in html.headers["Link"]
    for response in (
        client.get("/id/actor/trump", headers={"Accept": "text/turtle"}),
        client.get("/id/actor/trump.ttl"),
    ):
        assert response.mimetype == "text/turtle"
        graph = Graph().parse(data=response.data, format="turtle")
        subject = URIRef("http://127.0.0.1:8000/id/actor/trump")
        assert (subject, RDF.type, URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/Actor")) in graph
    for suffix, fmt in (("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")):
        assert len(Graph().parse(data=client.get(f"/id/actor/trump.{suffix}").data, format=fmt)) > 3


def test_unknown_resource_is_404(client: FlaskClient) -> None:
    assert client.get("/id/actor/nobody-at-all", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/id/actor/nobody-at-all.ttl").status_code == 404
    assert client.get("/id/planet/earth").status_code == 404
    missing = client.get("/id/actor/nobody-at-all", headers={"Accept": "application/json"})
    assert missing.get_json()["status"] == 404


def test_ontology(client: FlaskClient) -> None:
    html = client.get("/ontology", headers={"Accept": "text/html"})
    assert b"kg:Meeting" in html.data
    ttl = client.get("/ontology.ttl")
    assert len(Graph().parse(data=ttl.data, format="turtle")) > 50


def test_healthz(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["store"]["graphs"] >= 2 and body["store"]["triples"] > 100


def test_healthz_unavailable(backend: Backend, tmp_path: Path) -> None:
    response = create_app({"KG_STORE": backend.unreachable(tmp_path)}).test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def resource_pages(client: FlaskClient) -> list[str]:
    events = timeline(client)
    pages = ["/timeline", "/sparql", f"/sparql?query={quote(SELECT)}", "/ontology", "/id/actor/trump"]
    pages.append(events[0]["id"].replace("http://127.0.0.1:8000", ""))
    pages.append(events[-1]["sources"][0].replace("http://127.0.0.1:8000", ""))
    pages += [a.replace("http://127.0.0.1:8000", "") for e in events for a in e["assertions"]][:1]
    return pages


def test_html_pages_parse_and_load_nothing_from_outside(client: FlaskClient) -> None:
    for path in resource_pages(client):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        doc = lxml.html.fromstring(response.data)
        assert doc.xpath("//nav//a"), path
        refs = doc.xpath("//script/@src | //link[@rel='stylesheet']/@href | //img/@src | //iframe/@src")
        refs += doc.xpath("//link[@rel='preload']/@href | //link[@rel='icon']/@href")
        assert refs, path
        assert not [r for r in refs if r.startswith(("http:", "https:", "//"))], path
        assert b"<script>" not in response.data


def test_static_files_are_served(client: FlaskClient) -> None:
    for name in ("style.css", "sparql.js"):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200


# -- errors and import hygiene ---------------------------------------------------------------


def test_unexpected_error_is_a_plain_500(app: Flask) -> None:
    broken = create_app({"KG_STORE": app.config["KG"].store})

    @broken.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    for accept in ("text/html", "application/json"):
        response = broken.test_client().get("/boom", headers={"Accept": accept})
        assert response.status_code == 500
        assert b"secret internal detail" not in response.data and b"Traceback" not in response.data


def test_web_does_not_import_spacy() -> None:
    code = (
        "import sys, kgservice.web, kgservice.web.sparql, kgservice.web.timeline, kgservice.web.linkeddata, "
        "kgservice.web.health, kgservice.web.articles, kgservice.web.reconcile, kgservice.web.dataset, "
        "kgservice.timeline; kgservice.web.create_app(); "
        "print('spacy' in sys.modules, 'kgservice.extract' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]
