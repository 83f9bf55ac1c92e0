"""Parallel extraction for bulk ingest: ``jobs`` processes parse, the caller's process writes.

With ``--jobs N`` there are N processes in all: N - 1 worker processes, and the caller's
own, which resolves, maps and writes every article and, whenever the next articles in
order are not parsed yet, parses a later chunk itself instead of waiting. So no core
sits idle and none is shared by three busy processes (on two cores, two workers and a
writer slowed each other down). Each process loads the spaCy pipeline once and turns
chunks of articles into :class:`~kgservice.extract.records.Extraction` records (plain,
picklable). Results come back in input order, so the one process that owns the store can
resolve, map and write each article in turn, exactly as a single-process run would.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from kgservice.errors import ConfigError, KGError
from kgservice.extract.records import ArticleInput, Extraction

CHUNK = 8  # articles per task: nlp.pipe's batch, and small enough to keep every process busy
AHEAD = 4  # chunks queued per worker

_extractor: Any = None
_error: str | None = None


def resolve_jobs(jobs: int) -> int:
    """``0`` means one process per CPU."""
    return jobs if jobs > 0 else os.cpu_count() or 1


def parallel_extractions(
    articles: Sequence[ArticleInput],
    model: str,
    jobs: int,
    extractor: Callable[[], Any],
    chunk: int = CHUNK,
) -> Iterator[Extraction]:
    """Extract ``articles`` in ``jobs`` processes (``jobs - 1`` workers and this one); yield them in input order.

    ``extractor`` gives this process's :class:`~kgservice.extract.extractor.Extractor`
    (made, and its model loaded, the first time this process parses a chunk).
    """
    if not articles:
        return
    chunks = [list(articles[start : start + chunk]) for start in range(0, len(articles), chunk)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    workers = max(1, jobs - 1)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start, initargs=(model,))
    queued: dict[int, Future[list[Extraction] | str]] = {}  # chunk index → a worker's result
    parsed: dict[int, list[Extraction]] = {}  # chunk index → parsed here
    given = 0  # chunks handed out so far, in order
    try:
        for wanted in range(len(chunks)):
            while given < len(chunks) and len(queued) < workers * AHEAD:
                queued[given] = pool.submit(_extract_chunk, chunks[given])
                given += 1
            while wanted in queued and not queued[wanted].done() and given < len(chunks):
                parsed[given] = list(extractor().extract_many(chunks[given], batch_size=chunk))  # instead of waiting
                given += 1
            yield from parsed.pop(wanted) if wanted in parsed else _outcome(queued.pop(wanted))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: Future[list[Extraction] | str]) -> list[Extraction]:
    result = future.result()
    if isinstance(result, str):
        raise ConfigError(result)
    return result


def serial_extractions(articles: Iterable[ArticleInput], extractor: Callable[[], Any]) -> Iterator[Extraction]:
    """Extract in this process (the extractor made, and the model loaded, only if there is work)."""
    articles = list(articles)
    if articles:
        yield from extractor().extract_many(articles)


def _start(model: str) -> None:
    """Worker initializer: load the pipeline once (a failure is reported with the first chunk)."""
    global _extractor, _error
    try:
        from kgservice.extract.extractor import Extractor

        _extractor = Extractor(model)
    except KGError as exc:
        _error = exc.message


def _extract_chunk(articles: list[ArticleInput]) -> list[Extraction] | str:
    """Extract a chunk in a worker; the pipeline's load error instead, if it failed."""
    if _extractor is None:
        return _error or "the spaCy pipeline could not be loaded"
    return list(_extractor.extract_many(articles, batch_size=len(articles)))
