"""Bulk ingest: extraction in worker processes (``--jobs``), and resuming by content hash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode

from kgservice.cli import main
from kgservice.extract.records import ArticleInput
from kgservice.graph.namespaces import PROV
from kgservice.ingest import content_hash
from kgservice.store import GraphStore, iter_quads
from tests.backends import Backend

PEOPLE = ["Maria Lopez", "John Carter", "Aiko Tanaka", "Peter Novak", "Fatima Haddad", "Lars Eriksson"]
PLACES = ["Berlin", "Geneva", "Nairobi", "Tokyo", "Brussels", "Seoul"]
MONTHS = ["March", "April", "May", "June", "July", "September"]


def generated_article(n: int) -> str:
    """A short news-like article: a meeting, a date, a direct quote and a reported claim."""
    a, b = PEOPLE[n % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)]
    place, month = PLACES[n % len(PLACES)], MONTHS[(n * 5) % len(MONTHS)]
    return textwrap.dedent(
        f"""\
        {a} meets {b} in {place} {n}

        {a} met {b} in {place} on {month} {n % 27 + 1}, 2018, for trade talks, officials said.

        \u201cWe have made real progress today,\u201d {a} told reporters after the meeting.
        {b} said that another round of talks would take place in {place} next month.

        Analysts expect the discussions to continue for several weeks.
        """
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, seeds: Path) -> Path:
    """The seeds and a few generated articles, in one folder."""
    folder = tmp_path_factory.mktemp("corpus")
    for seed in seeds.iterdir():
        if seed.is_file():
            shutil.copy(seed, folder / seed.name)
    for n in range(10):
        (folder / f"gen_{n:02d}.txt").write_text(generated_article(n), encoding="utf-8")
    return folder


def run(store: str, *args: str):
    return CliRunner(mix_stderr=False).invoke(main, ["ingest", *args], env={"KG_STORE": store}, catch_exceptions=False)


def quads_without_run_times(store: str) -> set[tuple[object, ...]]:
    """Every quad but the extraction runs' start times; blank nodes (in the ontology and link graphs) as one."""
    with GraphStore(store) as opened:
        return {
            tuple("_:" if isinstance(t, BNode) else t for t in q)
            for q in iter_quads(opened)
            if q[1] != PROV.startedAtTime
        }


@pytest.fixture(scope="module")
def serial_store(backend: Backend, request: pytest.FixtureRequest, corpus: Path) -> str:
    """The corpus ingested with ``--jobs 1``."""
    store = backend.new_store(request)
    result = run(store, str(corpus), "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    assert "12 added" in result.stdout
    return store


def test_two_jobs_give_the_same_quads_as_one(
    backend: Backend, request: pytest.FixtureRequest, corpus: Path, serial_store: str
) -> None:
    store = backend.new_store(request)
    result = run(store, str(corpus), "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ingested 12 articles (12 added, 0 replaced, 0 unchanged), 0 failed;")
    assert quads_without_run_times(store) == quads_without_run_times(serial_store)


def test_a_second_run_skips_everything_without_loading_spacy(
    backend: Backend, request: pytest.FixtureRequest, corpus: Path, serial_store: str
) -> None:
    store = backend.copy_store(serial_store, request)
    before = quads_without_run_times(store)
    script = textwrap.dedent(
        """\
        import sys
        from kgservice.cli import main
        try:
            main(["ingest", sys.argv[1], "--jobs", "2"])
        except SystemExit as exit:
            assert not exit.code, exit.code
        assert "spacy" not in sys.modules, "spaCy was imported"
        """
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, str(corpus)],
        env={**os.environ, "KG_STORE": store},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(
        "ingested 0 articles (0 added, 0 replaced, 0 unchanged), 12 skipped (already stored), 0 failed; 0 triples"
    )
    assert elapsed < 15  # no model load, no parsing: about 1.5 s here
    assert quads_without_run_times(store) == before


def test_an_interrupted_run_resumes(
    backend: Backend, request: pytest.FixtureRequest, corpus: Path, serial_store: str
) -> None:
    store = backend.new_store(request)
    files = sorted(p for p in corpus.iterdir() if p.suffix == ".txt" and not p.name.endswith(".meta.json"))
    first = run(store, *map(str, files[:5]), "--jobs", "2")  # as if stopped after five files
    assert first.exit_code == 0, first.stderr
    assert "5 added" in first.stdout
    rest = run(store, str(corpus), "--jobs", "2")
    assert rest.exit_code == 0, rest.stderr
    assert "(7 added, 0 replaced, 0 unchanged), 5 skipped (already stored)" in rest.stdout
    assert quads_without_run_times(store) == quads_without_run_times(serial_store)


def test_a_changed_article_is_extracted_again(
    backend: Backend, request: pytest.FixtureRequest, tmp_path: Path, corpus: Path, serial_store: str
) -> None:
    store = backend.copy_store(serial_store, request)
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    changed = folder / "gen_03.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nThe talks ended on Friday.\n", encoding="utf-8")
    result = run(store, str(folder), "--replace")
    assert result.exit_code == 0, result.stderr
    assert "(0 added, 1 replaced, 0 unchanged), 11 skipped (already stored)" in result.stdout


