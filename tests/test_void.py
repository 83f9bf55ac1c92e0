"""``/.well-known/void``: it parses in every format, and each of its counts equals a count made here.

The expected numbers are counted in Python over the store's quads, not with the SPARQL
queries the description runs, so a wrong query shows up as a wrong number.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID, XSD

from kgservice.export import FORMATS
from kgservice.settings import load_settings
from kgservice.store import GraphStore, iter_quads
from kgservice.void import LINK_TARGETS, Publication, statistics, void_graph
from tests.backends import Backend
from tests.conftest import running_app

pytestmark = [
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally (rdflib 7.x); not our code.
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]
BASE = load_settings().base_uri
DATASET = URIRef(f"{BASE}.well-known/void#dataset")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = Namespace("https://schema.org/")
KG = Namespace("https://w3id.org/kgservice/ns#")
PROV = Namespace("http://www.w3.org/ns/prov#")
ACTOR = f"{BASE}id/actor/"
LINKS = f"""INSERT DATA {{
  GRAPH <{BASE}id/links/test> {{
    <{ACTOR}donald-trump> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q22686> .
    <{ACTOR}kim-jong-un> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q56226> .
    <{ACTOR}singapore> <http://www.w3.org/2002/07/owl#sameAs> <https://sws.geonames.org/1880251/> .
    <{ACTOR}singapore> <http://www.w3.org/2002/07/owl#sameAs> <http://example.org/elsewhere> .
  }}
  GRAPH <{BASE}id/links/again> {{
    <{ACTOR}donald-trump> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q22686> .
  }}
}}"""


@pytest.fixture(scope="module")
def app(backend: Backend, seed_store: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    location = backend.copy_store(seed_store, request)
    with GraphStore(location) as store:
        store.update(LINKS)  # links into Wikidata (one twice) and GeoNames, none into DBpedia
    with running_app(location) as application:
        yield application


def description(client: FlaskClient, accept: str = "text/turtle", fmt: str = "turtle") -> Graph:
    response = client.get("/.well-known/void", headers={"Accept": accept})
    assert response.status_code == 200, response.data
    return Graph().parse(data=response.data, format=fmt)


def value(graph: Graph, subject: object, predicate: URIRef) -> object:
    found = list(graph.objects(subject, predicate))  # type: ignore[arg-type]
    assert len(found) == 1, (subject, predicate, found)
    return found[0].toPython() if isinstance(found[0], Literal) else found[0]


def test_counts_equal_what_is_counted_here(client: FlaskClient, store: GraphStore) -> None:
    quads = list(iter_quads(store))
    triples = {(s, p, o) for s, p, o, _ in quads}
    void = description(client)
    assert value(void, DATASET, VOID.triples) == len(triples)
    assert value(void, DATASET, VOID.distinctSubjects) == len({s for s, _, _ in triples})
    assert value(void, DATASET, VOID.distinctObjects) == len({o for _, _, o in triples})
    assert value(void, DATASET, VOID.properties) == len({p for _, p, _ in triples})
    own = {s for s, _, _ in triples if isinstance(s, URIRef) and str(s).startswith(f"{BASE}id/")}
    assert value(void, DATASET, VOID.entities) == len(own)
    articles = {
        g for s, p, o, g in quads if s == g and p == RDF.type and o in (SCHEMA.NewsArticle, SCHEMA.OpinionNewsArticle)
    }
    assert value(void, DATASET, VOID.documents) == len(articles) == 2


def test_class_and_property_partitions(client: FlaskClient, store: GraphStore) -> None:
    triples = {(s, p, o) for s, p, o, _ in iter_quads(store)}
    void = description(client)
    classes = {
        str(value(void, part, VOID["class"])): value(void, part, VOID.entities)
        for part in void.objects(DATASET, VOID.classPartition)
    }
    instances = Counter(o for _, p, o in triples if p == RDF.type)
    assert classes == {str(c): n for c, n in instances.items()}
    assert value(void, DATASET, VOID.classes) == len(instances)
    by_property: dict[object, list[tuple[object, object]]] = defaultdict(list)
    for s, p, o in triples:
        by_property[p].append((s, o))
    for part in void.objects(DATASET, VOID.propertyPartition):
        pairs = by_property.pop(URIRef(str(value(void, part, VOID.property))))
        assert value(void, part, VOID.triples) == len(pairs)
        assert value(void, part, VOID.distinctSubjects) == len({s for s, _ in pairs})
        assert value(void, part, VOID.distinctObjects) == len({o for _, o in pairs})
    assert not by_property, "every property has a partition"


def test_linksets_count_distinct_sameas_links_per_target(client: FlaskClient) -> None:
    void = description(client)
    linksets = {
        str(value(void, value(void, linkset, VOID.objectsTarget), VOID.uriSpace)): value(void, linkset, VOID.triples)
        for linkset in void.subjects(RDF.type, VOID.Linkset)
    }
    assert linksets == {"http://www.wikidata.org/entity/": 2, "https://sws.geonames.org/": 1}
    for linkset in void.subjects(RDF.type, VOID.Linkset):
        assert (DATASET, VOID.subset, linkset) in void
        assert value(void, linkset, VOID.linkPredicate) == OWL.sameAs
        assert value(void, linkset, VOID.subjectsTarget) == DATASET


def test_dates_licence_publisher_and_access(client: FlaskClient, store: GraphStore) -> None:
    void = description(client)
    runs = [o for _, p, o, _ in iter_quads(store) if p == PROV.startedAtTime]
    assert runs and value(void, DATASET, DCTERMS.created) == min(r.toPython() for r in runs)
    assert value(void, DATASET, DCTERMS.modified) == max(r.toPython() for r in runs)
    created = next(void.objects(DATASET, DCTERMS.created))
    assert isinstance(created, Literal) and created.datatype == XSD.dateTime
    assert value(void, DATASET, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    publisher = next(void.objects(DATASET, DCTERMS.publisher))
    assert (publisher, RDF.type, FOAF.Agent) in void
    assert value(void, DATASET, VOID.uriSpace) == f"{BASE}id/"
    assert value(void, DATASET, VOID.sparqlEndpoint) == URIRef(f"{BASE}sparql")
    assert {(DATASET, RDF.type, VOID.Dataset), (DATASET, RDF.type, DCAT.Dataset)} <= set(void)
    assert {str(v) for v in void.objects(DATASET, VOID.vocabulary)} >= {str(KG), "https://schema.org/"}


def test_every_dump_is_a_distribution_that_downloads(client: FlaskClient) -> None:
    void = description(client)
    dumps = {str(d) for d in void.objects(DATASET, VOID.dataDump)}
    assert dumps == {f"{BASE}export?format={f.key}" for f in FORMATS}
    for distribution in void.objects(DATASET, DCAT.distribution):
        url = str(value(void, distribution, DCAT.downloadURL))
        media_type = str(value(void, distribution, DCAT.mediaType)).rsplit("media-types/", 1)[1]
        response = client.get(url.removeprefix(BASE.rstrip("/")))
        assert response.status_code == 200 and response.mimetype == media_type
        assert value(void, distribution, DCTERMS.format) == media_type


@pytest.mark.parametrize(
    ("accept", "fmt", "mimetype"),
    [
        ("application/ld+json", "json-ld", "application/ld+json"),
        ("application/n-triples", "nt", "application/n-triples"),
        ("application/rdf+xml", "xml", "application/rdf+xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "turtle", "text/turtle"),
        ("", "turtle", "text/turtle"),
    ],
)
def test_formats_by_accept(client: FlaskClient, accept: str, fmt: str, mimetype: str) -> None:
    response = client.get("/.well-known/void", headers={"Accept": accept} if accept else {})
    assert response.mimetype == mimetype
    assert isomorphic(Graph().parse(data=response.data, format=fmt), description(client))


def test_the_description_follows_writes(client: FlaskClient, store: GraphStore) -> None:
    before = value(description(client), DATASET, VOID.triples)
    store.update(f"INSERT DATA {{ GRAPH <{BASE}id/links/later> {{ <{ACTOR}x> <http://e/p> 'new' }} }}")
    try:
        assert value(description(client), DATASET, VOID.triples) == before + 1  # type: ignore[operator]
    finally:
        # not DROP GRAPH, which Virtuoso refuses for a graph that no CREATE GRAPH made
        store.delete_graph(URIRef(f"{BASE}id/links/later"))


def test_licence_and_publisher_from_settings(store: GraphStore) -> None:
    stats = statistics(store.rows, BASE)
    named = void_graph(stats, Publication(BASE, "https://example.org/licence", "Example News Lab"))
    assert value(named, DATASET, DCTERMS.license) == URIRef("https://example.org/licence")
    agent = next(named.objects(DATASET, DCTERMS.publisher))
    assert value(named, agent, FOAF.name) == "Example News Lab"
    by_iri = void_graph(stats, Publication(BASE, "https://example.org/licence", "https://example.org/lab"))
    assert value(by_iri, DATASET, DCTERMS.publisher) == URIRef("https://example.org/lab")


def test_link_targets_match_the_linkset_query() -> None:
    from kgservice.resources import load_query

    text = load_query("void-linksets").text
    assert all(f'"{target.namespace}"' in text for target in LINK_TARGETS)
    assert text.count('"http') == len(LINK_TARGETS)


def test_description_settings() -> None:
    settings = load_settings(environ={"KG_PUBLISHER": "A newsroom"})
    assert settings.publisher == "A newsroom"
    assert settings.data_license == "https://creativecommons.org/licenses/by/4.0/"
