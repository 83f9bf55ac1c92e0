"""The dataset as a whole: dumps (``/export``), the JSON-LD context and the VoID description.

- ``GET /export?format=&graph=&from=&to=&gzip=`` streams a dump (:mod:`kgservice.export`)
  as an attachment named ``kgservice-<scope>.<ext>``. ``Accept-Encoding: gzip`` compresses
  the transfer (``Content-Encoding: gzip``: the client saves the plain file);
  ``gzip=1`` gives a gzip *file* instead (``application/gzip``, ``.gz`` name).
- ``GET /context.jsonld`` (the current version) and ``/context/v<N>.jsonld`` (fixed): the
  JSON-LD context that the JSON-LD dump names.
- ``GET /.well-known/void``: VoID + DCAT (:mod:`kgservice.void`), Turtle unless ``Accept``
  or ``format`` asks for JSON-LD, N-Triples or RDF/XML. Its counts run in the query
  workers (so they are time-limited) and are kept until the next write.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, request

from kgservice import export as dumps
from kgservice.errors import InputError, StoreError
from kgservice.graph.jsonld import context_document, context_url, context_version
from kgservice.guard import QueryRequest
from kgservice.void import Publication, Statistics, statistics, void_graph
from kgservice.web import get_guard, get_store, query_flag, settings
from kgservice.web import negotiation as neg

bp = Blueprint("dataset", __name__)

EXPORT_PARAMETERS = ("format", "graph", "from", "to", "gzip")
STATISTICS_ROWS = 1_000_000  # the description's queries return one row per class or property


@bp.get("/export")
def export() -> Response:
    """Stream a dump of the whole store, one graph, or the articles of a date range."""
    _check_parameters()
    fmt = _export_format()
    gzip_file = query_flag("gzip")
    store, base_uri = get_store(), settings().base_uri
    args = request.args
    scope = dumps.resolve_scope(store, base_uri, args.get("graph"), args.get("from"), args.get("to"))
    chunks = dumps.dump_chunks(store, fmt, scope, base_uri)
    encoded = not gzip_file and request.accept_encodings["gzip"] > 0
    if gzip_file or encoded:
        chunks = dumps.gzipped(chunks)
    response = Response(chunks, mimetype="application/gzip" if gzip_file else fmt.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{dumps.dump_filename(fmt, scope, gzip_file)}"'
    if encoded:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.update(("Accept", "Accept-Encoding"))
    return response


def _check_parameters() -> None:
    unknown = sorted(set(request.args) - set(EXPORT_PARAMETERS))
    if unknown:
        raise InputError(f"unknown parameter {', '.join(unknown)}; /export takes {', '.join(EXPORT_PARAMETERS)}")


def _export_format() -> dumps.DumpFormat:
    """``format=`` if given, else the best dump media type in ``Accept``, else TriG."""
    name = request.args.get("format")
    if name is not None:
        return dumps.dump_format(name)
    accept = request.accept_mimetypes
    best = accept.best_match([f.media_type for f in dumps.FORMATS]) if accept else None
    return dumps.dump_format(best or "trig")


# -- the JSON-LD context -------------------------------------------------------------------


@bp.get("/context.jsonld")
def context() -> Response:
    """The current JSON-LD context (its fixed, versioned URL is in the ``Link`` header)."""
    response = _context_response()
    response.headers["Link"] = f'<{context_url(settings().base_uri)}>; rel="canonical"'
    response.cache_control.max_age = 3600
    return response


@bp.get("/context/v<int:version>.jsonld")
def versioned_context(version: int) -> Response:
    """One version of the JSON-LD context; it never changes, so it can be cached for long."""
    if version != context_version():
        abort(404, description=f"there is no context version {version}; the current one is {context_version()}")
    response = _context_response()
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response


def _context_response() -> Response:
    body = json.dumps(context_document(), ensure_ascii=False, indent=2) + "\n"
    return Response(body, mimetype="application/ld+json")


# -- the dataset description ---------------------------------------------------------------


@bp.get("/.well-known/void")
def void() -> Response:
    """VoID + DCAT: Turtle by default (and for browsers), JSON-LD, N-Triples or RDF/XML by ``Accept``."""
    fmt = neg.choose("graph", explicit=request.args.get("format") or ("ttl" if neg.prefers_html() else None))
    config = settings()
    store = get_store()
    stats: Statistics = store.memo("void-statistics", lambda: statistics(_guarded_rows, config.base_uri))
    publication = Publication(config.base_uri, config.data_license, config.publisher)
    body = void_graph(stats, publication).serialize(format=fmt.rdflib, encoding="utf-8")
    response = Response(body, mimetype=fmt.mimetype)
    response.vary.add("Accept")
    return response


def _guarded_rows(sparql: str) -> list[dict[str, str]]:
    """A SELECT's rows as plain strings, evaluated by a query worker under the time limit."""
    answer = get_guard().run(QueryRequest(sparql, max_rows=STATISTICS_ROWS))
    if answer.truncated:
        raise StoreError("the dataset statistics have more rows than expected")
    bindings: list[dict[str, Any]] = json.loads(answer.body)["results"]["bindings"]
    return [{name: cell["value"] for name, cell in row.items()} for row in bindings]
