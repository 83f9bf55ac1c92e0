"""The timeline page with 10,000 events: server time against the raw SPARQL timeline query, in one run.

Run: ``.venv/bin/python benchmarks/timeline_http.py [--events N]`` (default 10,000), or
``make bench``.

- raw: ``queries/timeline.rq`` (every event as each source tells it) run on pyoxigraph in
  process, all rows read: what any page listing the whole timeline must at least pay;
- server: requests to the service under gunicorn on the same store, timed until the whole
  body is read: the first page of ``/timeline`` right after start-up (its index not yet
  cached) and then warm, a page deep in the list, a name filter, a class and status
  filter, an event page, and ``/timeline.json`` (every event, not paged).

Each page is checked (status 200, at most one page of events listed). The ratio is server
p50 / raw p50: below 1 means the page is cheaper than reading the whole timeline once.
Numbers go to ``benchmarks/results/timeline.json``.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.live
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for synthetic, sparql_http

from sparql_http import cached_store, percentile
from synthetic import EVENTS_PER_ARTICLE

from tests.live import serve

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = 15
PAGES = {
    "first page (warm)": "/timeline",
    "page 50": "/timeline?page=50",
    "name filter": "/timeline?actor=Maria",
    "class + status": "/timeline?class=Meeting&status=Planned",
    "event page": "/id/event/synthetic-000700-3",
    "timeline.json (all)": "/timeline.json",
}


def raw_query(store: ox.Store) -> tuple[int, list[float]]:
    """The timeline query on pyoxigraph: the rows, and the wall times of RUNS runs after a warm-up."""
    text = (ROOT / "queries" / "timeline.rq").read_text()
    rows = sum(1 for _ in store.query(text, use_default_graph_as_union=True))
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in store.query(text, use_default_graph_as_union=True):
            pass
        samples.append((time.perf_counter() - start) * 1000)
    return rows, samples


def get(connection: http.client.HTTPConnection, path: str) -> tuple[float, bytes]:
    """GET ``path`` as a browser would; the wall time in ms and the body."""
    start = time.perf_counter()
    connection.request("GET", path, headers={"Accept": "text/html,application/json;q=0.9"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}\n{body[:500]!r}")
    return elapsed, body


def listed(body: bytes) -> int:
    """How many events a timeline page lists."""
    return len(re.findall(rb'<article class="event ', body))


def main(argv: list[str] | None = None) -> dict:
    """Build or reuse the store, time the raw query, then the pages over HTTP; print and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="how many synthetic events (default 10,000)")
    args = parser.parse_args(argv)
    articles = max(1, -(-args.events // EVENTS_PER_ARTICLE))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"timeline-store-{articles}"
    store = cached_store(path, articles)
    triples = len(store)
    rows, raw = raw_query(store)
    store.flush()
    del store
    gc.collect()
    server: dict[str, list[float]] = {}
    with serve(path, RESULTS / "timeline-server.log", threads=4) as base:
        url = urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=600)
        cold, body = get(connection, "/timeline")
        first_page = listed(body)
        if not 0 < first_page <= 100:
            raise SystemExit(f"/timeline listed {first_page} events; expected one page of at most 100")
        for name, page in PAGES.items():
            get(connection, page)  # warm-up
            server[name] = [get(connection, page)[0] for _ in range(RUNS if "json" not in name else 5)]
        connection.close()
    raw_p50 = statistics.median(raw)
    print(f"\ntimeline with {args.events:,} synthetic events ({articles:,} articles, {triples:,} triples)")
    print(f"raw timeline.rq on pyoxigraph: {rows:,} rows, p50 {raw_p50:.0f} ms (p90 {percentile(raw, 90):.0f})")
    print(f"/timeline right after start-up (index not cached): {cold:.0f} ms, {first_page} events listed")
    print(f"{'page':<22}{'p50':>10}{'p90':>10}{'vs raw':>9}")
    numbers: dict[str, object] = {
        "events": args.events,
        "articles": articles,
        "triples": triples,
        "raw_rows": rows,
        "raw_p50_ms": raw_p50,
        "cold_first_page_ms": cold,
        "pages": {},
    }
    for name, samples in server.items():
        p50 = statistics.median(samples)
        print(f"{name:<22}{p50:>8.0f}ms{percentile(samples, 90):>8.0f}ms{p50 / raw_p50:>8.2f}x")
        numbers["pages"][name] = {"path": PAGES[name], "p50_ms": p50, "p90_ms": percentile(samples, 90)}  # type: ignore[index]
    output = RESULTS / "timeline.json"
    output.write_text(json.dumps(numbers, indent=2) + "\n")
    print(f"numbers written to {output.relative_to(ROOT)}")
    return numbers


if __name__ == "__main__":
    main()
