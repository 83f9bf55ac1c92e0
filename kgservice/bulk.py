"""Parallel extraction for bulk ingest: worker processes parse, the caller's process writes.

Each worker loads the spaCy pipeline once and turns chunks of articles into
:class:`~kgservice.extract.records.Extraction` records (plain, picklable). Results come
back in input order, so the one process that owns the store can resolve, map and write
each article in turn, exactly as a single-process run would.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from kgservice.errors import ConfigError, KGError
from kgservice.extract.records import ArticleInput, Extraction

CHUNK = 8  # articles per task: nlp.pipe's batch, and small enough to keep both workers busy
AHEAD = 4  # chunks queued per worker

_extractor: Any = None
_error: str | None = None


def resolve_jobs(jobs: int) -> int:
    """``0`` means one worker per CPU."""
    return jobs if jobs > 0 else os.cpu_count() or 1


def parallel_extractions(
    articles: Sequence[ArticleInput], model: str, jobs: int, chunk: int = CHUNK
) -> Iterator[Extraction]:
    """Extract ``articles`` in ``jobs`` worker processes; yield the extractions in input order."""
    if not articles:
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start, initargs=(model,))
    chunks = _chunked(articles, chunk)
    pending: deque[Future[list[Extraction] | str]] = deque()
    try:
        _submit(pool, pending, chunks, jobs * AHEAD)
        while pending:
            result = pending.popleft().result()
            if isinstance(result, str):
                raise ConfigError(result)
            _submit(pool, pending, chunks, 1)
            yield from result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def serial_extractions(articles: Iterable[ArticleInput], extractor: Callable[[], Any]) -> Iterator[Extraction]:
    """Extract in this process (the extractor made, and the model loaded, only if there is work)."""
    articles = list(articles)
    if articles:
        yield from extractor().extract_many(articles)


def _submit(
    pool: ProcessPoolExecutor,
    pending: deque[Future[list[Extraction] | str]],
    chunks: Iterator[list[ArticleInput]],
    count: int,
) -> None:
    for _ in range(count):
        batch = next(chunks, None)
        if batch is None:
            return
        pending.append(pool.submit(_extract_chunk, batch))


def _chunked(articles: Sequence[ArticleInput], size: int) -> Iterator[list[ArticleInput]]:
    for start in range(0, len(articles), size):
        yield list(articles[start : start + size])


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
