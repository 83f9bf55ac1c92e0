"""Shared fixtures: the seed folder, the spaCy-backed extractor (loaded once), a test client of a module's app."""

from __future__ import annotations

from pathlib import Path

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
