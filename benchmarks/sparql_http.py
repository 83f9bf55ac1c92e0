"""SPARQL over HTTP vs. the same queries on pyoxigraph directly, on a synthetic store of about 1M triples.

Run: ``.venv/bin/python benchmarks/sparql_http.py [--triples N]`` (default 1,000,000), or
``make bench``. Target: the p50 over HTTP is at most 1.5x the direct p50.

What is measured, in one run and on the same store directory:

- direct: ``Store.query(q, use_default_graph_as_union=True)`` and the SPARQL JSON results
  serialised by Oxigraph, i.e. the bytes a client would get, with nothing in between;
- HTTP: a ``POST /sparql`` (``application/sparql-query``, ``Accept:
  application/sparql-results+json``) to the service under gunicorn, on one persistent
  connection, until the whole body is read. Each answer must be 200, not truncated
  (``X-KG-Truncated: false``; the server runs with ``KG_MAX_ROWS=1000000`` and
  ``KG_QUERY_TIMEOUT=300``) and hold as many rows as the direct answer, or the run fails.

The ratio HTTP p50 / direct p50 is what the service costs on top of the engine: protocol,
result conversion and serialisation, and any process hand-over. The two sides are
**interleaved**: the server is started first, then this process opens the same store
read-only (``Store.read_only``: the server writes nothing while it runs), and each run
times the query once directly and once over HTTP, alternating which goes first, so both
sides see the same machine load. Each side is warmed up once, then timed 30 times (5 for
a query whose warm-up took more than 1 s); p50 and p90 are printed. The queries are ones a
user sends: the whole timeline, the events of one actor, of a list of 1,000 actors (a 50 kB
query), and the events that began in a
date range.

The server's peak memory is read from ``VmHWM`` in ``/proc/<pid>/status`` of the gunicorn
worker and of every process under it (the endpoint may run queries in forked processes):
they are read after every HTTP answer, outside the timed windows (a high-water mark needs
no polling while the process lives; a process that lives through less than one request may
be missed), and a forked process's high-water mark counts pages it shares with its parent,
so the sum is an upper bound. (They were polled every 50 ms by a thread of this process
before; that thread ran while the client waited for HTTP answers, took CPU from the server
on this 2-core machine and made the small query's HTTP p50 about 1.5 ms slower.)

The store is built once per size (about 15 s for 1M triples) and kept under
``benchmarks/results/store-<N>/`` (git-ignored) with a note of its quad count; it is
rebuilt when the note, the count or ``synthetic.py`` do not match; it is closed before the
server opens it. Numbers go to ``benchmarks/results/sparql.json``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import http.client
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.live
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for synthetic

from synthetic import build_store, triples_for

from tests.live import serve

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
QUERIES = ROOT / "queries"
TARGET = 1.5  # HTTP p50 / direct p50
RUNS, SLOW_RUNS, SLOW_SECONDS = 30, 5, 1.0
SERVER_ENV = {"KG_MAX_ROWS": "1000000", "KG_QUERY_TIMEOUT": "300"}
SERVER_THREADS = 4
ACTOR = "http://127.0.0.1:8000/id/actor/actor-9"  # a person in every synthetic pool (the pool is drawn first)
JSON_RESULTS = "application/sparql-results+json"
MANY_ACTORS = [f"http://127.0.0.1:8000/id/actor/actor-{i}" for i in range(0, 100_000, 100)]


@dataclass(frozen=True)
class Query:
    """A benchmark query: a short name, what it asks, and its text."""

    name: str
    description: str
    text: str


@dataclass
class Timing:
    """Wall times of one query on one side, in milliseconds."""

    rows: int
    bytes: int
    samples_ms: list[float]
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.p50_ms = statistics.median(self.samples_ms)
        self.p90_ms = percentile(self.samples_ms, 90)


def percentile(samples: list[float], pct: int) -> float:
    """The ``pct``-th percentile, interpolated between the nearest samples."""
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# -- queries ------------------------------------------------------------------------------


def with_values(text: str, var: str, *iris: str) -> str:
    """``text`` with ``VALUES ?var { <iri> … }`` at the start of its WHERE group."""
    head, sep, tail = text.partition("WHERE {")
    if not sep:
        raise ValueError("the query has no `WHERE {`")
    values = "\n    ".join(f"<{iri}>" for iri in iris)
    return f"{head}WHERE {{\n  VALUES ?{var} {{ {values} }}{tail}"


DATE_RANGE = """PREFIX kg: <https://w3id.org/kgservice/ns#>
PREFIX sem: <http://semanticweb.cs.vu.nl/2009/11/sem/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?event ?label ?cls ?status ?earliest ?latest ?graph WHERE {
  GRAPH ?graph {
    ?event sem:hasEarliestBeginTimeStamp ?earliest ; kg:status ?status ; a ?cls .
    FILTER(?earliest >= "2010-01-01"^^xsd:date && ?earliest < "2011-01-01"^^xsd:date)
    FILTER(STRSTARTS(STR(?cls), STR(kg:)))
    OPTIONAL { ?event rdfs:label ?label }
    OPTIONAL { ?event sem:hasLatestEndTimeStamp ?latest }
  }
}
ORDER BY ?earliest ?event ?graph
"""


def benchmark_queries() -> list[Query]:
    """The whole timeline, one actor's events, a thousand actors' events, and a year of events by date range."""
    return [
        Query(
            "timeline",
            "queries/timeline.rq as is: every event as each article graph tells it (class, status, label, "
            "time bounds, TIMEX, place), ordered by event — the whole timeline, the largest answer",
            (QUERIES / "timeline.rq").read_text(),
        ),
        Query(
            "events-of-actor",
            f"queries/events-of-actor.rq with ?actor bound to <{ACTOR}>: the events one person takes part in, "
            "with class, status and time bounds per article graph, ordered by date",
            with_values((QUERIES / "events-of-actor.rq").read_text(), "actor", ACTOR),
        ),
        Query(
            "events-of-1000-actors",
            "queries/events-of-actor.rq with ?actor bound to 1,000 actor IRIs by a VALUES block (a 50 kB query, "
            "as a notebook sends for a list of people; most of them are not in the store): their events, by date",
            with_values((QUERIES / "events-of-actor.rq").read_text(), "actor", *MANY_ACTORS),
        ),
        Query(
            "events-in-2010",
            "events whose earliest begin (sem:hasEarliestBeginTimeStamp) falls in 2010, a range FILTER over "
            "every dated event, with label, class, status and bounds per article graph, ordered by date",
            DATE_RANGE,
        ),
    ]


# -- the store ----------------------------------------------------------------------------


def synthetic_digest() -> str:
    """A digest of the generator, so a changed generator rebuilds the cached store."""
    return hashlib.sha256((ROOT / "benchmarks" / "synthetic.py").read_bytes()).hexdigest()[:16]


def cached_store(path: Path, articles: int) -> ox.Store:
    """The synthetic store at ``path``, reused when its note and quad count match, else rebuilt."""
    note_path = path.with_name(path.name + ".json")
    expected = {"articles": articles, "synthetic": synthetic_digest()}
    if path.is_dir() and note_path.is_file():
        note = json.loads(note_path.read_text())
        if all(note.get(k) == v for k, v in expected.items()):
            store = ox.Store(str(path))
            if len(store) == note.get("quads"):
                print(f"reusing the store at {path.relative_to(ROOT)} ({len(store):,} quads)", flush=True)
                return store
            del store
            gc.collect()
    shutil.rmtree(path, ignore_errors=True)
    note_path.unlink(missing_ok=True)
    print(f"building {articles:,} synthetic articles into {path.relative_to(ROOT)} …", flush=True)
    start = time.perf_counter()
    store = build_store(str(path), articles)
    note_path.write_text(json.dumps({**expected, "quads": len(store)}) + "\n")
    print(f"built {len(store):,} quads in {time.perf_counter() - start:.1f} s", flush=True)
    return store


# -- timing -------------------------------------------------------------------------------


def count_rows(body: bytes) -> tuple[list[str], int]:
    """The variables and the number of rows of a SPARQL JSON results document."""
    document = json.loads(body)
    return document["head"]["vars"], len(document["results"]["bindings"])


def direct_call(store: ox.Store, query: Query) -> Callable[[], bytes]:
    """Query and serialise to SPARQL JSON in process: the engine's own cost."""

    def call() -> bytes:
        result = store.query(query.text, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions), "benchmark queries are SELECT queries"
        return result.serialize(format=ox.QueryResultsFormat.JSON) or b""

    return call


