"""Scale: extraction, store writes and memory, each against a baseline measured in the same run.

Run: ``.venv/bin/python benchmarks/scale.py [--articles N]`` (default 200), or ``make bench``.
The corpus is ``benchmarks/corpus.py``'s synthetic news prose (300–800 words an article).

- **extraction vs raw spaCy**: ``Extractor.extract_many`` (the spaCy pipeline with
  kgservice's components plus the extraction rules, building the records) against the
  published model's ``nlp.pipe`` on the same texts, in this one process, in words per
  second; the two alternate in rounds of 25 articles, so both see the same machine load.
  Target: at least 0.7x raw throughput.
- **store writes vs raw bulk_load**: the graphs the ingest chain makes for the corpus
  (``Ingester.graph_for``, resolved against an empty store) are written the way a bulk
  ingest (``kgservice ingest``) writes them — through a ``WriteBatch`` (each graph
  serialised by Oxigraph and indexed for resolving the next article; every
  ``BATCH_ARTICLES`` graphs one ``GraphStore.add_graphs``, an atomic Oxigraph bulk load)
  into a fresh store, flushed at the end — against ``pyoxigraph.Store.bulk_load`` of the
  same quads as N-Quads (the first store's own dump) in one call into another fresh store,
  flushed. Best of three, fresh stores each time. Target: at least 0.5x bulk_load's quads
  per second. Also measured: one article at a time, as ``POST /api/articles`` writes
  (``GraphStore.replace_graph_triples``: Oxigraph's N-Triples, then a transactional ``Store.load``
  for a new graph), and, for where that time goes, the same per-graph N-Triples written by
  pyoxigraph alone: ``DROP SILENT GRAPH`` + ``INSERT DATA``, ``INSERT DATA`` alone, and
  ``Store.load`` of each graph (a transaction per graph: the floor for one article at a
  time).
- **parallel ingest**: ``kgservice ingest`` of a JSON Lines file of ``--ingest-articles``
  articles (default 2,000; 0 skips it) of the same corpus with ``--jobs 2`` against
  ``--jobs 1``, each into a fresh store, wall time of the whole command (model loads, the
  link graphs and the summary included). Target: at least 1.6x the articles per second.
- **memory per million triples**: a child process opens the ~1M-triple synthetic store
  (``synthetic.py``, cached under ``benchmarks/results/store-1000000`` as
  ``sparql_http.py`` caches it) as a ``GraphStore`` and runs the timeline query
  (``queries/timeline.rq``, every row read); its peak RSS (``VmHWM``) is reported per
  million triples, gross and net of a baseline child that imports the same modules and
  opens an empty store.

Numbers go to ``benchmarks/results/scale.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RESULTS = ROOT / "benchmarks" / "results"
EXTRACTION_TARGET, WRITE_TARGET, PARALLEL_TARGET = 0.7, 0.5, 1.6
WRITE_REPEAT, BREAKDOWN_REPEAT = 3, 2
CHUNK = 25  # articles per alternating extraction round
MEMORY_TRIPLES = 1_000_000

# Run in a fresh interpreter: open a store as the service does, run the timeline query,
# print VmHWM. argv: store path, "query" or "empty".
CHILD = """
import json, sys, time
from pathlib import Path
from kgservice.resources import load_query
from kgservice.store import GraphStore

def hwm():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

store = GraphStore(sys.argv[1])
rows, seconds = 0, 0.0
if sys.argv[2] == "query":
    start = time.perf_counter()
    rows = len(store.rows(load_query("timeline").text))
    seconds = time.perf_counter() - start
print(json.dumps({"vm_hwm_kib": hwm(), "triples": len(store), "rows": rows, "seconds": seconds}))
store.close()
"""


def mib(kib: int | float) -> float:
    """KiB to MiB, rounded to one decimal."""
    return round(kib / 1024, 1)


def best_of(repeat: int, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The run with the smallest ``total`` of ``repeat`` runs."""
    return min((run() for _ in range(repeat)), key=lambda r: r["total"])


# -- extraction ---------------------------------------------------------------------------


