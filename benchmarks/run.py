"""Benchmarks, each printed as a ratio against a baseline measured in the same run.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).

- extraction: kgservice's whole extraction vs. the bare spaCy pipeline on the same texts
  (the cost of our rules on top of parsing);
- ingest: extraction + resolve + map + store vs. extraction alone;
- query: a timeline query on Oxigraph's engine (what the store does) vs. rdflib's own
  SPARQL engine over the same data (what happens if a query falls back silently);
- sparql over HTTP: the same queries through the service under gunicorn vs. pyoxigraph
  directly, on a synthetic store of 1M triples (see ``sparql_http.py``);
- timeline page: ``/timeline`` and friends with 10,000 synthetic events vs. the raw SPARQL
  timeline query on the same store (see ``timeline_http.py``).
- dumps: ``/export`` of the 1M-triple store in every format vs. Oxigraph's own dump in
  process (see ``export_http.py``).
- scale: extraction vs. raw ``nlp.pipe``, store writes vs. pyoxigraph's ``bulk_load`` on
  a synthetic news corpus, and peak memory per million triples (see ``scale.py``);
- load: 60 s of readers on ``/timeline`` and ``/sparql`` (wrk) while articles are ingested
  through ``/api/articles``: 5xx answers, lost articles, p99 latency (see ``load.py``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
MEANTIME = ROOT.parent / "shared" / "eval" / "meantime-apple"


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def corpus() -> list:
    """The seeds plus MEANTIME Apple's texts, when present."""
    from kgservice.articles import read_file
    from kgservice.extract.records import ArticleInput

    articles = [read_file(p)[0] for p in sorted((ROOT / "seeds").glob("*.txt"))]
    if MEANTIME.is_dir():
        from meantime import load_meantime

        articles += [
            ArticleInput(id=f"m{n}", text=d.text, published=d.dct) for n, d in enumerate(load_meantime(MEANTIME))
        ]
    return articles


def main() -> None:
    """Run every benchmark and print one line each."""
    import spacy
    from rdflib import Dataset
    from rdflib.plugins.sparql import prepareQuery

    from kgservice.extract.extractor import Extractor
    from kgservice.ingest import Ingester
    from kgservice.resources import load_query
    from kgservice.settings import load_settings
    from kgservice.store import GraphStore

    articles = corpus()
    words = sum(len(a.text.split()) for a in articles)
    settings = load_settings()
    extractor = Extractor(settings.spacy_model)
    texts = [a.text for a in articles]
    raw = spacy.load(settings.spacy_model)  # the model as published, without kgservice's component
    bare = timed(lambda: list(raw.pipe(texts)))
    ours = timed(lambda: list(extractor.extract_many(articles)))
    print(
        f"extraction  {words / ours:8.0f} words/s   bare spaCy {words / bare:8.0f} words/s   "
        f"throughput {bare / ours:.2f}x of bare spaCy (target >= 0.70x)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        store = GraphStore(str(Path(tmp) / "kg"))
        ingester = Ingester(store, load_settings({"KG_STORE": str(Path(tmp) / "kg")}))
        start = time.perf_counter()
        list(ingester.ingest_many(articles))
        ingest = time.perf_counter() - start
        print(
            f"ingest      {len(articles) / ingest:8.1f} articles/s  vs extraction alone   takes {ingest / ours:.2f}x as long"
        )
        query = load_query("timeline").text
        oxigraph = timed(lambda: list(store.query(query)), repeat=5)
        memory = Dataset(default_union=True)
        for s, p, o, g in store.dataset.quads((None, None, None, None)):
            memory.graph(g).add((s, p, o))
        prepared = prepareQuery(query)
        rdflib_engine = timed(lambda: list(memory.query(prepared)), repeat=3)
        print(
            f"timeline    oxigraph {oxigraph * 1000:7.1f} ms   rdflib engine {rdflib_engine * 1000:7.1f} ms   "
            f"ratio {rdflib_engine / oxigraph:.1f}x slower without Oxigraph ({len(store)} quads)"
        )
        store.close()

    import export_http
    import load
    import scale
    import sparql_http
    import timeline_http

    sparql_http.main([])
    timeline_http.main([])
    export_http.main([])
    scale.main([])
    if shutil.which("wrk"):
        load.main([])
    else:
        print("load test skipped: wrk is missing (apt-get install wrk)")


if __name__ == "__main__":
    main()
