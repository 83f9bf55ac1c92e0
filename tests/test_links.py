"""Links out: GeoNames for places, the alignment table for anyone, each source in its own named graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import OWL

from kgservice.cli import main
from kgservice.errors import InputError
from kgservice.links import cities_by_name, normalise, read_alignments
from kgservice.settings import load_settings
from kgservice.store import GraphStore
from tests.backends import Backend

GEONAMES = "https://sws.geonames.org/"
BOLTON = URIRef("http://dbpedia.org/resource/John_Bolton")


def run(env: dict[str, str], *args: str):
    return CliRunner(mix_stderr=False).invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def ingested(
    backend: Backend, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeds: Path
) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("links")
    mine = folder / "mine.csv"
    mine.write_text("label,iri,type,note\nJohn Bolton,http://dbpedia.org/resource/John_Bolton,Person,test entry\n")
    env = {"KG_STORE": backend.new_store(request), "KG_ALIGNMENT": str(mine)}
    assert run(env, "ingest", str(seeds)).exit_code == 0
    return env


def same_as(env: dict[str, str], graph: str) -> dict[str, set[str]]:
    base = load_settings().base_uri
    with GraphStore(env["KG_STORE"]) as store:
        found: dict[str, set[str]] = {}
        for row in store.rows(f"SELECT ?s ?o WHERE {{ GRAPH <{base}id/links/{graph}> {{ ?s <{OWL.sameAs}> ?o }} }}"):
            found.setdefault(row["s"].rsplit("/", 1)[-1], set()).add(row["o"])
        return found


def test_countries_carry_geonames_links(ingested: dict[str, str]) -> None:
    links = same_as(ingested, "geonames")
    for actor, geonames_id in (("north-korea", "1873107"), ("united-states", "6252001"), ("singapore", "1880251")):
        assert links.get(actor) == {f"{GEONAMES}{geonames_id}/"}, actor
    assert not any(
        actor in links for actor in ("trump", "reuters", "kim-jong-un")
    )  # people and newsrooms are no places


def test_an_alignment_entry_shows_in_the_export_with_its_provenance(ingested: dict[str, str], tmp_path: Path) -> None:
    assert str(BOLTON) in same_as(ingested, "alignment")["john-bolton"]
    dump = tmp_path / "dump.trig"
    assert run(ingested, "export", "--format", "trig", "-o", str(dump)).exit_code == 0
    quads = list(ox.parse(path=str(dump), format=ox.RdfFormat.TRIG))  # rdflib 7.6's TriG parser warns
    base = load_settings().base_uri
    graph = ox.NamedNode(f"{base}id/links/alignment")
    actor, same = ox.NamedNode(f"{base}id/actor/john-bolton"), ox.NamedNode(str(OWL.sameAs))
    assert ox.Quad(actor, same, ox.NamedNode(str(BOLTON)), graph) in quads
    notes = [q.object.value for q in quads if q.graph_name == graph and q.subject == ox.NamedNode(str(BOLTON))]
    assert notes and "mine.csv, line 2" in notes[0]
    sources = [q.object.value for q in quads if q.subject == graph and q.predicate.value.endswith("/source")]
    assert any(s.endswith("mine.csv") for s in sources)


def test_deleting_an_article_drops_links_it_alone_supported(
    backend: Backend, request: pytest.FixtureRequest, ingested: dict[str, str]
) -> None:
    copy = {**ingested, "KG_STORE": backend.copy_store(ingested["KG_STORE"], request)}
    with GraphStore(copy["KG_STORE"]) as store:
        rows = store.rows(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> 'John Bolton' } }"
        )
    articles = [r["g"] for r in rows if "/id/article/" in r["g"]]
    for article in articles:
        assert run(copy, "delete", article).exit_code == 0
    assert "john-bolton" not in same_as(copy, "alignment")


def test_names_compare_without_case_accents_or_hyphens() -> None:
    assert normalise("Kim Jong-un") == normalise("KIM  Jong Un") == "kim jong un"
    assert normalise("São Paulo") == "sao paulo"
    assert "pyongyang" in cities_by_name() and "springfield" not in cities_by_name()  # several Springfields


def test_a_bad_alignment_file_is_a_clear_error(tmp_path: Path, seeds: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("label,iri,type\nSomeone,not-an-iri,Person\n")
    with pytest.raises(InputError, match="bad.csv, line 2"):
        read_alignments([bad])
    env = {"KG_STORE": str(tmp_path / "kg"), "KG_ALIGNMENT": str(tmp_path / "missing.csv")}
    result = run(env, "ingest", str(seeds))
    assert result.exit_code == 2 and "missing.csv" in result.stderr and "Traceback" not in result.stderr


def test_the_links_graph_dereferences(ingested: dict[str, str]) -> None:
    from tests.conftest import running_app

    with running_app(ingested["KG_STORE"]) as app:
        page = app.test_client().get("/id/links/geonames", headers={"Accept": "text/turtle"})
        assert page.status_code == 200 and b"prov:wasGeneratedBy" in page.data


def test_reconciliation_links_from_a_second_instance(
    backend: Backend, request: pytest.FixtureRequest, seed_store: str, tmp_path: Path, seeds: Path
) -> None:
    from tests.live import free_port, serve

    service_store = backend.copy_store(seed_store, request)
    with serve(service_store, tmp_path / "service.log") as service:
        env = {
            "KG_STORE": backend.new_store(request),
            "KG_BASE_URI": "http://newsroom.example/",
            "KG_RECONCILE_URL": f"{service}/reconcile",
            "KG_RECONCILE_CACHE": str(tmp_path / "cache.sqlite"),
        }
        assert run(env, "ingest", str(seeds)).exit_code == 0
        with GraphStore(env["KG_STORE"]) as store:
            rows = store.rows(
                "SELECT ?s ?o WHERE { GRAPH <http://newsroom.example/id/links/reconciliation> "
                f"{{ ?s <{OWL.sameAs}> ?o }} }}"
            )
        links = {r["s"]: r["o"] for r in rows}
        ours = load_settings().base_uri
        for actor in ("john-bolton", "mike-pompeo", "reuters"):
            assert links[f"http://newsroom.example/id/actor/{actor}"] == f"{ours}id/actor/{actor}"
        assert "http://newsroom.example/id/actor/kim-jong-un" not in links  # aligned already: not asked
    down = {
        **env,
        "KG_STORE": backend.new_store(request),
        "KG_RECONCILE_URL": f"http://127.0.0.1:{free_port()}/reconcile",
    }
    result = run(down, "ingest", str(seeds))
    assert result.exit_code == 0 and "2 added" in result.stdout  # an unreachable service costs only its links
