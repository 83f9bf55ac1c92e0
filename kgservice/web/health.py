"""``/healthz``: liveness and store status."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kgservice.errors import KGError
from kgservice.web import get_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """``{"status": "ok", "store": {"graphs", "triples"}}``, or 503 when the store cannot be opened."""
    try:
        store = get_store()
        info = {"graphs": len(store.graph_names()), "triples": len(store)}
    except KGError as exc:
        return jsonify({"status": "unavailable", "message": exc.message}), 503
    return jsonify({"status": "ok", "store": info}), 200
