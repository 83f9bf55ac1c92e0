"""gunicorn's settings for ``kgservice serve`` (``gunicorn -c python:kgservice.web.gunicorn_conf``).

Logs are JSON lines on stderr (:mod:`kgservice.web.requestlog`): gunicorn's own messages
and the service's, with the request id. gunicorn's access log is off: the service writes
one line per request itself, without the query string (gunicorn's line would carry the
whole request line, secrets in a query string included).
"""

from __future__ import annotations

accesslog = None
worker_class = "gthread"
workers = 1  # one process owns the embedded store; it serves on threads (``--threads``)

_JSON = {"formatter": "json", "filters": ["request_id"], "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "kgservice.web.requestlog.JsonFormatter"}},
    "filters": {"request_id": {"()": "kgservice.web.requestlog.RequestIdFilter"}},
    "handlers": {"stderr": _JSON},
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        "kgservice": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}
