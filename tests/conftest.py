"""Shared fixtures: the seed folder, the spaCy-backed extractor (loaded once), a test client of a module's app,
and the store backend of the run (``--backend`` / ``KG_TEST_BACKEND``: ``tests/backends.py``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL = ROOT.parent / "shared" / "eval"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        default=os.environ.get("KG_TEST_BACKEND", "embedded"),
        help="the store the integration tests run on: embedded (default), oxigraph or virtuoso "
        "(a server started by the tests); default: $KG_TEST_BACKEND",
    )


def pytest_configure(config: pytest.Config) -> None:
    from tests.backends import BACKENDS

    if config.getoption("--backend") not in BACKENDS:
        raise pytest.UsageError(f"--backend / KG_TEST_BACKEND must be one of {', '.join(BACKENDS)}")
    config.addinivalue_line(
        "markers", "embedded_only(reason): a test about the embedded store itself, skipped on a server backend"
    )
    config.addinivalue_line(
        "markers",
        "fails_on(backend, reason): a known failure on that backend, expected there (xfail, strict, an AssertionError)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"store backend: {config.getoption('--backend')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a server backend, keep only the tests that ask for a store (the ``backend`` fixture).

    Those marked ``embedded_only`` are kept as skips, with their reason; every other test
    (extraction, the ontology, pure functions) has run on the embedded store and is deselected.
    """
    name = config.getoption("--backend")
    for item in items:
        for known in item.iter_markers("fails_on"):
            if known.args[0] == name:
                reason = f"{name}: {known.kwargs['reason']}"  # an assertion fails, not something else
                item.add_marker(pytest.mark.xfail(reason=reason, raises=AssertionError, strict=True))
    if name == "embedded":
        return
    kept, deselected = [], []
    for item in items:
        marker = item.get_closest_marker("embedded_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"embedded store only: {marker.args[0]}"))
            kept.append(item)
        elif "backend" in getattr(item, "fixturenames", ()):
            kept.append(item)
        else:
            deselected.append(item)
    config.hook.pytest_deselected(items=deselected)
    items[:] = kept


@pytest.fixture(scope="session")
def seeds() -> Path:
    """The seed articles folder."""
    return SEEDS


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The run's :class:`tests.backends.Backend`: where ``new_store`` and ``copy_store`` put a store."""
    from tests.backends import Backend, require

    name = request.config.getoption("--backend")
    require(name)
    stores = Backend(name, tmp_path_factory)
    try:
        yield stores
    finally:
        stores.close()


@pytest.fixture(scope="session")
def seed_store(backend: Any, request: pytest.FixtureRequest) -> str:
    """The seed articles ingested once per session on the backend; copy it (``backend.copy_store``), never write to it."""
    from tests.test_web import build_seed_store

    location = backend.new_store(request)
    build_seed_store(location)
    return location


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
