"""Crash safety and backups: a killed ingest leaves each article whole or absent; a dump restores the store.

``kgservice ingest`` runs as a real process on an on-disk store, its progress bar on a
terminal (a pty) as a user sees it, and is SIGKILLed at points drawn from a seeded RNG:
while it starts (the ontology graph is written then), a random delay after its bar first
shows a given count of articles done, and while it computes the link graphs at the end.
After each kill the store must open, every article graph in it must equal the same
article's graph from an uninterrupted reference run (the extraction run's start time
aside), the stored articles must be the first ones in input order (one writer, in order),
and every article the bar counted as done must be there. The next run resumes by content
hash on the same store; a store whose run finished must equal the reference graph for
graph, link graphs and ontology included. The same holds for ``POST /api/articles`` on
gunicorn, killed (master, worker and extraction process) while articles are posted, the
client retrying from the first article it got no answer for.

Equality, not isomorphism, is the right test for article graphs: they have no blank nodes
(the reference fixture checks), and IRIs are deterministic given the store. Resolution
reads the store (a surname takes a stored person's IRI, a planned meeting a stored one's),
so an article's graph may depend on the articles before it; since the stored articles are
always a prefix of the input, a resumed run sees the store the reference run saw there.

Backups: ``kgservice export`` of the reference store (ten articles, link graphs, ontology)
restored by ``kgservice ingest`` into an empty store gives isomorphic graphs, blank nodes
and times included; ``GET /export`` dumps taken while articles are being posted hold every
article whole or not at all. An export killed as it writes leaves the previous backup
file as it was; a restore killed part-way leaves each graph whole or absent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import http.client
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import URIRef
from rdflib.compare import isomorphic

from kgservice.articles import read_file
from kgservice.cli import main
from kgservice.graph.iris import Minter
from kgservice.graph.namespaces import PROV
from kgservice.settings import load_settings
from kgservice.store import GraphStore
from tests.conftest import SEEDS
from tests.live import launch, stop

KGSERVICE = Path(sys.executable).parent / "kgservice"
RNG_SEED = 20180910
CLI_KILLS = 14
CLI_LANES = 2
HTTP_KILLS = 4
HTTP_LANES = 2
RESTORE_KILLS = 4
TOKEN = "atomicity-token"
PROGRESS = re.compile(rb"(\d+)/(\d+)")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")

Snapshot = dict[str, frozenset[tuple[str, str, str]]]


# -- the corpus and the reference store --------------------------------------------------------


def corpus_articles() -> list[dict[str, str]]:
    """The two seeds and the first four paragraphs of eight synthetic news articles, as JSON objects, in ingest order.

    Short articles keep each run's wait for its first batch of extractions short. The
    articles name some of the same people, places and organisations.
    """
    from benchmarks.corpus import articles

    found = [read_file(path)[0] for path in sorted(SEEDS.glob("*.txt"))]
    found += [dataclasses.replace(a, text="\n\n".join(a.text.split("\n\n")[:4])) for a in articles(8, seed=5)]
    fields = ("id", "title", "published", "url", "author", "genre", "text")
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k in fields if (v := getattr(a, k)) is not None}
        for a in found
    ]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    return corpus_articles()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, corpus: list[dict[str, str]]) -> Path:
    """The corpus as one JSON Lines file."""
    path = tmp_path_factory.mktemp("atomicity") / "articles.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in corpus), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def order(corpus: list[dict[str, str]]) -> list[str]:
    """The article graph names in ingest order."""
    minter = Minter(load_settings().base_uri)
    return [str(minter.article(a["id"])) for a in corpus]


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Path:
    """The store of one uninterrupted ingest of the corpus (tests copy it, never change it)."""
    store = tmp_path_factory.mktemp("reference") / "kg"
    run = run_ingest(store, source, kill_after=None, delay=0.0)
    assert run.finished
    return store


@pytest.fixture(scope="module")
def reference(reference_store: Path, order: list[str]) -> Snapshot:
    graphs = snapshot(reference_store)
    assert set(order) < set(graphs)
    assert not any("_:" in triple for name in order for triple in graphs[name]), "an article graph has blank nodes"
    return graphs


def snapshot(store: Path) -> Snapshot:
    """Every graph of the store: its triples (N-Triples terms) but the extraction runs' start times (blank nodes as one)."""
    run_time = ox.NamedNode(str(PROV.startedAtTime))
    graphs: dict[str, set[tuple[str, str, str]]] = {}
    with GraphStore(str(store)) as opened:  # after SIGKILL this is RocksDB's recovery
        for quad in opened.quads():
            if quad.predicate != run_time and isinstance(quad.graph_name, ox.NamedNode):
                triple = tuple("_:" if isinstance(t, ox.BlankNode) else str(t) for t in quad.triple)
                graphs.setdefault(quad.graph_name.value, set()).add(triple)  # type: ignore[arg-type]
    return {name: frozenset(triples) for name, triples in graphs.items()}


