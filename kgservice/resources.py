"""Locate the data folders the package reads at run time: ``ontology/``, ``queries/``.

They live at the repository root, next to the package, so that they read as part of
the project rather than as package internals. A built wheel cannot ship files outside
the package, so the build maps them into ``kgservice/_data/`` (``pyproject.toml``,
``[tool.hatch.build.targets.wheel.force-include]``). This module hides the difference:
an installed wheel finds ``kgservice/_data/<name>``, a source checkout or an editable
install finds ``<repo>/<name>``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

RESOURCE_NAMES = ("ontology", "queries")


def resource_dir(name: str) -> Path:
    """Return the directory holding the ``ontology`` or ``queries`` files.

    Raises ``ValueError`` for any other name and ``FileNotFoundError`` when neither the
    packaged copy nor the repository folder exists.
    """
    if name not in RESOURCE_NAMES:
        raise ValueError(
            f"unknown resource folder {name!r}; expected one of {RESOURCE_NAMES}"
        )
    packaged = Path(str(files("kgservice") / "_data" / name))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"resource folder {name!r} not found: looked in {packaged} (installed wheel) "
        f"and {checkout} (source checkout)"
    )
