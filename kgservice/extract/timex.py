"""Normalise temporal expressions against a document date (the rules of a small HeidelTime).

:func:`normalize` turns one expression's text into a :class:`TimeValue`: a TIMEX3 value
(``2018-09-10``, ``2018-W37``, ``2018-SU``, ``P2Y``, ``PAST_REF`` ...), its precision and
the calendar bounds of the whole period it names. Pure string rules, no spaCy: finding
the expressions in a parsed document is :mod:`kgservice.extract.times`.

Principles:

* Never guess.  A date whose day or month is not written stays at month or year
  precision ("some time in 2018" is ``2018``, never 2018-01-01); a relative expression
  without a document date has no value (or an ``XXXX`` value when only the year is
  missing) and no bounds.
* Ambiguous references are resolved by tense.  A bare weekday is the closest such day
  on or before the document date for a past verb (and when the tense is unknown: news
  mostly reports what already happened, within the week), the closest on or after it
  for a future verb, and the nearest one either way for a present verb.  A month or day
  without a year takes the document's year, moved back a year for a past verb when that
  date would lie after the document date and forward for a future verb when it would
  lie before.
* Seasons are northern-hemisphere meteorological seasons; ``YYYY-WI`` runs from
  1 December YYYY to the end of February YYYY+1.
* Nothing here raises: any input that cannot be understood gives
  ``TimeValue(None, None)``.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kgservice.extract.records import TimeValue
from kgservice.extract.timewords import (
    DAY_NUM_RE,
    FUTURE_REFS,
    HOLIDAYS,
    LEADING_WORDS,
    MODIFIERS,
    MONTH_RE,
    MONTHS,
    NARRATIVE_REFS,
    NUM_RE,
    NUMBER_WORDS,
    ORDINALS,
    PART_RE,
    PARTS_OF_DAY,
    PAST_REFS,
    PRESENT_REFS,
    QUOTES,
    SEASON_ORDER,
    SEASON_RE,
    SEASON_START,
    SEASONS,
    SET_WORDS,
    TIME_ZONES,
    UNIT_PLURALS,
    UNIT_RE,
    UNITS,
    VAGUE_RE,
    VAGUE_UNIT_CODES,
    WEEKDAY_RE,
    WEEKDAYS,
    YEAR_RE,
    alternation,
)

# ----------------------------------------------------------------------- results

Result = tuple[str, TimeValue]
UNKNOWN = TimeValue(None, None)


def _day(d: date) -> TimeValue:
    return TimeValue(d.isoformat(), "day", d, d)


def _month(year: int, month: int) -> TimeValue:
    last = calendar.monthrange(year, month)[1]
    return TimeValue(f"{year:04d}-{month:02d}", "month", date(year, month, 1), date(year, month, last))


def _year(year: int) -> TimeValue:
    return TimeValue(f"{year:04d}", "year", date(year, 1, 1), date(year, 12, 31))


def _week(d: date) -> TimeValue:
    iso = d.isocalendar()
    monday = d - timedelta(days=d.weekday())
    return TimeValue(f"{iso[0]:04d}-W{iso[1]:02d}", "week", monday, monday + timedelta(6))


def _weekend(d: date) -> TimeValue:
    iso = d.isocalendar()
    saturday = d - timedelta(days=d.weekday()) + timedelta(days=5)
    return TimeValue(f"{iso[0]:04d}-W{iso[1]:02d}-WE", "week", saturday, saturday + timedelta(1))


def _season(year: int, code: str) -> TimeValue:
    start = date(year, SEASON_START[code], 1)
    end_year, end_month = (year + 1, 2) if code == "WI" else (year, SEASON_START[code] + 2)
    end = date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    return TimeValue(f"{year:04d}-{code}", "season", start, end)


def _quarter(year: int, q: int) -> TimeValue:
    first = 3 * (q - 1) + 1
    return TimeValue(f"{year:04d}-Q{q}", "quarter", date(year, first, 1), _month(year, first + 2).latest)


def _half(year: int, h: int) -> TimeValue:
    start, end = (date(year, 1, 1), date(year, 6, 30)) if h == 1 else (date(year, 7, 1), date(year, 12, 31))
    return TimeValue(f"{year:04d}-H{h}", "half", start, end)


def _decade(prefix: int) -> TimeValue:
    return TimeValue(f"{prefix:03d}", "decade", date(prefix * 10, 1, 1), date(prefix * 10 + 9, 12, 31))


def _century(prefix: int) -> TimeValue:
    start = max(prefix * 100, 1)
    return TimeValue(f"{prefix:02d}", "century", date(start, 1, 1), date(prefix * 100 + 99, 12, 31))


def _with_time(day: TimeValue, suffix: str) -> TimeValue:
    """A day value with a time of day (``T15:00``, ``TMO``) appended; same bounds."""
    base = day.timex or "XXXX-XX-XX"
    return TimeValue(f"{base}{suffix}", "day", day.earliest, day.latest)


# ------------------------------------------------------------------------ context


class _Ctx:
    """The document date and tense one normalisation works against."""

    def __init__(self, doc_date: date | None, tense: str | None) -> None:
        self.doc = doc_date
        self.tense = tense if tense in ("past", "present", "future") else None

    def shift_year(self, start: date, end: date) -> int:
        """Years (-1, 0, +1) to move a period of the document year, by tense."""
        if self.doc is None:
            return 0
        if self.tense == "past" and start > self.doc:
            return -1
        if self.tense == "future" and end < self.doc:
            return 1
        return 0


# ------------------------------------------------------------------------ cleaning


def _clean(text: str) -> str:
    """Lower-case, NFKC, plain quotes and dashes, single spaces, no edge punctuation."""
    t = unicodedata.normalize("NFKC", text or "")
    t = t.translate(QUOTES)
    t = re.sub(r"[\u2010-\u2015\u2212]", "-", t)
    t = "".join(ch for ch in t if ch.isprintable() or ch.isspace())
    t = re.sub(r"\s+", " ", t).strip().lower()
    t = re.sub(r"\s*,\s*", ", ", t)
    t = re.sub(r"^[\"'(\[\s,;:]+|[\"')\]\s,;:!?]+$", "", t)
    t = re.sub(r"(\d0)'s$", r"\1s", t)
    t = re.sub(r"(\d0s)'$", r"\1", t)
    t = re.sub(r"(?<!\d0)(?:'s|s')$", "", t)
    return t.strip()


LEADING_RE = re.compile(rf"^(?:{alternation(LEADING_WORDS)})\s+")


def _strip_leading(t: str) -> str:
    """Drop leading prepositions and approximators ("on Monday", "about two years")."""
    while True:
        new = LEADING_RE.sub("", t, count=1)
        if new == t or not new:
            return t
        t = new


def _number(s: str) -> float | None:
    """The value of a number written in digits or words; None when not a number."""
    s = s.strip().replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    if s in NUMBER_WORDS:
        return float(NUMBER_WORDS[s])
    parts = re.split(r"[ -]", s)
    if len(parts) == 2 and all(p in NUMBER_WORDS for p in parts):
        a, b = NUMBER_WORDS[parts[0]], NUMBER_WORDS[parts[1]]
        return float(a * b if b == 100 else a + b)
    return None


def unit_code(word: str) -> str:
    word = UNIT_PLURALS.get(word, word)
    return word[:-1] if word.endswith("s") and word[:-1] in UNITS else word


# ------------------------------------------------------------------- rule: refs


def _rule_ref(t: str, ctx: _Ctx) -> Result | None:
    """PRESENT_REF / PAST_REF / FUTURE_REF for vague references."""
    if t in PRESENT_REFS:
        if ctx.doc is None:
            return "DATE", TimeValue("PRESENT_REF", None)
        return "DATE", TimeValue("PRESENT_REF", "day", ctx.doc, ctx.doc)
    if t in PAST_REFS:
        if t in NARRATIVE_REFS and ctx.tense == "future":
            return "DATE", UNKNOWN
        return "DATE", TimeValue("PAST_REF", None)
    if t in FUTURE_REFS:
        if t in NARRATIVE_REFS and ctx.tense == "past":
            return "DATE", UNKNOWN
        return "DATE", TimeValue("FUTURE_REF", None)
    return None


# -------------------------------------------------------------- rule: durations


def _duration_timex(n: float | None, unit: str) -> str:
    """``P2Y``, ``PT48H``, ``P10Y`` (a decade), ``PXM`` (unknown count)."""
    is_time, letter, mult = UNITS[unit]
    prefix = "PT" if is_time else "P"
    if n is None:
        return f"{prefix}X{VAGUE_UNIT_CODES.get(unit, letter)}"
    value = n * mult
    if value != int(value):
        if unit == "year" and value * 12 == int(value * 12):
            return f"P{int(value * 12)}M"
        if unit == "hour" and value * 60 == int(value * 60):
            return f"PT{int(value * 60)}M"
        if unit == "day" and value * 24 == int(value * 24):
            return f"PT{int(value * 24)}H"
        return f"{prefix}{Decimal(repr(value)):f}{letter}"  # never "1e-05": TIMEX3 has no exponents
    return f"{prefix}{int(value)}{letter}"


DURATION_RE = re.compile(
    rf"^(?P<the>the )?(?:(?P<dir>past|last|next|coming|previous|first|final|remaining|"
    rf"entire|whole|full|same|following|recent) )?(?:(?P<vague>{VAGUE_RE}) )?"
    rf"(?:(?P<range>(?:{NUM_RE}) (?:to|or|-) )?(?P<num>{NUM_RE})[ -])?(?P<unit>{UNIT_RE})"
    rf"(?P<pl>s)?(?:[ -](?:long|period))?$"
)
DURATION_DIRS = {"past", "last", "next", "coming", "first", "final", "remaining", "entire", "whole", "full", "recent"}


def _rule_duration(t: str, ctx: _Ctx) -> Result | None:
    """ "two years", "48 hours", "the past decade", "several months" → DURATION."""
    m = DURATION_RE.match(t) or DURATION_RE.match(re.sub(r"^an? ", "", t))
    if not m:
        return None
    unit = unit_code(m["unit"])
    plural = bool(m["pl"]) or m["unit"] != unit
    n = _number(m["num"]) if m["num"] else None
    if m["num"] and n is None:
        return None
    counted = m["num"] is not None or m["vague"] is not None or plural
    if not counted:
        if not (m["dir"] in DURATION_DIRS and (m["the"] or m["dir"] == "past")):
            return None
        n = 1.0
    if m["dir"] in ("following", "previous", "same") and not m["num"]:
        return None
    if m["vague"] or m["range"] or (n is None and plural):
        n = None
    return "DURATION", TimeValue(_duration_timex(n, unit), None)


SET_RE = re.compile(
    rf"^(?:(?P<freq>once|twice|thrice|(?:{NUM_RE}) times) )?(?P<q>every|each|per|a|an)"
    rf"(?P<other> other)?(?: (?P<num>{NUM_RE})| (?P<vague>{VAGUE_RE}))? (?P<what>{UNIT_RE}|{WEEKDAY_RE}|"
    rf"{SEASON_RE}|{PART_RE})s?$"
)


def _rule_set(t: str, ctx: _Ctx) -> Result | None:
    """ "every week", "annually", "twice a year", "every Monday" → SET."""
    if t in SET_WORDS:
        return "SET", TimeValue(SET_WORDS[t], None)
    m = SET_RE.match(t)
    if not m or (m["q"] in ("a", "an") and not m["freq"]):
        return None
    what = m["what"]
    if what in WEEKDAYS:
        return "SET", TimeValue(f"XXXX-WXX-{WEEKDAYS[what] + 1}", None)
    if what in SEASONS:
        return "SET", TimeValue(f"XXXX-{SEASONS[what]}", None)
    if what in PARTS_OF_DAY:
        return "SET", TimeValue(f"TXX{PARTS_OF_DAY[what]}", None)
    n = _number(m["num"]) if m["num"] else None if m["vague"] else 1.0
    if m["other"]:
        n = (n or 1.0) * 2
    return "SET", TimeValue(_duration_timex(n, unit_code(what)), None)


AGO_RE = re.compile(
    rf"^(?:(?P<vague>{VAGUE_RE}) |(?P<num>{NUM_RE}) )?(?P<unit>{UNIT_RE})(?P<pl>s)? "
    r"(?P<dir>ago|from now|hence|earlier|later|before|after)$"
)


def _rule_ago(t: str, ctx: _Ctx) -> Result | None:
    """ "two years ago", "three days from now"; "N days later" needs an anchor: None."""
    m = AGO_RE.match(t)
    if not m:
        return None
    unit = unit_code(m["unit"])
    if m["dir"] in ("earlier", "later", "before", "after"):
        return "DATE", UNKNOWN
    if m["vague"] or (not m["num"] and (m["pl"] or m["unit"] != unit)):
        return "DATE", TimeValue("PAST_REF" if m["dir"] == "ago" else "FUTURE_REF", None)
    n = _number(m["num"]) if m["num"] else 1.0
    if n is None or n != int(n):
        return "DATE", UNKNOWN
    sign = -1 if m["dir"] == "ago" else 1
    return "DATE", _shifted(ctx.doc, unit, sign * int(n))


def _shifted(doc: date | None, unit: str, n: int) -> TimeValue:
    """The period ``n`` units away from the document date, at the unit's precision."""
    precision = {
        "week": "week",
        "fortnight": "week",
        "month": "month",
        "quarter": "month",
        "year": "year",
        "decade": "year",
        "century": "year",
    }.get(unit, "day")
    if doc is None:
        return TimeValue(None, precision)
    if unit in ("second", "minute", "hour"):
        return _day(doc)
    if unit in ("day", "night", "week", "fortnight"):
        d = doc + timedelta(days=n * {"week": 7, "fortnight": 14}.get(unit, 1))
        return _week(d) if precision == "week" else _day(d)
    if unit in ("month", "quarter"):
        total = doc.year * 12 + doc.month - 1 + n * (3 if unit == "quarter" else 1)
        return _month(total // 12, total % 12 + 1)
    return _year(doc.year + n * UNITS[unit][2])


# ----------------------------------------------------------- rule: big periods


DECADE_RE = re.compile(r"^(?:the )?(?:(?P<c>1[0-9]|20)(?P<d>[0-9])0|'?(?P<s>[0-9])0)'?s$")
CENTURY_RE = re.compile(r"^(?:the )?(?P<n>\d{1,2})(?:st|nd|rd|th)[ -]century$")
CENTURY_WORDS = {"nineteenth": 19, "twentieth": 20, "twenty-first": 21, "eighteenth": 18, "twenty first": 21}
CENTURY_WORDS_RE = re.compile(rf"^(?:the )?({alternation(CENTURY_WORDS)}) century$")


def _rule_decade(t: str, ctx: _Ctx) -> Result | None:
    """ "the 1990s" → 199, "the '90s" → 199, "the 20th century" → 19."""
    m = DECADE_RE.match(t)
    if m:
        if m["s"] is not None:
            return "DATE", _decade(190 + int(m["s"]))
        return "DATE", _decade(int(m["c"]) * 10 + int(m["d"]))
    m = CENTURY_RE.match(t)
    n = int(m["n"]) if m else None
    words = CENTURY_WORDS_RE.match(t)
    if words:
        n = CENTURY_WORDS[words[1]]
    if n:
        return "DATE", _century(n - 1)
    return None


def _year_ref(s: str, ctx: _Ctx) -> tuple[bool, int | None]:
    """Parse a year reference ("2018", "this year", "last year"): (understood, year)."""
    s = s.strip()
    if not s:
        return True, None
    m = re.fullmatch(r"(?:of )?(?:fiscal )?(\d{4})", s)
    if m:
        return True, int(m[1])
    m = re.fullmatch(
        r"(?:of )?(?:the|this|the current|last|the last|the previous|next|"
        r"the next|the coming|the past) year",
        s,
    )
    if not m:
        return False, None
    if ctx.doc is None:
        return True, None
    offset = -1 if re.search(r"last|previous|past", s) else 1 if re.search(r"next|coming", s) else 0
    return True, ctx.doc.year + offset


# ----------------------------------------------------------- rule: modifiers


MODIFIED_RE = re.compile(rf"^(?:the )?({alternation(MODIFIERS)})[ -](.+)$")


def _rule_modified(t: str, ctx: _Ctx) -> Result | None:
    """ "early 2009", "mid-2011", "earlier this month", "the end of the year": the
    value of the period; "earlier/later this X" is also cut at the document date."""
    m = MODIFIED_RE.match(t)
    if not m:
        return None
    mod, rest = m[1], m[2]
    if re.fullmatch(r"the (year|month|week|quarter|decade)", rest):
        rest = "this " + rest.split()[1]
    typ, value = _normalize(rest, ctx)
    start, end, doc = value.earliest, value.latest, ctx.doc
    if typ != "DATE" or value.timex is None or start is None or end is None or doc is None:
        return (typ, value) if value.timex or value.precision else None
    if start <= doc < end and mod == "earlier":
        return typ, replace(value, latest=doc)
    if start < doc <= end and mod in ("later", "the rest of", "the remainder of"):
        return typ, replace(value, earliest=doc)
    return typ, value


# ----------------------------------------------------------- rule: day words


DAY_OFFSETS = {
    "today": 0,
    "yesterday": -1,
    "tomorrow": 1,
    "tonight": 0,
    "the day before yesterday": -2,
    "the day after tomorrow": 2,
    "this day": 0,
}


def _rule_day_word(t: str, ctx: _Ctx) -> Result | None:
    """today / yesterday / tomorrow / tonight, and "this morning", "last night"."""
    if t in DAY_OFFSETS:
        if ctx.doc is None:
            return ("TIME" if t == "tonight" else "DATE"), TimeValue(None, "day")
        day = _day(ctx.doc + timedelta(days=DAY_OFFSETS[t]))
        return ("TIME", _with_time(day, "TNI")) if t == "tonight" else ("DATE", day)
    m = re.match(rf"^(.+?)[ -]({PART_RE})$", t)
    if not m:
        return None
    head = {"this": "today", "last": "yesterday", "overnight": "today"}.get(m[1], m[1])
    if head == "yesterday" and m[2] != "night" and m[1] == "last":
        return None
    typ, day = _normalize(head, ctx)
    if typ != "DATE" or day.precision != "day":
        return None
    return "TIME", _with_time(day, f"T{PARTS_OF_DAY[m[2]]}")


# ------------------------------------------------------ rule: relative periods


REL_PERIOD_RE = re.compile(
    r"^(?:the )?(?P<rel>this|last|next|past|previous|coming|current|following|"
    r"preceding|same|upcoming) (?P<unit>week|weekend|month|year)$"
)


def _rule_relative_period(t: str, ctx: _Ctx) -> Result | None:
    """this/last/next week, weekend, month, year."""
    m = REL_PERIOD_RE.match(t)
    if not m:
        return None
    rel, unit = m["rel"], m["unit"]
    precision = "week" if unit == "weekend" else unit
    if rel in ("following", "preceding", "same", "previous") and t.startswith("the "):
        return "DATE", TimeValue(None, precision)
    if ctx.doc is None:
        return "DATE", TimeValue(None, precision)
    step = -1 if rel in ("last", "past", "previous") else 1 if rel in ("next", "coming", "upcoming") else 0
    if unit in ("week", "weekend"):
        d = ctx.doc + timedelta(days=7 * step)
        return "DATE", _week(d) if unit == "week" else _weekend(d)
    return "DATE", _shifted(ctx.doc, unit, step)


REL_MONTH_RE = re.compile(
    rf"^(?P<rel>this|last|next|this past|this coming|the past) "
    rf"(?P<month>{MONTH_RE})\.?$"
)


def _rule_relative_month(t: str, ctx: _Ctx) -> Result | None:
    """ "last September", "next March", "this June"."""
    m = REL_MONTH_RE.match(t)
    if not m:
        return None
    month = MONTHS[m["month"]]
    if ctx.doc is None:
        return "DATE", TimeValue(f"XXXX-{month:02d}", "month")
    year = ctx.doc.year
    if m["rel"] in ("last", "this past", "the past") and month >= ctx.doc.month:
        year -= 1
    if m["rel"] in ("next", "this coming") and month <= ctx.doc.month:
        year += 1
    return "DATE", _month(year, month)


# ------------------------------------------------------ rule: quarters, halves


QUARTER_RE = re.compile(
    r"^(?:the )?(?P<fiscal>fiscal )?(?:(?P<ord>first|second|third|fourth|final|1st|2nd|"
    r"3rd|4th)[ -](?P<fiscal2>fiscal )?(?P<kind>quarter|half)|(?P<q>q[1-4]|h[12]))"
    r"(?:,? (?P<year>.+))?$"
)
REL_QUARTER_RE = re.compile(r"^(?:the )?(?P<rel>this|last|next|past|previous|current|coming) quarter$")


def _rule_quarter(t: str, ctx: _Ctx) -> Result | None:
    """ "the third quarter", "Q3 2018", "first half of 2019", "last quarter"."""
    rel = REL_QUARTER_RE.match(t)
    if rel:
        return "DATE", _relative_quarter(rel["rel"], ctx)
    m = QUARTER_RE.match(t)
    if not m:
        return None
    if m["q"]:
        kind, n = ("quarter" if m["q"][0] == "q" else "half"), int(m["q"][1])
    else:
        kind, n = m["kind"], ORDINALS[m["ord"]]
        n = 2 if kind == "half" and n == 4 else n
    ok, year = _year_ref(m["year"] or "", ctx)
    if not ok or (kind == "half" and n > 2) or m["fiscal"] or m["fiscal2"]:
        return "DATE", TimeValue(None, kind)
    make = _quarter if kind == "quarter" else _half
    if year is not None:
        return "DATE", make(year, n)
    if ctx.doc is None:
        return "DATE", TimeValue(f"XXXX-{kind[0].upper()}{n}", kind)
    probe = make(ctx.doc.year, n)
    assert probe.earliest is not None and probe.latest is not None
    return "DATE", make(ctx.doc.year + ctx.shift_year(probe.earliest, probe.latest), n)


def _relative_quarter(rel: str, ctx: _Ctx) -> TimeValue:
    if ctx.doc is None:
        return TimeValue(None, "quarter")
    q = (ctx.doc.month - 1) // 3 + 1
    step = -1 if rel in ("last", "past", "previous") else 1 if rel in ("next", "coming") else 0
    index = ctx.doc.year * 4 + q - 1 + step
    return _quarter(index // 4, index % 4 + 1)


# ------------------------------------------------------------- rule: seasons


SEASON_EXPR_RE = re.compile(
    rf"^(?:(?P<rel>this|last|next|this past|this coming|the|the past|the coming) )?"
    rf"(?P<season>{SEASON_RE})(?:,? (?:of )?(?P<year>\d{{4}}))?$"
)


def _season_index(d: date) -> int:
    """A running number of the season holding ``d`` (4 per year, winter last)."""
    year = d.year - 1 if d.month <= 2 else d.year
    code = "WI" if d.month in (12, 1, 2) else SEASON_ORDER[(d.month - 3) // 3]
    return year * 4 + SEASON_ORDER.index(code)


def _season_target(rel: str | None, code: str, ctx: _Ctx) -> int:
    """The running season number meant by "last/next/this/(bare) <season>"."""
    assert ctx.doc is not None
    now, target = _season_index(ctx.doc), SEASON_ORDER.index(code)
    if rel in ("last", "this past", "the past", "past"):
        return now - 1 - (now - 1 - target) % 4
    if rel in ("next", "this coming", "the coming", "coming"):
        return now + 1 + (target - now - 1) % 4
    index = now if now % 4 == target else ctx.doc.year * 4 + target
    if ctx.tense == "past" and index > now:
        index -= 4
    if ctx.tense == "future" and index < now:
        index += 4
    return index


def _rule_season(t: str, ctx: _Ctx) -> Result | None:
    """ "this summer", "last winter", "next spring", "summer 2017"."""
    m = SEASON_EXPR_RE.match(t)
    if not m:
        return None
    code = SEASONS[m["season"]]
    if m["year"]:
        return "DATE", _season(int(m["year"]), code)
    if ctx.doc is None:
        known = m["rel"] in (None, "the", "this")
        return "DATE", TimeValue(f"XXXX-{code}" if known else None, "season")
    index = _season_target(m["rel"], code, ctx)
    return "DATE", _season(index // 4, SEASON_ORDER[index % 4])


# ------------------------------------------------------------- rule: weekdays


WEEKDAY_EXPR_RE = re.compile(
    rf"^(?:(?P<rel>last|this|next|this past|this coming|past|coming) )?"
    rf"(?P<wd>{WEEKDAY_RE})$"
)


def _weekday_date(wd: int, doc: date, rel: str | None, tense: str | None) -> date:
    """The date of weekday ``wd`` picked by modifier, then by tense (see module doc)."""
    back = (doc.weekday() - wd) % 7
    ahead = (wd - doc.weekday()) % 7
    if rel in ("last", "this past", "past"):
        return doc - timedelta(days=back or 7)
    if rel in ("next", "this coming", "coming"):
        return doc + timedelta(days=ahead or 7)
    if rel == "this":
        return doc - timedelta(days=doc.weekday()) + timedelta(days=wd)
    if tense == "future":
        return doc + timedelta(days=ahead)
    if tense == "present" and ahead < back:
        return doc + timedelta(days=ahead)
    return doc - timedelta(days=back)


def _rule_weekday(t: str, ctx: _Ctx) -> Result | None:
    """ "Monday", "last Friday", "next Tuesday"."""
    m = WEEKDAY_EXPR_RE.match(t)
    if not m:
        return None
    wd = WEEKDAYS[m["wd"]]
    if ctx.doc is None:
        return "DATE", TimeValue(f"XXXX-WXX-{wd + 1}", "day")
    return "DATE", _day(_weekday_date(wd, ctx.doc, m["rel"], ctx.tense))


HOLIDAY_RE = re.compile(rf"^({alternation(HOLIDAYS)})(?:,? (\d{{4}}))?$")


def _rule_holiday(t: str, ctx: _Ctx) -> Result | None:
    """ "Christmas", "Christmas 2006", "New Year's Eve"."""
    m = HOLIDAY_RE.match(t)
    if not m:
        return None
    month, day = HOLIDAYS[m[1]]
    year = int(m[2]) if m[2] else _infer_year(month, day, ctx)
    if year is None:
        return "DATE", TimeValue(f"XXXX-{month:02d}-{day:02d}", "day")
    return "DATE", _day(date(year, month, day))


def _infer_year(month: int, day: int | None, ctx: _Ctx) -> int | None:
    """The year of a month (and day) written without one, by tense (see module doc)."""
    if ctx.doc is None:
        return None
    year = ctx.doc.year
    last = calendar.monthrange(year, month)[1]
    start = date(year, month, min(day or 1, last))
    end = date(year, month, min(day or last, last))
    return year + ctx.shift_year(start, end)


# ---------------------------------------------------------- rule: clock times


CLOCK_RE = re.compile(
    r"(?<![\d.])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>a\.?m\b\.?|p\.?m\b\.?)"
    r"|(?<![\d.])(?P<h2>\d{1,2}):(?P<m2>\d{2})(?![\d])"
    r"|\b(?P<word>noon|midday|midnight)\b|(?P<h3>\d{1,2}) o'clock"
)


def _clock(m: re.Match[str]) -> tuple[int, int] | None:
    if m["word"]:
        return (12, 0) if m["word"] in ("noon", "midday") else (24, 0)
    hour = int(m["h"] or m["h2"] or m["h3"])
    minute = int(m["m"] or m["m2"] or 0)
    if m["ap"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ap"].startswith("p") else 0)
    if hour > 24 or minute > 59:
        return None
    return hour, minute


CLOCK_FILLER_RE = re.compile(rf"\b(?:{alternation(TIME_ZONES)})\b|\b(?:on|at|in the|of)\b|,")


def _rule_clock(t: str, ctx: _Ctx) -> Result | None:
    """ "3 p.m.", "15:30 GMT", "noon Monday" → TIME on the named (or document) day."""
    m = CLOCK_RE.search(t)
    if not m:
        return None
    hm = _clock(m)
    if hm is None:
        return None
    rest = (t[: m.start()] + " " + t[m.end() :]).strip()
    rest = CLOCK_FILLER_RE.sub(" ", rest)
    rest = re.sub(rf"\b(?:{PART_RE})\b", " ", rest)
    rest = re.sub(r"\s+", " ", rest).strip()
    if rest:
        typ, day = _normalize(rest, ctx)
        if day.precision != "day" or typ not in ("DATE", "TIME"):
            return None
        day = TimeValue(day.timex.split("T")[0] if day.timex else None, "day", day.earliest, day.latest)
    else:
        day = _day(ctx.doc) if ctx.doc else TimeValue(None, "day")
    return "TIME", _with_time(day, f"T{hm[0]:02d}:{hm[1]:02d}")


# -------------------------------------------------------- rule: explicit dates


DATE_FILLERS = {
    "the",
    "of",
    "on",
    "in",
    "at",
    "during",
    "some",
    "time",
    "sometime",
    "around",
    "about",
    "by",
    "since",
    "until",
    "from",
    "early",
    "mid",
    "late",
    "st",
    "nd",
    "rd",
    "th",
    "ad",
    "a",
    "d",
    "year",
    "month",
    "fiscal",
}
RANGE_RE = re.compile(r"\d\s*-\s*\d|\b(?:to|and|or|through|between|till|until)\b")


def _only_date_words(t: str) -> bool:
    """True when every word of ``t`` can belong to a written date (no "two days")."""
    if RANGE_RE.search(re.sub(r"\b\d{4}-\d{1,2}(?:-\d{1,2})?\b", "", t)):
        return False
    for word in re.findall(r"[a-z]+|\d+(?:st|nd|rd|th)?", t):
        if not (word in MONTHS or word in WEEKDAYS or word in DATE_FILLERS or word[0].isdigit()):
            return False
    return True


def _explicit_parts(t: str) -> tuple[int | None, int | None, int | None] | None:
    """Which of (year, month, day) the text writes out; None when it has no date."""
    if not _only_date_words(t):
        return None
    iso = re.search(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b", t)
    if iso:
        return int(iso[1]), int(iso[2]), int(iso[3]) if iso[3] else None
    numeric = re.search(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})\b", t)
    if numeric:
        return -1, -1, -1  # all present; dateparser decides the order
    years = re.findall(YEAR_RE, t)
    month_m = re.search(rf"\b({MONTH_RE})\b\.?", t)
    if len(set(years)) > 1 or (not years and not month_m):
        return None
    year = int(years[0]) if years else None
    if not month_m:
        return year, None, None
    month = MONTHS[month_m[1]]
    after = re.match(rf"\.?\s*(?:the\s+)?{DAY_NUM_RE}\b(?!\d)", t[month_m.end() :])
    before = re.search(rf"\b{DAY_NUM_RE}\s+(?:of\s+)?$", t[: month_m.start()])
    day_s = (after[1] if after and (not years or after[1] != years[0]) else None) or (before[1] if before else None)
    day = int(day_s) if day_s and 1 <= int(day_s) <= 31 else None
    return year, month, day


def _dateparser_date(t: str, ctx: _Ctx) -> tuple[datetime | None, str | None]:
    """dateparser's reading of ``t`` and its period, against the document date."""
    prefer = {"past": "past", "future": "future"}.get(ctx.tense or "", "current_period")
    data = _date_parser(ctx.doc or date(2000, 1, 1), prefer).get_date_data(t)
    return data.date_obj, data.period


#: dateparser's parsers for a written date (its "relative-time" parser, for "2 days ago", would only
#: slow each parse: such text never gets here)
WRITTEN_DATE_PARSERS = ["timestamp", "custom-formats", "absolute-time", "no-spaces-time"]


@functools.lru_cache(maxsize=64)
def _date_parser(doc: date, prefer: str) -> Any:
    """A dateparser parser for one document date and direction (making one reads its settings: about
    as slow as a parse)."""
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]

    base = datetime.combine(doc, datetime.min.time())
    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": prefer,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": WRITTEN_DATE_PARSERS,
        },
    )


PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}


def _rule_explicit(t: str, ctx: _Ctx) -> Result | None:
    """Written dates: "September 10, 2018", "Sept. 2018", "2018", "10/09/2018".

    dateparser reads the date; the precision is the coarser of dateparser's ``period``
    and the parts the text really writes, so a missing day or month is never filled in.
    """
    parts = _explicit_parts(t)
    if parts is None:
        return None
    year, month, day = parts
    if month is None:
        return ("DATE", _year(year)) if year else None
    if month != -1 and day is None:
        return "DATE", _dated(year, month, None, ctx)  # nothing for dateparser to check
    parsed, period = _dateparser_date(t, ctx)
    if month == -1:
        return ("DATE", _day(parsed.date())) if parsed and period == "day" else None
    if parsed is not None and parsed.month == month:
        coarse = PRECISION_RANK.get(period or "", 0) >= PRECISION_RANK["month"]
        day = None if coarse else day
        if day is not None and parsed.day != day:
            day = None
    return "DATE", _dated(year, month, day, ctx)


def _dated(year: int | None, month: int, day: int | None, ctx: _Ctx) -> TimeValue:
    """A month or day value, inferring a missing year; XXXX when it cannot be."""
    if year is None:
        year = _infer_year(month, day, ctx)
    if year is None:
        return TimeValue(f"XXXX-{month:02d}" + (f"-{day:02d}" if day else ""), "day" if day else "month")
    if day is None:
        return _month(year, month)
    if day > calendar.monthrange(year, month)[1]:
        return UNKNOWN
    return _day(date(year, month, day))


def _day_range(t: str) -> tuple[int, int, int, int | None] | None:
    """(month, first day, last day, year) of "Sept. 18-20", "18 to 20 September 2018"."""
    m = re.match(
        rf"^(?:(?P<m1>{MONTH_RE})\.? {DAY_NUM_RE}\s*(?:-|to|through|until|and)\s*"
        rf"{DAY_NUM_RE}|{DAY_NUM_RE}\s*(?:-|to|through|until|and)\s*{DAY_NUM_RE} "
        rf"(?:of )?(?P<m2>{MONTH_RE})\.?)(?:,? (?P<year>\d{{4}}))?$",
        t,
    )
    if not m:
        return None
    days = [int(d) for d in m.groups()[1:] if d and d.isdigit() and len(d) <= 2]
    if len(days) != 2 or not 1 <= days[0] < days[1] <= 31:
        return None
    return MONTHS[m["m1"] or m["m2"]], days[0], days[1], int(m["year"]) if m["year"] else None


def _rule_day_range(t: str, ctx: _Ctx) -> Result | None:
    """ "Sept. 18-20": the month, with bounds cut to the days named (no single day)."""
    parsed = _day_range(t)
    if parsed is None:
        return None
    month, first, last, year = parsed
    year = year if year is not None else _infer_year(month, first, ctx)
    if year is None:
        return "DATE", TimeValue(f"XXXX-{month:02d}", "month")
    if last > calendar.monthrange(year, month)[1]:
        return "DATE", UNKNOWN
    return "DATE", replace(_month(year, month), earliest=date(year, month, first), latest=date(year, month, last))


OF_YEAR_RE = re.compile(
    r"^(?P<head>.+?),? (?:of )?(?P<year>(?:the |this |last |next |"
    r"the current |the previous |the past |the coming )year)$"
)


def _rule_of_year(t: str, ctx: _Ctx) -> Result | None:
    """ "January of this year", "June 5 last year": a written date in a relative year."""
    m = OF_YEAR_RE.match(t)
    if not m or not re.search(rf"\b(?:{MONTH_RE})\b", m["head"]):
        return None
    _, year = _year_ref(m["year"], ctx)
    if year is None:
        parts = _explicit_parts(m["head"])
        if parts is None or parts[1] is None or parts[1] == -1:
            return None
        return "DATE", _dated(None, parts[1], parts[2], _Ctx(None, None))
    return _rule_explicit(f"{m['head']} {year}", ctx)


FISCAL_RE = re.compile(r"^(?:the )?(?:fiscal(?: year)?|fy) ?'?(\d{4}|\d{2})$")
FISCAL_REL_RE = re.compile(
    r"^(?:the )?(?P<rel>this|current|last|previous|past|next|"
    r"coming)? ?(?:fiscal|financial) year$"
)


def _rule_fiscal(t: str, ctx: _Ctx) -> Result | None:
    """ "fiscal 2007", "FY2007", "the financial year": a year-long period whose bounds
    depend on the company, so it gets a value (``FY2007``) but no bounds.  A relative
    fiscal year is named after the document's calendar year."""
    m = FISCAL_RE.match(t)
    if m:
        year = int(m[1]) if len(m[1]) == 4 else 2000 + int(m[1])
        return "DATE", TimeValue(f"FY{year}", "year")
    m = FISCAL_REL_RE.match(t)
    if not m:
        return None
    if ctx.doc is None:
        return "DATE", TimeValue(None, "year")
    rel = m["rel"] or "this"
    step = -1 if rel in ("last", "previous", "past") else 1 if rel in ("next", "coming") else 0
    return "DATE", TimeValue(f"FY{ctx.doc.year + step}", "year")


# -------------------------------------------------------------------- driver


RULES: tuple[Callable[[str, _Ctx], Result | None], ...] = (
    _rule_ref,
    _rule_set,
    _rule_ago,
    _rule_decade,
    _rule_quarter,
    _rule_fiscal,
    _rule_duration,
    _rule_modified,
    _rule_day_word,
    _rule_relative_period,
    _rule_relative_month,
    _rule_season,
    _rule_weekday,
    _rule_holiday,
    _rule_clock,
    _rule_day_range,
    _rule_of_year,
    _rule_explicit,
)


def _normalize(t: str, ctx: _Ctx) -> Result:
    """Run the rules on cleaned text; the first that understands it wins."""
    for candidate in dict.fromkeys((t, _strip_leading(t))):
        if not candidate:
            continue
        for rule in RULES:
            result = rule(candidate, ctx)
            if result is not None:
                return result
    return "DATE", UNKNOWN


def normalize_typed(text: str, doc_date: date | None, tense: str | None = None) -> tuple[str, TimeValue]:
    """Like :func:`normalize`, also giving the TIMEX3 type (DATE|TIME|DURATION|SET)."""
    try:
        doc = doc_date.date() if isinstance(doc_date, datetime) else doc_date
        return _normalize(_clean(text), _Ctx(doc, tense))
    except Exception:  # never raise on odd input
        return "DATE", UNKNOWN


def normalize(text: str, doc_date: date | None, tense: str | None = None) -> TimeValue:
    """Normalise one temporal expression against the document date.

    ``tense`` ("past", "present" or "future") is the tense of the governing verb; it
    picks the direction of weekdays, seasons and dates written without a year.
    """
    return normalize_typed(text, doc_date, tense)[1]