def prepare_store(path: Path, articles: int) -> int:
    """Build or check the cached store; close it for the server. Returns its quad count."""
    store = cached_store(path, articles)
    try:
        return len(store)
    finally:
        store.flush()
        del store
        gc.collect()


class Endpoint:
    """One persistent HTTP/1.1 connection to ``{base}/sparql``."""

    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.reconnects = 0
        self.timing = ""  # the last answer's Server-Timing header

    def post(self, query: str) -> tuple[int, str | None, bytes]:
        """POST ``query``; the status, the ``X-KG-Truncated`` header and the whole body."""
        try:
            return self._post(query)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.reconnects += 1  # the server closed an idle keep-alive connection
            self.connection.close()
            return self._post(query)

    def _post(self, query: str) -> tuple[int, str | None, bytes]:
        headers = {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}
        self.connection.request("POST", "/sparql", body=query.encode("utf-8"), headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        self.timing = response.getheader("Server-Timing") or ""
        return response.status, response.getheader("X-KG-Truncated"), body

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def measure(
    store: ox.Store, endpoint: Endpoint, query: Query, log: Path, after_http: Callable[[], None]
) -> tuple[Timing, Timing]:
    """Time ``query`` directly and over HTTP, interleaved; every HTTP answer is checked against the direct one.

    Each HTTP answer must be 200, untruncated, with the direct answer's variables and row
    count. Checks, and ``after_http``, happen outside the timed windows.
    """
    direct = direct_call(store, query)
    last: dict[str, Any] = {}

    def over_http() -> bytes:
        status, truncated, body = endpoint.post(query.text)
        last.update(status=status, truncated=truncated)
        return body

    started = time.perf_counter()
    expected = count_rows(direct())
    warmup_direct = time.perf_counter() - started
    if expected[1] == 0:
        raise SystemExit(f"{query.name}: no rows on the synthetic store; the benchmark would be meaningless")
    started = time.perf_counter()
    body = over_http()
    warmup_http = time.perf_counter() - started
    seen: set[str | None] = set()

    def check(body: bytes) -> None:
        if last["status"] != 200:
            excerpt = body[:600].decode("utf-8", "replace")
            raise SystemExit(f"{query.name}: HTTP {last['status']} (server log: {log})\n{excerpt}")
        if last["truncated"] not in ("false", None):
            raise SystemExit(f"{query.name}: X-KG-Truncated: {last['truncated']} — the answer was cut")
        got = count_rows(body)
        if got != expected:
            raise SystemExit(f"{query.name}: {got[1]} rows {got[0]} over HTTP, {expected[1]} rows {expected[0]} direct")
        seen.add(last["truncated"])

    check(body)
    samples: dict[str, list[float]] = {"direct": [], "http": []}
    server: list[dict[str, float]] = []  # the server's own account of each HTTP answer
    sizes: dict[str, int] = {}
    runs = SLOW_RUNS if max(warmup_direct, warmup_http) > SLOW_SECONDS else RUNS
    for run in range(runs):
        order = (("direct", direct), ("http", over_http))
        for side, call in order if run % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            body = call()
            samples[side].append((time.perf_counter() - started) * 1000)
            sizes[side] = len(body)
            if side == "http":
                check(body)
                server.append(server_timing(endpoint.timing))
                after_http()
    rows = expected[1]
    return (
        Timing(
            rows, sizes["direct"], samples["direct"], extra={"warmup_ms": warmup_direct * 1000, "vars": expected[0]}
        ),
        Timing(
            rows,
            sizes["http"],
            samples["http"],
            extra={
                "warmup_ms": warmup_http * 1000,
                "x_kg_truncated": sorted(seen, key=str),
                # where the HTTP time goes: the query worker's time, and the endpoint's (worker included)
                "server_worker_p50_ms": statistics.median(t["worker"] for t in server),
                "server_total_p50_ms": statistics.median(t["total"] for t in server),
            },
        ),
    )


def server_timing(header: str) -> dict[str, float]:
    """``worker;dur=3.8, total;dur=4.2`` as ``{"worker": 3.8, "total": 4.2}``."""
    out = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            out[name] = float(duration)
    return out


# -- server memory -------------------------------------------------------------------------


def parent_pids() -> dict[int, int]:
    """Every visible process and its parent, from ``/proc/*/stat``."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])  # the name may hold spaces and ")"
    return parents


def children(pid: int, parents: dict[int, int]) -> list[int]:
    """The direct children of ``pid``."""
    return sorted(child for child, parent in parents.items() if parent == pid)


def descendants(pid: int, parents: dict[int, int]) -> list[int]:
    """Every process below ``pid``."""
    found, todo = [], children(pid, parents)
    while todo:
        found.append(todo.pop())
        todo += children(found[-1], parents)
    return sorted(found)


def status_kib(pid: int, key: str) -> int | None:
    """A ``kB`` line (``VmHWM``, ``VmRSS``) of ``/proc/<pid>/status``, or None if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def command(pid: int) -> str:
    """The command line of ``pid`` (empty if it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def gunicorn_master() -> int:
    """Our child process running gunicorn (``tests.live.serve`` starts it from this process)."""
    parents = parent_pids()
    masters = [pid for pid in children(os.getpid(), parents) if "gunicorn" in command(pid)]
    if len(masters) != 1:
        raise SystemExit(f"expected one gunicorn child of this process, found {masters}")
    return masters[0]


class MemorySampler:
    """Reads ``VmHWM`` of every process under the gunicorn master when asked; keeps each one's maximum."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.peaks: dict[int, int] = {}
        self.roles: dict[int, str] = {}
        self.peak_rss_sum_kib = 0
        self.samples = 0

    def sample(self) -> None:
        """Record the high-water mark of every process under the master, and their summed RSS now."""
        self.samples += 1
        parents = parent_pids()
        workers = children(self.master, parents)
        rss_sum = 0
        for pid in descendants(self.master, parents):
            self.roles.setdefault(pid, "worker" if pid in workers else "query process")
            hwm = status_kib(pid, "VmHWM")
            if hwm is not None:
                self.peaks[pid] = max(hwm, self.peaks.get(pid, 0))
            rss_sum += status_kib(pid, "VmRSS") or 0
        self.peak_rss_sum_kib = max(self.peak_rss_sum_kib, rss_sum)

    def report(self) -> dict[str, object]:
        """Peaks per process, in MiB, with the worker's before/after and the sums."""
        processes = [
            {"pid": pid, "role": self.roles[pid], "vm_hwm_mib": round(kib / 1024, 1), "alive": command(pid) != ""}
            for pid, kib in sorted(self.peaks.items())
        ]
        workers = [p["vm_hwm_mib"] for p in processes if p["role"] == "worker"]
        others = [p["vm_hwm_mib"] for p in processes if p["role"] != "worker"]
        return {
            "worker_vm_hwm_mib": sum(workers),  # type: ignore[arg-type]
            "query_processes": len(others),
            "query_processes_vm_hwm_mib_sum": round(sum(others), 1),  # type: ignore[arg-type]
            "peak_rss_sum_mib": round(self.peak_rss_sum_kib / 1024, 1),
            "processes": processes,
            "samples": self.samples,  # one after every HTTP answer
        }


@dataclass
class HttpPhase:
    """What the interleaved runs found: timings on each side, server memory and connection reuse."""

    direct: dict[str, Timing]
    timings: dict[str, Timing]
    memory: dict[str, object]
    worker_vm_hwm_before_mib: float
    reconnects: int


def run_phase(path: Path, queries: list[Query]) -> HttpPhase:
    """Serve the store under gunicorn, open it read-only here, and time every query both ways."""
    log = RESULTS / "sparql-server.log"
    with serve(path, log, threads=SERVER_THREADS, **SERVER_ENV) as base:
        master = gunicorn_master()
        workers = children(master, parent_pids())
        before = sum(status_kib(pid, "VmHWM") or 0 for pid in workers) / 1024
        store = ox.Store.read_only(str(path))
        endpoint = Endpoint(base)
        direct, timings = {}, {}
        sampler = MemorySampler(master)
        sampler.sample()
        for query in queries:
            print(f"direct and HTTP, interleaved: {query.name} …", flush=True)
            direct[query.name], timings[query.name] = measure(store, endpoint, query, log, sampler.sample)
        endpoint.close()
        del store
        gc.collect()
        return HttpPhase(direct, timings, sampler.report(), round(before, 1), endpoint.reconnects)


# -- report -------------------------------------------------------------------------------


def verdict(ratio: float) -> str:
    """Whether a ratio meets the target."""
    return "ok" if ratio <= TARGET else "MISS"


def table(queries: list[Query], direct: dict[str, Timing], over_http: dict[str, Timing]) -> Iterator[str]:
    """The result table, one line per query; "worker" and "endpoint" are the server's own p50 times."""
    yield (
        f"{'query':<21} {'rows':>7} {'direct p50':>11} {'(p90)':>9} {'HTTP p50':>10} {'(p90)':>9} "
        f"{'worker':>8} {'endpoint':>9} {'ratio':>7}  verdict"
    )
    for query in queries:
        d, h = direct[query.name], over_http[query.name]
        ratio = h.p50_ms / d.p50_ms
        yield (
            f"{query.name:<21} {d.rows:>7} {d.p50_ms:>8.1f} ms {d.p90_ms:>9.1f} {h.p50_ms:>7.1f} ms {h.p90_ms:>9.1f} "
            f"{h.extra['server_worker_p50_ms']:>8.1f} {h.extra['server_total_p50_ms']:>9.1f} "
            f"{ratio:>6.2f}x  {verdict(ratio)} (target <= {TARGET}x)"
        )


def report(
    args: argparse.Namespace, triples: int, queries: list[Query], direct: dict[str, Timing], web: HttpPhase
) -> dict:
    """Print the table and return everything as one JSON-ready dict."""
    print()
    print(f"SPARQL over HTTP vs direct pyoxigraph {ox.__version__}: {triples:,} triples ({args.articles:,} articles)")
    print(f"target: HTTP p50 <= {TARGET}x direct p50 (direct = query + JSON serialisation in process)")
    for query in queries:
        print(f"  {query.name}: {query.description}")
    print()
    for line in table(queries, direct, web.timings):
        print(line)
    memory = web.memory
    print(
        f"\nserver peak memory (VmHWM): worker {memory['worker_vm_hwm_mib']} MiB "
        f"(after start-up {web.worker_vm_hwm_before_mib} MiB); "
        f"{memory['query_processes']} query process(es) seen, {memory['query_processes_vm_hwm_mib_sum']} MiB summed; "
        f"peak summed RSS {memory['peak_rss_sum_mib']} MiB"
    )
    truncated = {name: t.extra["x_kg_truncated"] for name, t in web.timings.items()}
    print(f"X-KG-Truncated: {truncated}; connection re-opened {web.reconnects} time(s)")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "pyoxigraph": ox.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "triples": triples,
        "articles": args.articles,
        "target_ratio": TARGET,
        "server": {"threads": SERVER_THREADS, "env": SERVER_ENV, "memory": memory},
        "worker_vm_hwm_before_mib": web.worker_vm_hwm_before_mib,
        "reconnects": web.reconnects,
        "queries": [
            {
                "name": q.name,
                "description": q.description,
                "query": q.text,
                "direct": asdict(direct[q.name]),
                "http": asdict(web.timings[q.name]),
                "ratio_p50": web.timings[q.name].p50_ms / direct[q.name].p50_ms,
                "ratio_p90": web.timings[q.name].p90_ms / direct[q.name].p90_ms,
                "meets_target": web.timings[q.name].p50_ms / direct[q.name].p50_ms <= TARGET,
            }
            for q in queries
        ],
    }


def main(argv: list[str] | None = None) -> dict:
    """Build or reuse the store, time direct and HTTP interleaved, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000, help="store size to aim for (default 1,000,000)")
    parser.add_argument("--output", type=Path, default=RESULTS / "sparql.json", help="where to write the numbers")
    args = parser.parse_args(argv)
    args.articles = triples_for(args.triples)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"store-{args.triples}"
    queries = benchmark_queries()
    triples = prepare_store(path, args.articles)
    web = run_phase(path, queries)
    numbers = report(args, triples, queries, web.direct, web)
    args.output.write_text(json.dumps(numbers, indent=2) + "\n")
    print(f"numbers written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return numbers


if __name__ == "__main__":
    main()
