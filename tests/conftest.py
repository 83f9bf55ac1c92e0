"""Shared fixtures: the seed folder, the spaCy-backed extractor (loaded once), a test client of a module's app."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def seeds() -> Path:
    """The seed articles folder."""
    return SEEDS


@pytest.fixture(scope="session")
def extractor():
    """One extractor (and spaCy pipeline) for the whole session."""
    from kgservice.extract.extractor import Extractor
    from kgservice.settings import load_settings

    return Extractor(load_settings().spacy_model)


@pytest.fixture()
def client(app):
    """A test client of the module's ``app`` fixture (each web test module builds its own app and store)."""
    return app.test_client()


@contextlib.contextmanager
def running_app(location: object, **settings: object) -> Iterator[Any]:
    """The web app on the store at ``location`` (settings as ``KG_*`` keywords); its store closed after."""
    from kgservice.web import create_app

    application = create_app({"KG_STORE": str(location), **settings})
    try:
        yield application
    finally:
        application.extensions["kgstore"].close()


@pytest.fixture()
def store(app):
    """The open store of the module's ``app``."""
    return app.extensions["kgstore"].get()
