"""Word lists the extractor uses, loaded once from the data files beside this module."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class TriggerSense:
    """What an event trigger word means: an ontology class and its CAMEO root code."""

    cls: str
    cameo: str | None


def _load(name: str) -> Any:
    return json.loads(resources.files("kgservice.extract").joinpath("data", name).read_text("utf-8"))


@cache
def triggers() -> dict[tuple[str, str], TriggerSense]:
    """Map (lemma, "NOUN"|"VERB") to its event sense."""
    table: dict[tuple[str, str], TriggerSense] = {}
    for cls, entry in _load("event_triggers.json")["classes"].items():
        sense = TriggerSense(cls, entry["cameo"])
        for lemma in entry["nouns"]:
            table.setdefault((lemma, "NOUN"), sense)
        for lemma in entry["verbs"]:
            table.setdefault((lemma, "VERB"), sense)
    return table


@cache
def reporting_verbs() -> frozenset[str]:
    """Lemmas of verbs that report speech or thought."""
    return frozenset(_load("reporting_verbs.json")["verbs"])


@cache
def titles() -> frozenset[str]:
    """Lower-cased title and office words ("president", "secretary", "adviser")."""
    return frozenset(_load("titles.json")["titles"])


@cache
def honorifics() -> frozenset[str]:
    """Lower-cased honorifics stripped from names ("Mr.", "Dr.")."""
    return frozenset(_load("titles.json")["honorifics"])


@cache
def organisation_nouns() -> frozenset[str]:
    """Head nouns of appositions that mark an organisation ("a publication", "the company")."""
    return frozenset(_load("titles.json")["organisation_nouns"])


@cache
def status_cues() -> dict[str, frozenset[str]]:
    """Cue words per factuality class: planned, possible, hypothetical, negation, future_modals, ongoing."""
    return {k: frozenset(v) for k, v in _load("status_cues.json").items() if not k.startswith("_")}
