"""The store and the article graphs: Oxigraph runs every query, writes are atomic, graphs conform."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.sparql import processor

from kgservice.articles import read_file
from kgservice.errors import QuerySyntaxError, StoreError
from kgservice.ingest import Ingester
from kgservice.resolve import EventIndex, PersonIndex, StoreLookups
from kgservice.resources import resource_dir
from kgservice.settings import load_settings
from kgservice.store import GraphStore
from tests.backends import VIRTUOSO_DROP, VIRTUOSO_NOT_ATOMIC

G1 = URIRef("http://example.org/g1")
G2 = URIRef("http://example.org/g2")


@pytest.fixture(scope="module")
def seeded(backend, request, seeds):
    settings = load_settings({"KG_STORE": backend.new_store(request)})
    store = GraphStore(settings.store)
    ingester = Ingester(store, settings)
    results = list(ingester.ingest_many([read_file(p)[0] for p in sorted(seeds.glob("*.txt"))]))
    yield store, results
    store.close()


@pytest.fixture()
def store(backend, request):
    with GraphStore(backend.new_store(request)) as s:
        yield s


def small_graph(name: URIRef, n: int) -> Graph:
    graph = Graph(identifier=name)
    for i in range(n):
        graph.add((URIRef(f"http://example.org/s{i}"), URIRef("http://example.org/p"), Literal(i)))
    return graph


def test_queries_run_on_oxigraph_not_rdflib(store, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rdflib's SPARQL engine was used")

    monkeypatch.setattr(processor.SPARQLProcessor, "query", refuse)
    store.replace_graph(G1, small_graph(G1, 3))
    rows = list(store.query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"))
    assert len(rows) == 3


def test_bindings_are_terms_not_text(store):
    store.replace_graph(G1, small_graph(G1, 3))
    query = "SELECT ?o ?s WHERE { ?s <http://example.org/p> ?o }"
    assert [str(r.s) for r in store.query(query, bindings={"o": Literal(1)})] == ["http://example.org/s1"]
    hostile = Literal('1" } ?s ?p ?o { "')
    assert list(store.query(query, bindings={"o": hostile})) == []


@pytest.mark.fails_on("virtuoso", reason=VIRTUOSO_DROP)
def test_replace_is_atomic_and_scoped(store):
    store.replace_graph(G1, small_graph(G1, 3))
    store.replace_graph(G2, small_graph(G2, 2))
    store.replace_graph(G1, small_graph(G1, 1))
    assert len(store.graph(G1)) == 1 and len(store.graph(G2)) == 2
    with pytest.raises(Exception, match="(?i)exist"):
        store.update(f"DROP GRAPH <{G1}> ; CREATE GRAPH <{G2}>")
    assert len(store.graph(G1)) == 1, "a failed update must leave nothing half done"


@pytest.mark.fails_on("virtuoso", reason=VIRTUOSO_NOT_ATOMIC)
def test_an_update_that_fails_half_way_changes_nothing(store):
    store.update(f"CREATE GRAPH <{G2}>")
    with pytest.raises(Exception, match="(?i)exist|created"):
        store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <{G1}> <{G1}> 1 }} }} ; CREATE GRAPH <{G2}>")
    assert not store.has_graph(G1), "the first operation of a failed update must not stay"


@pytest.mark.embedded_only("a server gets one update per graph: each graph is whole, the set is not")
def test_added_graphs_are_written_all_together_or_not_at_all(store):
    broken = '<http://example.org/s> <http://example.org/p> "no closing quote .\n'
    with pytest.raises(SyntaxError):
        store.add_graphs([(str(G1), small_graph(G1, 3).serialize(format="nt")), (str(G2), broken)])
    assert store.graph_names() == [], "a failed batch must leave no graph of it"
    store.add_graphs(
        [(str(G1), small_graph(G1, 3).serialize(format="nt")), (str(G2), small_graph(G2, 2).serialize(format="nt"))]
    )
    assert len(store.graph(G1)) == 3 and len(store.graph(G2)) == 2


def test_adding_a_graph_that_exists_replaces_it(store):
    store.replace_graph(G1, small_graph(G1, 5))
    store.add_graphs(
        [(str(G1), small_graph(G1, 2).serialize(format="nt")), (str(G2), small_graph(G2, 1).serialize(format="nt"))]
    )
    assert len(store.graph(G1)) == 2 and len(store.graph(G2)) == 1


def test_delete_graph(store):
    store.replace_graph(G1, small_graph(G1, 3))
    store.replace_graph(G2, small_graph(G2, 2))
    assert store.delete_graph(G1) is True
    assert store.graph_names() == [G2]
    assert store.delete_graph(G1) is False


def test_syntax_error_is_a_query_error(store):
    with pytest.raises(QuerySyntaxError):
        store.query("SELECT WHERE {")


@pytest.mark.embedded_only("a store folder is opened by one process at a time (RocksDB's lock)")
def test_second_open_reports_the_lock(tmp_path):
    with GraphStore(str(tmp_path / "s")), pytest.raises(StoreError, match="in use"):
        GraphStore(str(tmp_path / "s"))


def test_an_unreachable_remote_store_is_a_clear_error():
    from tests.live import free_port

    store = GraphStore(f"sparql+http://127.0.0.1:{free_port()}/query")
    with pytest.raises(StoreError, match="cannot reach the SPARQL server"):
        store.has_graph(URIRef("urn:kg:g")) or store.rows("SELECT * WHERE { ?s ?p ?o }")


def test_seed_graphs_conform_to_shapes(seeded):
    store, results = seeded
    shapes = Graph().parse(resource_dir("ontology") / "shapes.ttl", format="turtle")
    for result in results:
        conforms, _, report = validate(store.graph(result.article), shacl_graph=shapes, inference="none")
        assert conforms, report


def test_the_person_index_answers_as_the_person_query(seeded):
    """A bulk ingest looks persons up in an index; it must give what the SPARQL query gives."""
    store, _ = seeded
    index = PersonIndex.of(store)
    labels = [row["label"].lower() for row in store.rows(PersonIndex.QUERY)]
    names = {word for label in labels for word in label.split(" ")} | {"", "x", "ß", label_of_one(labels)}
    names |= {label.rsplit(" ", 1)[0] for label in labels if label.count(" ") > 1}  # several words
    assert len(names) > 10
    assert any(" " in name and StoreLookups(store).persons_named(name) for name in names)
    for name in sorted(names):
        assert index.persons_named(name) == StoreLookups(store).persons_named(name), name


def test_the_event_index_answers_as_the_event_query(seeded):
    """A bulk ingest looks the waiting graphs' events up in an index; it must give what the SPARQL query gives."""
    store, results = seeded
    index = EventIndex()
    for result in results:
        index.add_graph(store.quads(graph=ox.NamedNode(str(result.article))))
    rows = store.rows(
        "PREFIX kg: <https://w3id.org/kgservice/ns#> PREFIX sem: <http://semanticweb.cs.vu.nl/2009/11/sem/>"
        " SELECT DISTINCT ?cls ?ordinal ?actor WHERE { GRAPH ?g { ?e a ?cls ; kg:ordinal ?ordinal ; sem:hasActor ?actor } }"
    )
    asked = {(row["cls"].rsplit("#", 1)[-1], int(row["ordinal"]), row["actor"]) for row in rows}
    asked |= {("Meeting", 7, actor) for _, _, actor in asked} | {("Statement", 1, "urn:nobody")}
    assert sum(1 for cls, ordinal, actor in asked if index.events_like(cls, ordinal, actor)) >= 2
    for cls, ordinal, actor in sorted(asked):
        expected = StoreLookups(store).events_like(cls, ordinal, actor)
        assert set(index.events_like(cls, ordinal, actor)) == set(expected), (cls, ordinal, actor)