def bench_extraction(articles: list[Any], model: str) -> tuple[dict[str, Any], list[Any]]:
    """Raw ``nlp.pipe`` vs ``Extractor.extract_many`` on the same texts; also returns the extractions."""
    import spacy

    from kgservice.extract.extractor import Extractor

    texts = [a.text for a in articles]
    words = sum(len(t.split()) for t in texts)
    raw = spacy.load(model)  # the model as published, without kgservice's components
    extractor = Extractor(model)
    list(raw.pipe(texts[:4]))  # warm up both (lazy initialisation, first allocations)
    list(extractor.extract_many(articles[:4]))
    print(f"raw spaCy nlp.pipe and Extractor.extract_many on {len(texts)} articles, alternating …", flush=True)
    raw_s = ours_s = 0.0
    extractions: list[Any] = []
    for at in range(0, len(articles), CHUNK):  # alternate, so both sides see the same machine load
        start = time.perf_counter()
        for _ in raw.pipe(texts[at : at + CHUNK]):
            pass
        raw_s += time.perf_counter() - start
        start = time.perf_counter()
        extractions += extractor.extract_many(articles[at : at + CHUNK])
        ours_s += time.perf_counter() - start
    numbers = {
        "model": model,
        "articles": len(articles),
        "words": words,
        "raw_seconds": raw_s,
        "ours_seconds": ours_s,
        "raw_words_per_s": words / raw_s,
        "ours_words_per_s": words / ours_s,
        "ratio": raw_s / ours_s,
        "target": EXTRACTION_TARGET,
        "actors": sum(len(e.actors) for e in extractions),
        "events": sum(len(e.events) for e in extractions),
        "assertions": sum(len(e.assertions) for e in extractions),
    }
    del raw, extractor
    gc.collect()
    return numbers, extractions


# -- store writes -------------------------------------------------------------------------


def bench_writes(extractions: list[Any], tmp: Path) -> dict[str, Any]:
    """``GraphStore.replace_graph`` per article vs ``Store.bulk_load`` of the same quads."""
    import pyoxigraph as ox

    from kgservice.ingest import BATCH_ARTICLES, Ingester, WriteBatch
    from kgservice.settings import load_settings
    from kgservice.store import GraphStore

    location = tmp / "resolve"
    resolver = GraphStore(str(location))
    ingester = Ingester(resolver, load_settings({"KG_STORE": str(location)}))
    start = time.perf_counter()
    graphs = [ingester.graph_for(e) for e in extractions]
    graph_s = time.perf_counter() - start
    resolver.close()
    triples = sum(len(g) for g in graphs)
    print(f"{len(graphs)} article graphs, {triples:,} triples (made in {graph_s:.1f} s); writing …", flush=True)

    counter = iter(range(1_000_000))

    def service_store(name: str, write: Callable[[GraphStore], None]) -> Callable[[], dict[str, float]]:
        """A run that writes the graphs into a fresh ``GraphStore`` with ``write``, then flushes it."""

        def run() -> dict[str, float]:
            store = GraphStore(str(tmp / f"{name}-{next(counter)}"))
            start = time.perf_counter()
            write(store)
            written = time.perf_counter()
            store.flush()
            end = time.perf_counter()
            assert len(store) == triples, (name, len(store), triples)
            store.close()
            return {"total": end - start, "flush": end - written}

        return run

    def batched(store: GraphStore) -> None:  # as kgservice ingest writes
        batch = WriteBatch[None](store)
        for graph in graphs:
            batch.add(None, graph)
            if batch.full:
                batch.write()
        batch.write()

    def one_at_a_time(store: GraphStore) -> None:  # as POST /api/articles writes
        for graph in graphs:
            store.replace_graph_triples(str(graph.name), graph.triples)

    def serialise() -> dict[str, float]:
        start = time.perf_counter()
        for graph in graphs:
            graph.ntriples()
        return {"total": time.perf_counter() - start}

    ours = best_of(WRITE_REPEAT, service_store("service", batched))
    one_by_one = best_of(BREAKDOWN_REPEAT, service_store("single", one_at_a_time))
    serialised = best_of(WRITE_REPEAT, serialise)

    dumped = GraphStore(str(tmp / "service-0"))
    nquads = tmp / "graphs.nq"
    with nquads.open("wb") as out:
        dumped.dump_to(out, ox.RdfFormat.N_QUADS)
    dumped.close()
    data = nquads.read_bytes()

    def bulk() -> dict[str, float]:
        store = ox.Store(str(tmp / f"bulk-{next(counter)}"))
        start = time.perf_counter()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        store.flush()
        end = time.perf_counter()
        assert len(store) == triples, (len(store), triples)
        del store
        gc.collect()
        return {"total": end - start}

    raw = best_of(WRITE_REPEAT, bulk)

    # Where the service's time goes: the same per-graph N-Triples written by pyoxigraph alone.
    bodies = [(ox.NamedNode(str(g.name)), g.ntriples()) for g in graphs]

    def raw_store(name: str, write: Callable[[ox.Store], None]) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            store = ox.Store(str(tmp / f"{name}-{next(counter)}"))
            start = time.perf_counter()
            write(store)
            store.flush()
            end = time.perf_counter()
            assert len(store) == triples, (name, len(store), triples)
            del store
            gc.collect()
            return {"total": end - start}

        return run

    def drop_insert(store: ox.Store) -> None:
        for name, body in bodies:
            store.update(f"DROP SILENT GRAPH {name} ;\nINSERT DATA {{ GRAPH {name} {{\n{body}\n}} }}")

    def insert_only(store: ox.Store) -> None:
        for name, body in bodies:
            store.update(f"INSERT DATA {{ GRAPH {name} {{\n{body}\n}} }}")

    def load_each(store: ox.Store) -> None:
        for name, body in bodies:
            store.load(body.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=name)

    breakdown = {
        "update_drop_insert_seconds": best_of(BREAKDOWN_REPEAT, raw_store("drop", drop_insert))["total"],
        "update_insert_only_seconds": best_of(BREAKDOWN_REPEAT, raw_store("insert", insert_only))["total"],
        "load_per_graph_seconds": best_of(BREAKDOWN_REPEAT, raw_store("load", load_each))["total"],
    }
    return {
        "articles": len(graphs),
        "triples": triples,
        "nquads_bytes": len(data),
        "graph_for_seconds": graph_s,
        "service_seconds": ours["total"],
        "service_flush_seconds": ours["flush"],
        "service_batch_articles": BATCH_ARTICLES,
        "service_serialize_seconds": serialised["total"],
        "service_rest_seconds": ours["total"] - serialised["total"],
        "bulk_load_seconds": raw["total"],
        "service_triples_per_s": triples / ours["total"],
        "bulk_load_triples_per_s": triples / raw["total"],
        "ratio": raw["total"] / ours["total"],
        "target": WRITE_TARGET,
        "one_by_one_seconds": one_by_one["total"],
        "one_by_one_triples_per_s": triples / one_by_one["total"],
        "one_by_one_ratio": raw["total"] / one_by_one["total"],
        "breakdown": breakdown,
    }


