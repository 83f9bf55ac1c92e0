"""``/healthz``: liveness and store status, for load balancers and operators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from kgservice.errors import KGError
from kgservice.settings import Settings
from kgservice.store import is_remote
from kgservice.web import get_guard, get_store, settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """The store (kind, graphs, triples), whether writes are accepted, and the query workers; 503 when the store is down.

    ``{"status": "ok", "store": {"kind": "embedded"|"remote", "graphs", "triples"},
    "writes": "enabled"|"read-only"|"off", "query_workers": {"limit", "busy", "idle", "timeout_s"}}``.
    The store's path or URL is not shown (a URL may hold credentials). An embedded store's
    counts are kept until its next write: counting a large store takes a while, and probes
    come often.
    """
    config = settings()
    body: dict[str, Any] = {"status": "ok", "store": {"kind": _kind(config)}, "writes": _writes(config)}
    try:
        store = get_store()
        graphs, triples = store.memo("health-counts", lambda: (len(store.graph_names()), len(store)))
        body["store"].update(graphs=graphs, triples=triples)
    except KGError as exc:
        body.update(status="unavailable", message=exc.message)
        return jsonify(body), 503
    body["query_workers"] = get_guard().state()  # no worker is forked for this: forks happen on a query
    return jsonify(body), 200


def _kind(config: Settings) -> str:
    return "remote" if is_remote(config.store) else "embedded"


def _writes(config: Settings) -> str:
    if config.read_only:
        return "read-only"
    return "enabled" if config.api_token else "off"