def label_of_one(labels: list[str]) -> str:
    return next(label for label in labels if " " not in label)


def test_ontology_is_in_its_own_graph(seeded):
    store, _ = seeded
    ask = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    ASK { GRAPH <https://w3id.org/kgservice/ns> {
      <https://w3id.org/kgservice/ns#Meeting> rdfs:subClassOf <http://semanticweb.cs.vu.nl/2009/11/sem/Event> } }"""
    assert store.query(ask).askAnswer


def test_actors_are_shared_across_articles(seeded):
    store, _ = seeded
    rows = store.query("""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?a (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?a a <https://schema.org/Person> } }
        GROUP BY ?a HAVING (COUNT(DISTINCT ?g) > 1)""")
    shared = {str(r.a).rsplit("/", 1)[1] for r in rows}
    assert {"trump", "kim-jong-un"} <= shared


EVENTS_BY_ORDINAL = """PREFIX kg: <https://w3id.org/kgservice/ns#>
    SELECT ?e (COUNT(DISTINCT ?g) AS ?sources) WHERE { GRAPH ?g { ?e a kg:Meeting ; kg:ordinal %d } } GROUP BY ?e"""


@pytest.mark.parametrize("order", [1, -1], ids=["editorial-first", "op-ed-first"])
def test_same_real_world_meetings_get_one_iri_across_articles(backend, request, seeds, order):
    settings = load_settings({"KG_STORE": backend.new_store(request)})
    with GraphStore(settings.store) as store:
        ingester = Ingester(store, settings)
        for path in sorted(seeds.glob("*.txt"))[::order]:
            ingester.ingest(read_file(path)[0])
        first = store.query(EVENTS_BY_ORDINAL % 1)
        second = store.query(EVENTS_BY_ORDINAL % 2)
        assert [int(r.sources) for r in first] == [2]  # the earlier summit: one event, two sources
        assert [int(r.sources) for r in second] == [2]  # the planned second meeting
        assert {str(r.e) for r in first}.isdisjoint(str(r.e) for r in second)
        statuses = store.query(
            "PREFIX kg: <https://w3id.org/kgservice/ns#> SELECT ?s WHERE { GRAPH ?g { ?e kg:ordinal 2 ; kg:status ?s } }"
        )
        assert all(str(r.s).rsplit("#", 1)[1] in {"Planned", "Possible"} for r in statuses)