# -- parallel ingest ----------------------------------------------------------------------


def bench_parallel(count: int, seed: int, tmp: Path) -> dict[str, Any]:
    """``kgservice ingest --jobs 2`` vs ``--jobs 1`` on ``count`` articles, each into a fresh store."""
    from corpus import articles

    source = tmp / "articles.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for a in articles(count, seed=seed):
            record = {"id": a.id, "title": a.title, "published": a.published.isoformat() if a.published else None}
            out.write(json.dumps({**record, "text": a.text}) + "\n")
    cli = Path(sys.executable).parent / "kgservice"
    seconds: dict[int, float] = {}
    for jobs in (1, 2):
        print(f"kgservice ingest of {count} articles with --jobs {jobs} …", flush=True)
        env = {**os.environ, "KG_STORE": str(tmp / f"ingest-jobs-{jobs}")}
        start = time.perf_counter()
        done = subprocess.run(
            [str(cli), "ingest", str(source), "--jobs", str(jobs)], env=env, capture_output=True, text=True
        )
        seconds[jobs] = time.perf_counter() - start
        if done.returncode != 0 or f"ingested {count} articles ({count} added" not in done.stdout:
            raise SystemExit(f"ingest --jobs {jobs} failed: {done.stdout}{done.stderr[-2000:]}")
    return {
        "articles": count,
        "one_process_seconds": seconds[1],
        "two_processes_seconds": seconds[2],
        "one_process_articles_per_s": count / seconds[1],
        "two_processes_articles_per_s": count / seconds[2],
        "ratio": seconds[1] / seconds[2],
        "target": PARALLEL_TARGET,
    }


# -- memory -------------------------------------------------------------------------------


