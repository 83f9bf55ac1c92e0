"""``/api/articles``: ingest or remove one article while the service is serving (token required).

The embedded store is owned by this process, so writes must happen here; the web
process never imports spaCy, so extraction runs in one spawned **extraction process**
that loads the pipeline once and is reused (started on the first article, stopped at
exit). The web process then resolves, maps and writes the article's graph in one
transaction, and recomputes the link graphs. Readers meanwhile see the old store or the
new one, never half an article.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request
from rdflib import URIRef
from werkzeug.exceptions import UnsupportedMediaType

from kgservice.errors import NotFound, StoreError
from kgservice.web import get_store, query_flag, settings
from kgservice.web.auth import require_token

if TYPE_CHECKING:  # the records are imported where an article arrives: the app starts without kgservice.extract
    from kgservice.extract.records import ArticleInput, Extraction

bp = Blueprint("articles", __name__)
ARTICLE_TYPES = ("application/json", "text/plain", "text/html")
ARTICLE_FIELDS = ("title", "published", "url", "author", "genre", "id")  # metadata, in the JSON or the query string

_extractor: Any = None  # in the extraction process: the pipeline, loaded once


def _load(model: str) -> None:
    global _extractor
    from kgservice.extract.extractor import Extractor

    _extractor = Extractor(model)


def _extract(article: ArticleInput) -> Extraction:
    return _extractor.extract(article)


class ExtractionProcess:
    """One spawned process holding the spaCy pipeline, for the articles posted to the API."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def extract(self, article: ArticleInput) -> Extraction:
        """Extract one article in the extraction process (started on first use, restarted if it died)."""
        for attempt in range(2):
            with self._lock:
                if self._pool is None:
                    context = multiprocessing.get_context("spawn")
                    self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_load, initargs=(self.model,))
                pool = self._pool
            try:
                return pool.submit(_extract, article).result()
            except BrokenProcessPool:
                with self._lock:
                    self._pool = None
                if attempt:
                    raise StoreError("the extraction process died; the article was not stored") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


_process: ExtractionProcess | None = None
_process_lock = threading.Lock()
_write_lock = threading.Lock()  # one article written (and links recomputed) at a time


def extraction_process() -> ExtractionProcess:
    global _process
    with _process_lock:
        if _process is None:
            _process = ExtractionProcess(settings().spacy_model)
        return _process


@bp.post("/api/articles")
def create() -> Response:
    """Ingest one article: JSON ``{"text", "title"?, "published"?, "url"?, "author"?, "id"?}``, text or HTML."""
    require_token()
    if request.mimetype not in ARTICLE_TYPES:
        raise UnsupportedMediaType(
            f"an article is sent as {', '.join(ARTICLE_TYPES)}, not {request.mimetype or 'nothing'}"
        )
    from kgservice.articles import check_size, read_body

    replace = query_flag("replace", default=True)  # whether an article stored with other content is replaced
    overrides = {k: request.args.get(k) for k in ARTICLE_FIELDS if k != "id"}
    article = read_body(request.get_data(), request.mimetype, request.args.get("id") or "article", overrides)
    check_size(article, settings().max_article_bytes)
    extraction = extraction_process().extract(article)
    from kgservice.ingest import Ingester
    from kgservice.links import refresh_links

    with _write_lock:
        ingester = Ingester(get_store(), settings())
        result = ingester.store_extraction(extraction, replace=replace)
        # unchanged too (nothing is written then): a server killed between an article and its links catches up
        refresh_links(get_store(), settings())
    body = {
        "article": str(result.article),
        "outcome": result.outcome,
        "triples": result.triples,
        "actors": result.actors,
        "events": result.events,
        "assertions": result.assertions,
    }
    response = jsonify(body)
    response.status_code = 201 if result.outcome == "added" else 200
    response.headers["Location"] = str(result.article)
    return response


@bp.delete("/api/articles/<path:article>")
def remove(article: str) -> Response:
    """Remove one article's graph (its id, or its IRI)."""
    require_token()
    from kgservice.graph.iris import Minter

    iri = URIRef(article if "://" in article else str(Minter(settings().base_uri).article(article)))
    with _write_lock:
        if not get_store().delete_graph(iri):
            raise NotFound(f"no article graph {iri} in the store")
        from kgservice.links import refresh_links

        refresh_links(get_store(), settings())
    return Response(status=204)
