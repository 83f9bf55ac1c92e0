"""Dumps over HTTP vs. Oxigraph's own dump, on the synthetic store of about 1M triples.

Run: ``.venv/bin/python benchmarks/export_http.py [--triples N]`` (default 1,000,000).

- baseline: ``Store.dump`` of the whole store as N-Quads into a sink that drops the bytes,
  in this process: what Oxigraph alone costs to read and write the store;
- HTTP: ``GET /export?format=…`` from the service under gunicorn, read to the end in 64 KiB
  pieces and dropped, for every format (and N-Quads with ``gzip=1``); then the first
  ``GET /.well-known/void`` after start-up (its counts are computed then, in the query workers).

For each, the time, the size, MB/s (10^6 bytes per second) and the ratio against the
baseline, and the gunicorn worker's peak RSS growth: its high-water mark is reset
(``/proc/<pid>/clear_refs``) before each request and read after it, against its RSS before.
Numbers go to ``benchmarks/results/export.json``. The store is the one ``sparql_http.py``
builds and keeps under ``benchmarks/results/store-<N>/``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.live
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for sparql_http

from sparql_http import ROOT, cached_store, children, gunicorn_master, parent_pids, status_kib
from synthetic import triples_for

from tests.live import serve

RESULTS = ROOT / "benchmarks" / "results"
PIECE = 64 * 1024
REQUESTS = [
    "format=nquads",
    "format=nquads&gzip=1",
    "format=trig",
    "format=jsonld",
    "format=ntriples",
    "format=turtle",
    "format=rdfxml",
]


class Sink:
    """A binary file that keeps only the count of bytes written."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing is kept."""


def baseline(path: Path, articles: int | None) -> dict[str, float]:
    """Oxigraph's own N-Quads dump of the whole store, in this process."""
    import pyoxigraph as ox

    store = cached_store(path, articles) if articles else ox.Store(str(path))
    sink = Sink()
    start = time.perf_counter()
    store.dump(sink, ox.RdfFormat.N_QUADS)
    seconds = time.perf_counter() - start
    quads = len(store)
    del store
    gc.collect()
    return {"quads": quads, "seconds": seconds, "bytes": sink.size, "mb_per_s": sink.size / seconds / 1e6}


def worker_pid() -> int:
    workers = children(gunicorn_master(), parent_pids())
    if len(workers) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {workers}")
    return workers[0]


def fetch(url: str, worker: int) -> dict[str, float]:
    """Read ``url`` to the end; time, size, and the worker's peak RSS growth meanwhile."""
    Path(f"/proc/{worker}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    rss_before = status_kib(worker, "VmRSS") or 0
    size = 0
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        assert response.status == 200, response.status
        while piece := response.read(PIECE):
            size += len(piece)
    seconds = time.perf_counter() - start
    peak = status_kib(worker, "VmHWM") or 0
    return {
        "seconds": seconds,
        "bytes": size,
        "mb_per_s": size / seconds / 1e6,
        "rss_before_mib": rss_before / 1024,
        "peak_growth_mib": max(0, peak - rss_before) / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000, help="store size to aim for (default 1,000,000)")
    parser.add_argument("--store", type=Path, help="an existing store to use as it is (e.g. a copy)")
    args = parser.parse_args(argv)
    path = args.store or RESULTS / f"store-{args.triples}"
    base = baseline(path, None if args.store else triples_for(args.triples))
    print(
        f"baseline  Store.dump N-Quads  {base['seconds']:6.2f} s  {base['bytes'] / 1e6:7.1f} MB  "
        f"{base['mb_per_s']:5.1f} MB/s  ({base['quads']:,} quads)",
        flush=True,
    )
    results: dict[str, object] = {"baseline": base, "http": {}}
    with serve(path, RESULTS / "export-server.log", threads=4, KG_QUERY_TIMEOUT="120") as url:
        urllib.request.urlopen(f"{url}/healthz", timeout=60).read()
        worker = worker_pid()
        for query in [*REQUESTS, None]:
            target = f"{url}/export?{query}" if query else f"{url}/.well-known/void"
            numbers = fetch(target, worker)
            numbers["ratio"] = numbers["seconds"] / base["seconds"]
            results["http"][query or "void"] = numbers  # type: ignore[index]
            print(
                f"{query or '/.well-known/void':22}  {numbers['seconds']:6.2f} s  {numbers['bytes'] / 1e6:7.1f} MB  "
                f"{numbers['mb_per_s']:5.1f} MB/s  {numbers['ratio']:4.2f}x baseline  "
                f"worker RSS {numbers['rss_before_mib']:.0f} MiB, peak +{numbers['peak_growth_mib']:.1f} MiB",
                flush=True,
            )
    (RESULTS / "export.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
