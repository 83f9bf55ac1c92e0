"""The WSGI entry point for gunicorn: ``kgservice.web.wsgi:app`` (one worker, threads).

The service logs JSON lines to stderr (:mod:`kgservice.web.requestlog`) unless gunicorn's
configuration has set up the ``kgservice`` loggers already (``kgservice serve`` does).
"""

from kgservice.web import create_app
from kgservice.web.requestlog import configure

configure()
app = create_app()
