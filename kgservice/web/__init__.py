"""The web app: SPARQL endpoint, timeline, linked-data pages and health check.

``create_app`` is the factory (gunicorn loads ``kgservice.web.wsgi:app``). Nothing is
opened at import time: the embedded store is opened lazily, once per process, by the
:class:`StoreExtension` kept in ``app.extensions["kgstore"]``, and closed at exit. An
embedded Oxigraph directory can be opened by one process only, so gunicorn runs one
worker with threads. This package never imports spaCy (nor ``kgservice.extract`` or
``kgservice.ingest``): workers stay light.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from kgservice.errors import InputError, KGError
from kgservice.guard import QueryGuard
from kgservice.settings import Settings, load_settings
from kgservice.store import GraphStore
from kgservice.timeline import local_name
from kgservice.web import requestlog

log = logging.getLogger(__name__)

READ_ROUTES = r"^/(?!sparql/update|api/).*"  # every route but the write routes


class StoreExtension:
    """Opens the store on first use, once per process, and closes it at exit.

    It also keeps the :class:`QueryGuard` whose worker processes answer ``/sparql``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self._store: GraphStore | None = None
        self._guard: QueryGuard | None = None
        self._lock = threading.Lock()
        self.settings: Settings | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Attach to ``app`` as ``app.extensions["kgstore"]``."""
        self.settings = app.config["KG"]
        app.extensions["kgstore"] = self
        atexit.register(self.close)

    @property
    def location(self) -> str:
        """Where the store lives."""
        return self.settings.store if self.settings else ""

    def get(self) -> GraphStore:
        """The open store (opened now if it is not yet)."""
        with self._lock:
            if self._store is None:
                self._store = GraphStore(self.location)
            return self._store

    def guard(self) -> QueryGuard:
        """The query guard of the open store."""
        store = self.get()
        with self._lock:
            if self._guard is None:
                assert self.settings is not None
                self._guard = QueryGuard(store, self.settings.query_timeout, self.settings.query_workers)
            return self._guard

    def close(self) -> None:
        """Stop the query workers, then flush and release the store."""
        with self._lock:
            if self._guard is not None:
                self._guard.close()
                self._guard = None
            if self._store is not None:
                self._store.close()
                self._store = None


def get_store() -> GraphStore:
    """The current app's store."""
    ext: StoreExtension = current_app.extensions["kgstore"]
    return ext.get()


def get_guard() -> QueryGuard:
    """The current app's query guard."""
    ext: StoreExtension = current_app.extensions["kgstore"]
    return ext.guard()


def settings() -> Settings:
    """The current app's settings."""
    return current_app.config["KG"]


TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def query_flag(name: str, default: bool = False) -> bool:
    """A yes/no query parameter (``1``/``0``, ``true``/``false``, ``yes``/``no``, ``on``/``off``); absent: ``default``."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InputError(f"`{name}` must be true or false (1 or 0), not {raw!r}")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from defaults, environment, then ``overrides`` (``KG_*`` keys)."""
    app = Flask(__name__)
    app.config["KG"] = load_settings(overrides)
    largest = max(app.config["KG"].max_update_bytes, app.config["KG"].max_article_bytes)
    app.config["MAX_CONTENT_LENGTH"] = largest + 64 * 1024  # the largest body any route reads
    app.json.sort_keys = False  # type: ignore[attr-defined]
    StoreExtension(app)
    requestlog.init_app(app)  # X-Request-Id and one JSON log line per request
    # Reads are open to pages on other origins (a notebook, YASGUI elsewhere); writes never are.
    CORS(
        app,
        resources={READ_ROUTES: {"origins": "*"}},
        methods=["GET", "HEAD", "POST", "OPTIONS"],
        expose_headers=["X-KG-Row-Limit", "X-KG-Truncated", "Link", "X-Request-Id"],
        supports_credentials=False,
        send_wildcard=True,
    )
    from kgservice.web import articles, dataset, health, linkeddata, openapi, reconcile, sparql, timeline

    for module in (sparql, timeline, linkeddata, health, reconcile, dataset, articles, openapi):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", "index", lambda: redirect(url_for("timeline.page")))
    app.register_error_handler(KGError, _kg_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.jinja_env.filters["local_name"] = lambda iri: local_name(str(iri or ""))
    return app


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or (best is None and not request.accept_mimetypes.accept_html)


def render_error(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Any:
    """One renderer for every error: JSON or HTML according to ``Accept``."""
    if _wants_json():
        response = jsonify({"error": title, "message": message, "status": status})
    else:
        response = current_app.make_response(render_template("error.html", status=status, title=title, message=message))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _kg_error(exc: KGError) -> Any:
    if exc.status >= 500:  # the service's side (a time limit, the store): operators want to see these
        log.warning("%s %s answered %d: %s", request.method, request.path, exc.status, exc.message)
    return render_error(exc.status, type(exc).__name__, exc.message)


def _http_error(exc: HTTPException) -> Any:
    headers = dict(exc.get_headers())
    headers.pop("Content-Type", None)
    return render_error(exc.code or 500, exc.name, exc.description or "", headers)


def _unexpected(exc: Exception) -> Any:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return render_error(500, "Internal Server Error", "The server hit an unexpected error; it has been logged.")