def child(path: Path, mode: str) -> dict[str, Any]:
    """Run ``CHILD`` on ``path`` in a fresh interpreter and return what it prints."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_memory(tmp: Path) -> dict[str, Any]:
    """Peak RSS of a process that opens the ~1M-triple store and runs the timeline query."""
    from sparql_http import cached_store
    from synthetic import triples_for

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"store-{MEMORY_TRIPLES}"
    store = cached_store(path, triples_for(MEMORY_TRIPLES))
    store.flush()
    del store  # one process at a time may open an embedded store
    gc.collect()
    print("timeline query on it in a child process …", flush=True)
    empty = child(tmp / "empty", "empty")
    loaded = child(path, "query")
    millions = loaded["triples"] / 1e6
    return {
        "store": str(path.relative_to(ROOT)),
        "triples": loaded["triples"],
        "timeline_rows": loaded["rows"],
        "timeline_seconds": loaded["seconds"],
        "vm_hwm_mib": mib(loaded["vm_hwm_kib"]),
        "baseline_vm_hwm_mib": mib(empty["vm_hwm_kib"]),
        "mib_per_million_triples": round(mib(loaded["vm_hwm_kib"]) / millions, 1),
        "net_mib_per_million_triples": round(mib(loaded["vm_hwm_kib"] - empty["vm_hwm_kib"]) / millions, 1),
    }


# -- report -------------------------------------------------------------------------------


def verdict(ratio: float, target: float) -> str:
    """``ok`` or ``BELOW`` the target."""
    return "ok" if ratio >= target else "BELOW"


def report(ex: dict[str, Any], wr: dict[str, Any], par: dict[str, Any] | None, mem: dict[str, Any]) -> None:
    """Print the table."""
    print()
    print(f"scale: {ex['articles']} synthetic articles, {ex['words']:,} words ({ex['model']})")
    print(f"{'':<12} {'ours':>22} {'baseline':>24} {'ratio':>7}")
    print(
        f"{'extraction':<12} {ex['ours_words_per_s']:>12,.0f} words/s {ex['raw_words_per_s']:>14,.0f} words/s "
        f"(raw nlp.pipe) {ex['ratio']:>5.3f}x  {verdict(ex['ratio'], EXTRACTION_TARGET)} (target >= {EXTRACTION_TARGET}x)"
    )
    print(
        f"{'store write':<12} {wr['service_triples_per_s']:>10,.0f} triples/s {wr['bulk_load_triples_per_s']:>12,.0f} "
        f"triples/s (bulk_load) {wr['ratio']:>5.3f}x  {verdict(wr['ratio'], WRITE_TARGET)} (target >= {WRITE_TARGET}x)"
    )
    print(
        f"{'':<12} {wr['triples']:,} triples in batches of {wr['service_batch_articles']} articles: "
        f"{wr['service_seconds']:.2f} s = N-Triples {wr['service_serialize_seconds']:.2f} s + "
        f"indexing and bulk loads {wr['service_rest_seconds']:.2f} s (flush {wr['service_flush_seconds']:.2f} s); "
        f"bulk_load {wr['bulk_load_seconds']:.2f} s"
    )
    print(
        f"{'':<12} one article at a time (POST /api/articles, replace_graph): {wr['one_by_one_triples_per_s']:,.0f} "
        f"triples/s, {wr['one_by_one_ratio']:.3f}x bulk_load"
    )
    b = wr["breakdown"]
    print(
        f"{'':<12} the same N-Triples on pyoxigraph alone, one graph at a time: update DROP+INSERT DATA "
        f"{b['update_drop_insert_seconds']:.2f} s, INSERT DATA only {b['update_insert_only_seconds']:.2f} s, "
        f"Store.load per graph {b['load_per_graph_seconds']:.2f} s"
    )
    if par is not None:
        print(
            f"{'ingest x2':<12} {par['two_processes_articles_per_s']:>9.1f} articles/s "
            f"{par['one_process_articles_per_s']:>10.1f} articles/s (--jobs 1) {par['ratio']:>5.3f}x  "
            f"{verdict(par['ratio'], PARALLEL_TARGET)} (target >= {PARALLEL_TARGET}x; {par['articles']:,} articles, "
            f"{par['two_processes_seconds']:.0f} s vs {par['one_process_seconds']:.0f} s)"
        )
    print(
        f"{'memory':<12} {mem['mib_per_million_triples']:>10.1f} MiB per million triples: peak RSS "
        f"{mem['vm_hwm_mib']} MiB with {mem['triples']:,} triples and the timeline ({mem['timeline_rows']:,} rows, "
        f"{mem['timeline_seconds']:.1f} s); {mem['net_mib_per_million_triples']} MiB net of an empty store's "
        f"{mem['baseline_vm_hwm_mib']} MiB"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Generate the corpus, run the three measurements, print the table and write the JSON."""
    import pyoxigraph as ox
    from corpus import articles

    from kgservice.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="corpus size (default 200)")
    parser.add_argument("--seed", type=int, default=11, help="corpus seed (default 11)")
    parser.add_argument(
        "--ingest-articles", type=int, default=2000, help="articles for --jobs 2 vs 1 (default 2000; 0 skips it)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "scale.json", help="where to write the numbers")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    corpus = articles(args.articles, seed=args.seed)
    model = load_settings().spacy_model
    ex, extractions = bench_extraction(corpus, model)
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as tmp:
        wr = bench_writes(extractions, Path(tmp))
        del extractions
        gc.collect()
        par = bench_parallel(args.ingest_articles, args.seed, Path(tmp)) if args.ingest_articles else None
        mem = bench_memory(Path(tmp))
    report(ex, wr, par, mem)
    numbers = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "pyoxigraph": ox.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "extraction": ex,
        "writes": wr,
        "parallel_ingest": par,
        "memory": mem,
        "seconds": time.perf_counter() - started,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(numbers, indent=2) + "\n")
    print(f"numbers written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return numbers


if __name__ == "__main__":
    main()
