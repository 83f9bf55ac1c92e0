"""The WSGI entry point for gunicorn: ``kgservice.web.wsgi:app`` (one worker, threads)."""

from kgservice.web import create_app

app = create_app()