def test_bad_files_are_reported_while_good_ones_are_stored(
    backend: Backend, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for n in range(4):
        (folder / f"good_{n}.txt").write_text(generated_article(n), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "broken.json").write_text('{"text": ')
    store = backend.new_store(request)
    result = run(store, str(folder), "--jobs", "2")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    for name, reason in [("empty.txt", "empty"), ("binary.txt", "binary"), ("broken.json", "malformed JSON")]:
        assert any(name in line and reason in line for line in lines), (name, lines)
    assert result.stdout.startswith("ingested 4 articles (4 added, 0 replaced, 0 unchanged), 3 failed;")
    again = run(store, str(folder), "--jobs", "2")
    assert again.exit_code == 1
    assert "4 skipped (already stored), 3 failed" in again.stdout


def test_a_batched_ingest_resolves_each_article_against_every_one_before_it(
    backend: Backend, request: pytest.FixtureRequest, corpus: Path, serial_store: str
) -> None:
    """New graphs are written in batches, yet the store ends as when each article is written before the next is read."""
    from kgservice.articles import read_file
    from kgservice.ingest import Ingester
    from kgservice.settings import load_settings

    files = sorted(p for p in corpus.iterdir() if p.suffix == ".txt")
    surname = ArticleInput(
        id="surname-only", text="Minister Lopez said on Monday that the talks would resume in Geneva in May.\n"
    )
    articles = [read_file(p)[0] for p in files] + [surname]
    stores = {}
    for how in ("batched", "one by one"):
        settings = load_settings({"KG_STORE": backend.new_store(request)})
        with GraphStore(settings.store) as store:
            ingester = Ingester(store, settings)
            if how == "batched":
                assert all(r.outcome == "added" for r in ingester.ingest_many(articles))
            else:
                for article in articles:
                    assert ingester.ingest(article).outcome == "added"
            people = store.query(
                "SELECT ?g ?p WHERE { GRAPH ?g { ?p a <https://schema.org/Person> } }",
                bindings={"g": ingester.minter.article("surname-only")},
            )
            assert [str(r.p).rsplit("/", 1)[1] for r in people] == ["maria-lopez"], how  # from an earlier article
        stores[how] = quads_without_run_times(settings.store)
    assert stores["batched"] == stores["one by one"]


def test_a_batched_ingest_sees_an_article_replaced_in_the_same_run(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    """A replaced article's people leave the lookups of the articles after it, as when written one by one."""
    from kgservice.ingest import Ingester
    from kgservice.settings import load_settings

    first = ArticleInput(id="talks", text="Maria Lopez met John Carter in Geneva on May 3, 2018, for trade talks.\n")
    replaced = ArticleInput(id="talks", text="John Carter met officials in Geneva on May 3, 2018, for trade talks.\n")
    later = ArticleInput(
        id="later", text="Minister Lopez said on Monday that the talks would resume in Geneva in May.\n"
    )
    looks_up = ArticleInput(id="before", text="Minister Carter said on Friday that the talks went well.\n")
    people = {}
    for how in ("batched", "one by one"):
        settings = load_settings({"KG_STORE": backend.new_store(request)})
        with GraphStore(settings.store) as store:
            ingester = Ingester(store, settings)
            assert ingester.ingest(first).outcome == "added"
            if how == "batched":
                outcomes = [r.outcome for r in ingester.ingest_many([looks_up, replaced, later])]
            else:
                outcomes = [ingester.ingest(a).outcome for a in (looks_up, replaced, later)]
            assert outcomes == ["added", "replaced", "added"], how
            rows = store.query(
                "SELECT ?g ?p WHERE { GRAPH ?g { ?p a <https://schema.org/Person> } }",
                bindings={"g": ingester.minter.article("later")},
            )
            people[how] = sorted(str(r.p).rsplit("/", 1)[1] for r in rows)
    assert people["batched"] == people["one by one"] == ["lopez"]


def test_the_content_hash_covers_text_metadata_and_extractor() -> None:
    article = ArticleInput(id="a", text="Kim met Trump.", title="T")
    digest = content_hash(article, "kgservice 1; model 1")
    assert len(digest) == 64 and digest == content_hash(article, "kgservice 1; model 1")
    assert digest != content_hash(ArticleInput(id="a", text="Kim met Trump!", title="T"), "kgservice 1; model 1")
    assert digest != content_hash(ArticleInput(id="a", text="Kim met Trump.", title="U"), "kgservice 1; model 1")
    assert digest != content_hash(article, "kgservice 1; model 2")
