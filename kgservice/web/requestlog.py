"""Request ids and structured logs: one JSON line per request, and every log record as JSON.

Each request gets an id: the client's ``X-Request-Id`` when it is sane (1–128 of
``A–Z a–z 0–9 . _ : = / + -``), else a new one (32 hex digits). The id is sent back in the
``X-Request-Id`` header and carried by every log record made while the request is handled,
so a 5xx answer, its warning and the access line can be found together.

The access line (logger ``kgservice.access``, level INFO) holds ``time``, ``level``,
``request_id``, ``method``, ``path``, ``status``, ``duration_ms`` and ``remote_addr``. The
path is logged without its query string and no header is logged, so a token that a client
puts in either never reaches the log.

:func:`configure` sends the ``kgservice`` loggers to stderr through :class:`JsonFormatter`;
``kgservice serve`` (``kgservice.web.gunicorn_conf``) sends gunicorn's own messages the same way.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:=/+-]{1,128}")
access_log = logging.getLogger("kgservice.access")

#: what a log record may carry besides its message (given as ``extra=``), in this order
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote_addr")


def request_id(incoming: str | None) -> str:
    """The client's id when it is sane, else a fresh one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    """Give every request of ``app`` an id, send it back, and log the request when it is answered."""
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_id = request_id(request.headers.get(HEADER))
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id") or request_id(None)  # a request refused before _start ran (e.g. a 413) still has one
    response.headers[HEADER] = rid
    started = g.get("request_started")
    access_log.info(
        "%s %s %d",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": rid,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "remote_addr": request.remote_addr,
        },
    )
    return response


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to records made while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the request fields, any error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_handler(stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing :class:`JsonFormatter` lines with request ids."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure(level: int = logging.INFO) -> None:
    """Send the ``kgservice`` loggers to stderr as JSON lines, unless a handler is set already."""
    logger = logging.getLogger("kgservice")
    if logger.handlers:
        return
    logger.addHandler(json_handler())
    logger.setLevel(level)
    logger.propagate = False