def assert_whole_articles(found: Snapshot, reference: Snapshot, order: list[str], done: int) -> int:
    """Each article graph in ``found`` equals the reference's; they are the first of ``order``, ``done`` at least.

    Returns how many articles are stored.
    """
    present = [name for name in order if name in found]
    assert present == order[: len(present)], f"stored articles are not a prefix of the input: {present}"
    assert len(present) >= done, f"{done} articles were reported done, {len(present)} are stored"
    for name in present:
        missing, extra = reference[name] - found[name], found[name] - reference[name]
        assert not missing and not extra, f"partial article {name}: {len(missing)} triples missing, {len(extra)} extra"
    assert set(found) <= set(reference), set(found) - set(reference)
    ontology = [name for name in found if name not in order and "/id/links/" not in name]
    for name in ontology:
        assert found[name] == reference[name], f"graph {name} differs from the reference"
    return len(present)


def assert_same_store(found: Snapshot, reference: Snapshot) -> None:
    assert sorted(found) == sorted(reference)
    for name, triples in reference.items():
        assert found[name] == triples, (
            f"graph {name}: {len(triples - found[name])} missing, {len(found[name] - triples)} extra"
        )


# -- the command line -------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One ingest process: the highest count its progress bar showed, and whether it ended by itself."""

    shown: int
    finished: bool


