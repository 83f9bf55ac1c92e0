"""A bounded load test: readers on /timeline and /sparql while articles are ingested through /api/articles.

Run: ``.venv/bin/python benchmarks/load.py [--seconds 60]`` (also ``make bench``). Needs
``wrk`` (Debian's package: ``apt-get install wrk``).

The service runs as ``kgservice serve`` would (gunicorn, one worker owning the embedded
store, ``KG_THREADS`` threads) on a copy of the seed store. For the whole run:

- one ``wrk`` hammers ``/timeline`` and another ``/sparql`` (a SELECT over the timeline),
  each with 8 connections;
- a writer posts synthetic articles to ``/api/articles`` one after another (extraction in
  the service's extraction process, the write in its owning process).

Afterwards every article the writer was told was stored must be in the store (an ASK per
article through ``/sparql``). Printed and written to ``benchmarks/results/load.json``:
requests per second, p50/p99 latency and non-2xx/3xx answers per reader, articles
ingested and their p50/p99 time, and lost articles (must be zero).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live import serve
from tests.test_web import build_seed_store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TOKEN = "load-test-token"
SPARQL = (
    "PREFIX kg: <https://w3id.org/kgservice/ns#> SELECT ?e ?status ?label WHERE { "
    "?e kg:status ?status OPTIONAL { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?label } } LIMIT 200"
)
PEOPLE = ("Maria Okafor", "John Smith", "Wei Zhang", "Aisha Haddad", "Pierre Dubois", "Olga Ivanova")
PLACES = ("Geneva", "Hanoi", "Oslo", "Nairobi", "Lima", "Vienna")
MONTHS = ("January", "March", "May", "July", "September", "November")


def article(n: int, rng: random.Random) -> dict[str, str]:
    """A short synthetic news article: a meeting, a statement and a quote."""
    a, b = rng.sample(PEOPLE, 2)
    place, month = rng.choice(PLACES), rng.choice(MONTHS)
    text = (
        f"{a} and {b} will meet in {place} in {month} 2020, officials said on Tuesday. "
        f"{a} told reporters that the talks would be difficult. "
        f"“We are ready to negotiate,” {b} said on Wednesday. "
        f"The two met last year in {rng.choice(PLACES)} to discuss trade."
    )
    return {"id": f"load-{n:05d}", "title": f"Talks in {place} ({n})", "published": "2019-12-02", "text": text}


def post(base: str, body: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{base}/api/articles",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, json.loads(response.read())["article"]


def writer(base: str, stop: threading.Event, done: list[tuple[str, float]], errors: list[str]) -> None:
    """Post articles until ``stop``; record each stored article and how long it took."""
    rng = random.Random(11)
    n = 0
    while not stop.is_set():
        start = time.perf_counter()
        try:
            status, iri = post(base, article(n, rng))
            if status in (200, 201):
                done.append((iri, time.perf_counter() - start))
            else:
                errors.append(f"{status} for article {n}")
        except Exception as exc:  # a failed write is a result to report, not a crash of the benchmark
            errors.append(f"article {n}: {exc}")
        n += 1


def wrk(url: str, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "--timeout", "30s", "--latency", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def parse_wrk(output: str) -> dict[str, object]:
    """Requests/s, latency percentiles (ms) and non-2xx/3xx answers from wrk's report."""

    def ms(text: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    percentiles = {p: ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "requests_per_s": float(rate.group(1)) if rate else 0.0,
        "p50_ms": percentiles.get("50"),
        "p99_ms": percentiles.get("99"),
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "none",
    }


def stored(base: str, iri: str) -> bool:
    query = urllib.parse.urlencode({"query": f"ASK {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"})
    request = urllib.request.Request(f"{base}/sparql?{query}", headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return bool(json.loads(response.read())["boolean"])


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run readers and a writer for ``--seconds``; check nothing was lost; print and save the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "kg"
        build_seed_store(store)
        with serve(store, RESULTS / "load-server.log", threads=8, KG_API_TOKEN=TOKEN) as base:
            post(base, article(99999, random.Random(0)))  # start the extraction process before the clock
            stop, done, errors = threading.Event(), [], []
            ingest = threading.Thread(target=writer, args=(base, stop, done, errors))
            readers = {
                "timeline": wrk(f"{base}/timeline", args.seconds),
                "sparql": wrk(f"{base}/sparql?" + urllib.parse.urlencode({"query": SPARQL}), args.seconds),
            }
            ingest.start()
            outputs = {name: process.communicate()[0] for name, process in readers.items()}
            stop.set()
            ingest.join()
            lost = [iri for iri, _ in done if not stored(base, iri)]
    seconds = sorted(t for _, t in done)
    numbers: dict[str, object] = {
        "seconds": args.seconds,
        "readers": {name: parse_wrk(text) for name, text in outputs.items()},
        "ingested": len(done),
        "ingest_p50_ms": statistics.median(seconds) * 1000 if seconds else None,
        "ingest_p99_ms": seconds[int(0.99 * (len(seconds) - 1))] * 1000 if seconds else None,
        "ingest_errors": errors,
        "lost_articles": len(lost),
    }
    print(f"\nload test: {args.seconds} s, 2 × 8 reader connections, one writer")
    for name, stats in numbers["readers"].items():  # type: ignore[union-attr]
        print(
            f"  {name:<9} {stats['requests_per_s']:8.1f} req/s  p50 {stats['p50_ms']} ms  p99 {stats['p99_ms']} ms  "
            f"non-2xx/3xx {stats['non_2xx_3xx']}  socket errors {stats['socket_errors']}"
        )
    print(
        f"  ingest    {len(done)} articles  p50 {numbers['ingest_p50_ms']:.0f} ms  "
        f"p99 {numbers['ingest_p99_ms']:.0f} ms  errors {len(errors)}  lost {len(lost)}"
    )
    (RESULTS / "load.json").write_text(json.dumps(numbers, indent=2) + "\n")
    return numbers


if __name__ == "__main__":
    main()
