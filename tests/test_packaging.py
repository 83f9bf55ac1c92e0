"""Packaging and documentation: the built wheel carries its data, and every setting is documented."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from kgservice.settings import SETTINGS

from .conftest import ROOT


def test_wheel_carries_ontology_queries_and_web_assets(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("kgservice-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "kgservice/_data/ontology/kg.ttl" in names
    assert "kgservice/_data/ontology/shapes.ttl" in names
    assert "kgservice/_data/ontology/context.jsonld" in names  # the published JSON-LD context
    queries = {p.name for p in (ROOT / "queries").glob("*.rq")}
    assert queries and {f"kgservice/_data/queries/{q}" for q in queries} <= names
    assert "kgservice/web/static/style.css" in names
    assert any(n.startswith("kgservice/web/templates/") for n in names)
    assert "kgservice/extract/data/event_triggers.json" in names


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"settings missing from README: {missing}"


def test_settings_have_help_text():
    assert all(s.help.strip() for s in SETTINGS)