def run_ingest(store: Path, source: Path, kill_after: int | None, delay: float) -> Run:
    """``kgservice ingest source`` with stderr on a pty; SIGKILLed ``delay`` s after its bar shows ``kill_after`` done.

    ``kill_after=-1``: ``delay`` s after the process starts. ``None``: never killed.
    """
    master, slave = pty.openpty()
    env = {**os.environ, "KG_STORE": str(store), "COLUMNS": "100"}
    started = time.monotonic()
    process = subprocess.Popen(
        [str(KGSERVICE), "ingest", str(source)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    shown, tail, kill_at = 0, b"", started + delay if kill_after == -1 else None
    try:
        while True:
            now = time.monotonic()
            assert now - started < 90, "the ingest took more than 90 s"
            if kill_at is not None and now >= kill_at and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return Run(shown, False)
            ready, _, _ = select.select([master], [], [], 0.01)
            chunk = _read(master) if ready else b""
            if chunk:
                tail = ANSI.sub(b"", tail + chunk)[-200:]
                counts = [int(m.group(1)) for m in PROGRESS.finditer(tail)]
                shown = max([shown, *counts])
                if kill_after is not None and kill_at is None and shown >= kill_after >= 0:
                    kill_at = time.monotonic() + delay
            elif process.poll() is not None:
                assert process.returncode == 0, f"ingest exited with {process.returncode}"
                return Run(shown, True)
    finally:
        os.close(master)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the process closed its terminal
        return b""


def test_a_killed_cli_ingest_leaves_whole_articles_and_resumes(
    tmp_path: Path, source: Path, order: list[str], reference: Snapshot
) -> None:
    """Two lanes of runs at once (one per core), each on its own stores with its own seeded kill points."""
    with ThreadPoolExecutor(CLI_LANES) as pool:
        lanes = list(pool.map(lambda lane: kill_lane(lane, tmp_path, source, order, reference), range(CLI_LANES)))
    kills = [kill for lane in lanes for kill in lane[0]]
    summary = {where: sum(1 for k in kills if k[0] == where) for where in ("start", "article", "links")}
    stores = sum(lane[1] for lane in lanes)
    print(
        f"\nCLI: {len(kills)} kills {summary}; {stores} stores ingested to the end; (where, stored before, after): {kills}"
    )


def kill_lane(
    lane: int, tmp_path: Path, source: Path, order: list[str], reference: Snapshot
) -> tuple[list[tuple[str, int, int]], int]:
    """Kill runs on one store until it is complete, then on a new one; the kills (where, stored before, after)."""
    rng, total = random.Random(RNG_SEED + lane), len(order)
    lifetimes, store, stored = 0, tmp_path / f"lane{lane}-kg-0", 0
    kills: list[tuple[str, int, int]] = []
    while True:
        kill_after, delay, where = cli_kill_point(rng, stored, total)
        if len(kills) == CLI_KILLS // CLI_LANES:
            kill_after = None  # the last store is ingested to the end
        run = run_ingest(store, source, kill_after, delay)
        found = snapshot(store)
        before, stored = stored, assert_whole_articles(found, reference, order, run.shown)
        if not run.finished:
            kills.append((where, before, stored))
            continue
        assert_same_store(found, reference)  # links and ontology too, however often it was killed
        lifetimes += 1
        if len(kills) == CLI_KILLS // CLI_LANES:
            return kills, lifetimes
        store, stored = tmp_path / f"lane{lane}-kg-{lifetimes}", 0


def cli_kill_point(rng: random.Random, stored: int, total: int) -> tuple[int | None, float, str]:
    """Where to kill the next run: (bar count to wait for, or -1 for the start; delay; what it hits).

    Once every article is stored the run is left to finish: it only brings the links up to date.
    """
    if stored == total:
        return None, 0.0, "finish"
    roll = rng.random()
    if roll < 0.2:  # start-up: imports, the ontology graph, the model, the first articles
        return -1, rng.uniform(0.2, 3.0), "start"
    if roll < 0.3:  # every article written: the link graphs are being computed and written
        return total, rng.uniform(0.2, 1.5), "links"
    target = stored + rng.randint(1, min(2, total - stored))  # a random delay after the bar counts it done
    return target, rng.uniform(0.0, 0.15), "links" if target == total else "article"


def test_a_run_with_nothing_to_store_brings_the_links_up_to_date_and_writes_nothing_else(
    reference_store: Path, tmp_path: Path, source: Path, reference: Snapshot
) -> None:
    """The state a run killed between its last article and its links leaves, made on purpose."""
    store = tmp_path / "kg"
    shutil.copytree(reference_store, store)
    with GraphStore(str(store)) as opened:
        links = [name for name in opened.graph_names() if "/id/links/" in name]
        assert links and all(opened.delete_graph(name) for name in links)
    result = cli(store, "ingest", str(source))
    assert result.exit_code == 0 and "10 skipped (already stored)" in result.stdout, result.stderr
    assert_same_store(snapshot(store), reference)
    with GraphStore(str(store)) as opened:
        before = {str(quad) for quad in opened.quads()}
    assert cli(store, "ingest", str(source)).exit_code == 0
    with GraphStore(str(store)) as opened:
        assert {str(quad) for quad in opened.quads()} == before  # the links' times too: nothing was rewritten


# -- POST /api/articles on gunicorn -----------------------------------------------------------


def post(base: str, article: dict[str, str]) -> int:
    """POST one article; its status (raises ``OSError`` when the server dies first)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    request = urllib.request.Request(
        f"{base}/api/articles", data=json.dumps(article).encode(), method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return int(response.status)


def post_and_kill(
    store: Path, log: Path, articles: list[dict[str, str]], start: int, kill_while: int | None, fraction: float
) -> int:
    """Serve ``store`` and POST ``articles[start:]`` in order; return how many of all were acknowledged.

    The server's process group (master, worker, extraction process) is SIGKILLed into the POST of
    ``articles[kill_while]``, ``fraction`` of the previous POST's time after it is sent (the first
    after a start loads the model: 3 s is taken for it). ``None``: post them all, then stop the server.
    """
    with log.open("ab") as out:
        server, base = launch(store, out, KG_API_TOKEN=TOKEN)
    acknowledged, last = start, 3.0
    try:
        for index in range(start, len(articles)):
            if index == kill_while:
                timer = threading.Timer(fraction * last, os.killpg, (server.pid, signal.SIGKILL))
                timer.start()
                with contextlib.suppress(OSError, http.client.HTTPException):  # the server died under it: no answer
                    acknowledged += post(base, articles[index]) in (200, 201)
                timer.join()
                return acknowledged
            began = time.monotonic()
            assert post(base, articles[index]) in (200, 201)
            last, acknowledged = time.monotonic() - began, index + 1
        return acknowledged
    finally:
        if kill_while is None:
            stop(server)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            wait_for_group(server.pid)


def wait_for_group(pgid: int, timeout: float = 30.0) -> None:
    """Wait until every thread of every process of the group has exited (so none holds the store's lock).

    A killed process's main thread shows as a zombie while its other threads still exit;
    zombies left for init to reap hold nothing.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_stat(process)[1] == pgid and _running(process) for process in Path("/proc").glob("[0-9]*")):
            return
        time.sleep(0.05)
    raise AssertionError(f"process group {pgid} still runs after SIGKILL")


def _stat(path: Path) -> tuple[str, int]:
    """State and process group from ``path/stat`` (gone: a dead state)."""
    try:
        fields = (path / "stat").read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp…
    except (OSError, IndexError):
        return "X", 0
    return fields[0], int(fields[2])


def _running(process: Path) -> bool:
    return any(_stat(task)[0] not in ("Z", "X") for task in process.glob("task/[0-9]*"))


def test_a_killed_server_leaves_whole_articles_and_a_retry_completes_them(
    tmp_path: Path, corpus: list[dict[str, str]], order: list[str], reference: Snapshot
) -> None:
    """Two servers at once, each on its own store, killed at its own seeded points."""
    with ThreadPoolExecutor(HTTP_LANES) as pool:
        lanes = list(pool.map(lambda lane: server_lane(lane, tmp_path, corpus, order, reference), range(HTTP_LANES)))
    kills = [kill for lane in lanes for kill in lane]
    unanswered = sum(1 for kill in kills if kill[3] > kill[2])
    print(
        f"\nHTTP: {len(kills)} kills, {unanswered} after an article was stored but before its answer; "
        f"(while posting, acknowledged before, after, stored): {kills}"
    )


def server_lane(
    lane: int, tmp_path: Path, corpus: list[dict[str, str]], order: list[str], reference: Snapshot
) -> list[tuple[int, int, int, int]]:
    """Serve, post, kill, check, serve again…; then post the rest and compare with the reference."""
    rng, total = random.Random(RNG_SEED + 10 + lane), len(order)
    store, log = tmp_path / f"lane{lane}-kg", tmp_path / f"lane{lane}-gunicorn.log"
    acknowledged, kills = 0, []
    for _ in range(HTTP_KILLS // HTTP_LANES):
        # mostly after two POSTs warmed the server up (the model, the GeoNames index), timed by the second;
        # sometimes in the first POST, the model loading
        first = acknowledged if rng.random() < 0.25 else acknowledged + 2
        kill_while = min(first + rng.randint(0, 1), total - 1)
        before = acknowledged
        acknowledged = post_and_kill(store, log, corpus, acknowledged, kill_while, rng.uniform(0.0, 1.0))
        stored = assert_whole_articles(snapshot(store), reference, order, acknowledged)
        kills.append((kill_while, before, acknowledged, stored))
    # a client retries from the first article it had no answer for: stored already, or not
    assert post_and_kill(store, log, corpus, acknowledged, None, 0.0) == total
    assert_same_store(snapshot(store), reference)
    return kills


# -- backups: export, then ingest the dump into a fresh store ---------------------------------


def cli(store: Path, *args: str) -> Result:
    return CliRunner(mix_stderr=False).invoke(main, list(args), env={"KG_STORE": str(store)}, catch_exceptions=False)


def assert_isomorphic_stores(found: Path, expected: Path) -> None:
    """The same named graphs, each isomorphic (blank nodes and run times included), and as many quads."""
    with GraphStore(str(found)) as left, GraphStore(str(expected)) as right:
        assert left.graph_names() == right.graph_names()
        assert len(left) == len(right)
        for name in right.graph_names():
            assert isomorphic(left.graph(name), right.graph(name)), f"graph {name} differs"


@pytest.mark.parametrize("name", ["backup.trig", "backup.nq.gz"])
def test_a_backup_restores_every_graph_links_included(reference_store: Path, tmp_path: Path, name: str) -> None:
    dump = tmp_path / name
    args = ["export", "--format", "trig" if ".trig" in name else "nquads", "-o", str(dump)]
    assert cli(reference_store, *args, *(["--gzip"] if name.endswith(".gz") else [])).exit_code == 0
    restored = tmp_path / "restored"
    result = cli(restored, "ingest", str(dump))
    assert result.exit_code == 0, result.stderr
    with GraphStore(str(reference_store)) as store:
        graphs, quads = len(store.graph_names()), len(store)
        assert any("/id/links/" in graph and len(store.graph(graph)) for graph in store.graph_names())
    assert f"restored {graphs} graphs ({quads} quads) from 1 dump file, 0 failed" in result.stdout
    assert_isomorphic_stores(restored, reference_store)


def test_dumps_taken_while_articles_are_posted_restore_whole_articles(
    reference_store: Path, tmp_path: Path, corpus: list[dict[str, str]], order: list[str], reference: Snapshot
) -> None:
    served, late = tmp_path / "served", 3
    shutil.copytree(reference_store, served)
    with GraphStore(str(served)) as store:  # the last articles come in through the API while dumps are taken
        for name in order[-late:]:
            assert store.delete_graph(URIRef(name))
    taken: list[tuple[str, bytes]] = []
    with (tmp_path / "gunicorn.log").open("wb") as out:
        server, base = launch(served, out, KG_API_TOKEN=TOKEN)
    try:
        with ThreadPoolExecutor(1) as pool:
            poster = pool.submit(lambda: [post(base, article) for article in corpus[-late:]])
            while not poster.done() or len(taken) < 2:
                fmt = ("trig", "nquads")[len(taken) % 2]
                with urllib.request.urlopen(f"{base}/export?format={fmt}&gzip=1", timeout=60) as response:
                    taken.append((f"dump-{len(taken)}.{'trig' if fmt == 'trig' else 'nq'}.gz", response.read()))
                time.sleep(0.2)
            assert poster.result() == [201] * late
        with urllib.request.urlopen(f"{base}/export?format=trig&gzip=1", timeout=60) as response:
            taken.append(("final.trig.gz", response.read()))
    finally:
        stop(server)
    counts = []
    for index in sorted({round(i * (len(taken) - 1) / 4) for i in range(5)}):  # five, the first and the last too
        name, data = taken[index]
        (tmp_path / name).write_bytes(data)
        restored = tmp_path / f"restored-{index}"
        assert cli(restored, "ingest", str(tmp_path / name)).exit_code == 0
        counts.append(assert_whole_articles(snapshot(restored), reference, order, len(order) - late))
    assert counts[-1] == len(order)
    assert_isomorphic_stores(restored, served)  # the last dump, after the posts: the store as served
    print(f"\n{len(taken)} dumps taken while {late} articles were posted; articles in those restored: {counts}")


def test_a_killed_export_leaves_the_previous_backup_whole(reference_store: Path, tmp_path: Path) -> None:
    """``kgservice export -o`` SIGKILLed as soon as it starts writing: the file it was to replace is untouched."""
    store, backup = tmp_path / "kg", tmp_path / "backup.trig.gz"
    shutil.copytree(reference_store, store)
    old = b"last night's backup"
    env = {**os.environ, "KG_STORE": str(store)}
    for _attempt in range(5):
        backup.write_bytes(old)
        process = subprocess.Popen(
            [str(KGSERVICE), "export", "--gzip", "-o", str(backup)], env=env, stdout=subprocess.DEVNULL
        )
        while process.poll() is None:
            if backup.stat().st_size != len(old) or any(p.name.endswith(".part") for p in tmp_path.iterdir()):
                process.kill()  # it has begun to write
            time.sleep(0.001)
        if process.returncode == -signal.SIGKILL:
            break
    assert process.returncode == -signal.SIGKILL, "every export ended before it could be killed"
    assert backup.read_bytes() == old
    assert cli(store, "export", "--gzip", "-o", str(backup)).exit_code == 0
    with GraphStore(str(store)) as opened:
        assert len(list(ox.parse(gzip.decompress(backup.read_bytes()), ox.RdfFormat.TRIG))) == len(opened)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] in (
        [],
        [f".{backup.name}.{process.pid}.part"],
    )


def test_a_killed_restore_leaves_whole_graphs_and_a_second_one_completes_it(
    reference_store: Path, reference: Snapshot, tmp_path: Path
) -> None:
    """``kgservice ingest backup.nq.gz`` into an empty store, SIGKILLed a seeded random share of an uninterrupted
    restore's time after it starts reading the dump into its scratch store: each graph is whole or absent."""
    dump = tmp_path / "backup.nq.gz"
    assert cli(reference_store, "export", "--format", "nquads", "--gzip", "-o", str(dump)).exit_code == 0
    rng, restored, finished = random.Random(RNG_SEED + 20), [], 0
    ended, took = restore_until(dump, tmp_path / "whole", None)  # reading, writing graph after graph, closing
    assert ended == 0
    for attempt in range(3 * RESTORE_KILLS):
        store = tmp_path / f"kg-{attempt}"  # empty each time, so half a graph would show
        ended, _ = restore_until(dump, store, rng.uniform(0.0, 1.0) * took)
        found = snapshot(store)
        if ended == 0:
            assert_same_store(found, reference)
            finished += 1
            continue
        for name, triples in found.items():
            assert triples == reference[name], f"graph {name} is partly restored"
        restored.append(len(found))
        if len(restored) == RESTORE_KILLS:
            break
    assert len(restored) == RESTORE_KILLS, f"only {len(restored)} restores were killed before they ended"
    assert cli(store, "ingest", str(dump)).exit_code == 0
    assert_isomorphic_stores(store, reference_store)
    print(
        f"\n{RESTORE_KILLS} restores killed, {finished} ended first; "
        f"graphs (of {len(reference)}) stored after each kill: {restored}"
    )


def restore_until(dump: Path, store: Path, delay: float | None) -> tuple[int, float]:
    """Restore ``dump`` into ``store`` in a process, SIGKILLed ``delay`` s after its scratch store appears (``None``:
    never); its exit status, and the seconds from the scratch store's appearance to its end."""
    scratch = store.with_name(f"{store.name}-tmp")  # the temporary folder: a killed restore leaves its scratch store
    scratch.mkdir()
    env = {**os.environ, "KG_STORE": str(store), "TMPDIR": str(scratch)}
    process = subprocess.Popen([str(KGSERVICE), "ingest", str(dump)], env=env, stdout=subprocess.DEVNULL)
    while process.poll() is None and not any(scratch.iterdir()):
        time.sleep(0.001)
    began = time.monotonic()
    if delay is not None:
        time.sleep(delay)
        process.kill()
    return process.wait(), time.monotonic() - began
