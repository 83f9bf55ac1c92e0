"""The command line, driven with click's CliRunner on a fresh store of the run's backend (a temporary folder)."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph

from kgservice.cli import main
from kgservice.store import GraphStore, iter_quads
from tests.backends import VIRTUOSO_NO_TRIPLE_TERMS

OX_FORMATS = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}


@pytest.fixture()
def env(backend, request):
    return {"KG_STORE": backend.new_store(request)}


@pytest.fixture()
def folder_env(tmp_path):
    """For commands that never open the store (``extract``)."""
    return {"KG_STORE": str(tmp_path / "store")}


def run(env, *args):
    result = CliRunner(mix_stderr=False).invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def quads(env):
    with GraphStore(env["KG_STORE"]) as store:
        return set(iter_quads(store))


def article_quads(env):
    return {q for q in quads(env) if "/id/links/" not in str(q[3])}


def test_ingest_seeds_twice_changes_nothing(env, seeds):
    first = run(env, "ingest", str(seeds))
    assert first.exit_code == 0, first.stderr
    assert "2 added" in first.stdout
    before = quads(env)
    second = run(env, "ingest", str(seeds))
    assert second.exit_code == 0
    assert "2 skipped (already stored)" in second.stdout
    assert quads(env) == before


def test_delete_removes_exactly_one_graph(env, seeds):
    run(env, "ingest", str(seeds))
    before = article_quads(env)
    result = run(env, "delete", "000_ff2e2aa8e7c5ec47")
    assert result.exit_code == 0, result.stderr
    after = article_quads(env)  # the link graphs are derived, and recomputed (tests/test_links.py)
    removed = before - after
    assert removed and all(str(q[3]).endswith("/id/article/000_ff2e2aa8e7c5ec47") for q in removed)
    assert after == {q for q in before if not str(q[3]).endswith("/000_ff2e2aa8e7c5ec47")}
    assert run(env, "delete", "000_ff2e2aa8e7c5ec47").exit_code == 1


def test_bad_files_are_reported_and_good_ones_ingested(env, seeds, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary")
    (bad / "latin1.txt").write_bytes("Caf\u00e9 society met on Monday.".encode("latin-1"))
    (bad / "broken.json").write_text('{"text": ')
    run(env, "ingest", str(seeds / "000_ff2e2aa8e7c5ec47.txt"))
    before = article_quads(env)
    result = run(env, "ingest", str(bad), str(seeds / "001_314c15b5eea8e148.txt"), str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    for name, reason in [
        ("empty.txt", "empty"),
        ("binary.txt", "binary"),
        ("latin1.txt", "UTF-8"),
        ("broken.json", "malformed JSON"),
        ("missing.txt", "no such file"),
    ]:
        assert any(name in line and reason in line for line in lines), (name, lines)
    assert "1 added" in result.stdout
    after = article_quads(env)
    assert before < after


def test_unparseable_published_date_is_refused(env, seeds):
    run(env, "ingest", str(seeds / "000_ff2e2aa8e7c5ec47.txt"))
    before = quads(env)
    result = run(env, "ingest", str(seeds), "--published", "the day after tomorrow-ish")
    assert quads(env) == before
    assert result.exit_code == 2
    assert "--published" in result.stderr
    assert "Traceback" not in result.stderr


def test_extract_json_follows_the_contract(env, seeds):
    result = run(env, "extract", str(seeds / "000_ff2e2aa8e7c5ec47.txt"), "--published", "2018-09-11")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"article", "actors", "times", "events", "assertions"}
    text = data["article"]["text"]
    assert data["article"]["published"] == "2018-09-11"
    spans = [m for a in data["actors"] for m in a["mentions"]]
    spans += [t for t in data["times"]]
    spans += [e["trigger"] for e in data["events"]] + [m for e in data["events"] for m in e["mentions"]]
    spans += [a[k] for a in data["assertions"] for k in ("cue", "content", "source") if a[k]]
    assert len(spans) > 20
    for span in spans:
        assert text[span["start"] : span["end"]] == span["text"]
    actor_ids = {a["id"] for a in data["actors"]}
    assert data["article"]["author_actor"] in actor_ids  # an editorial (sidecar genre) speaks for itself
    for event in data["events"]:
        assert {p["actor"] for p in event["participants"]} <= actor_ids
        assert event["status"] in {"Occurred", "Ongoing", "Planned", "Possible", "Hypothetical", "Denied"}
    for assertion in data["assertions"]:
        assert assertion["claimant"] is None or assertion["claimant"] in actor_ids
    assert not quads(env) - set()  # nothing stored


def test_extract_several_files_gives_json_lines(folder_env, seeds):
    files = sorted(str(p) for p in seeds.glob("*.txt"))
    result = run(folder_env, "extract", *files)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["article"]["iri"].rsplit("/", 1)[1] for line in lines] == [
        "000_ff2e2aa8e7c5ec47",
        "001_314c15b5eea8e148",
    ]


@pytest.mark.parametrize("fmt", ["trig", "nquads", "turtle"])
def test_extract_rdf_formats_parse(folder_env, seeds, fmt):
    result = run(folder_env, "extract", str(seeds / "001_314c15b5eea8e148.txt"), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "turtle":
        assert len(Graph().parse(data=result.stdout, format="turtle")) > 100
    else:
        quads = list(ox.parse(result.stdout.encode(), format=OX_FORMATS[fmt]))
        assert len(quads) > 100 and len({q.graph_name for q in quads}) == 1


def test_query_export_and_timeline(env, seeds, tmp_path):
    run(env, "ingest", str(seeds))
    result = run(env, "query", "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--format", "json")
    assert (
        json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"] == "5"
    )  # 2 articles, ontology, 2 link graphs
    out = tmp_path / "dump.trig"
    assert run(env, "export", "--format", "trig", "-o", str(out)).exit_code == 0
    assert len(list(ox.parse(path=str(out), format=ox.RdfFormat.TRIG))) == len(quads(env))
    timeline = run(env, "timeline")
    assert timeline.exit_code == 0, timeline.stderr
    assert "Sanders" in timeline.stdout


@pytest.mark.fails_on("virtuoso", reason=VIRTUOSO_NO_TRIPLE_TERMS)
def test_query_table_shows_every_kind_of_term(env):
    query = 'SELECT ?t ?l ?u WHERE { BIND(TRIPLE(<http://example.org/s>, <http://example.org/p>, "o") AS ?t) BIND("x"@en AS ?l) }'
    result = run(env, "query", query)
    assert result.exit_code == 0, result.stderr
    assert "http://example.org/s" in result.stdout and " x " in result.stdout


def test_bad_query_gives_message_not_traceback(env):
    result = run(env, "query", "SELECT WHERE {")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and result.stderr.startswith("kgservice:")


def test_query_time_and_row_limits(env, seeds):
    import time

    run(env, "ingest", str(seeds))
    limited = {**env, "KG_QUERY_TIMEOUT": "1", "KG_MAX_ROWS": "3"}
    start = time.monotonic()
    runaway = run(limited, "query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert runaway.exit_code == 2 and "time limit" in runaway.stderr
    assert time.monotonic() - start < 3
    cut = run(limited, "query", "SELECT ?s WHERE { ?s ?p ?o }", "--format", "csv")
    assert cut.exit_code == 0 and len(cut.stdout.strip().splitlines()) == 4
    assert "cut at 3 rows" in cut.stderr
