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
    objects: frozenset[str] = frozenset()  # when set: the only object nouns this sense takes


def _load(name: str) -> Any:
    return json.loads(resources.files("kgservice.extract").joinpath("data", name).read_text("utf-8"))


@cache
def triggers() -> dict[tuple[str, str], TriggerSense]:
    """Map (lemma, "NOUN"|"VERB") to its event sense."""
    table: dict[tuple[str, str], TriggerSense] = {}
    for cls, entry in _load("event_triggers.json")["classes"].items():
        sense = TriggerSense(cls, entry["cameo"], frozenset(entry.get("objects", ())))
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


@dataclass(frozen=True)
class Country:
    """A country the gazetteer knows, and how one surface form refers to it.

    ``kind`` is "name" ("North Korea"), "alias" ("DPRK"), "demonym" ("North Koreans") or
    "capital" ("Pyongyang", which stands for the government only in some sentences).
    """

    name: str
    iso2: str
    iso3: str
    geonames: int | None
    kind: str


@cache
def countries() -> dict[str, Country]:
    """Map every surface form of a country to it: "U.S.", "Americans", "Washington" -> United States.

    Forms are matched with their case as written; each is also listed without a leading "the"
    ("the Gambia" -> "Gambia"). Built by scripts/gen_gazetteer.py; no form names two countries.
    """
    table: dict[str, Country] = {}
    for entry in _load("countries.json")["countries"]:
        forms = [("name", entry["name"])]
        forms += [(kind, form) for field, kind in _COUNTRY_FIELDS for form in entry[field]]
        for kind, form in forms:
            country = Country(entry["name"], entry["iso2"], entry["iso3"], entry["geonames"], kind)
            table.setdefault(form, country)
            if form[:4] in ("the ", "The "):
                table.setdefault(form[4:], country)
    return table


_COUNTRY_FIELDS = (("aliases", "alias"), ("demonyms", "demonym"), ("capitals", "capital"))
