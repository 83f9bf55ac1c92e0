"""Words and patterns of English temporal expressions: months, weekdays, seasons, units, vague references.

Used by :mod:`kgservice.extract.timex` (normalisation) and :mod:`kgservice.extract.times` (finding).
"""

from __future__ import annotations

import re
from typing import Any

# --------------------------------------------------------------------------- words

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
SEASON_ORDER = ("SP", "SU", "FA", "WI")
SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "a couple of": 2,
    "couple of": 2,
    "a dozen": 12,
    "dozen": 12,
    "half a": 0.5,
    "half an": 0.5,
}
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "final": 4,
    "last": 4,
}
VAGUE_QUANTITIES = (
    "several",
    "many",
    "a few",
    "few",
    "some",
    "numerous",
    "a number of",
    "the past few",
    "the last few",
    "the next few",
    "recent",
    "past few",
    "last few",
    "next few",
    "coming",
    "the coming",
)
# unit -> (is a time-of-day unit, TIMEX letter, multiplier)
UNITS = {
    "second": (True, "S", 1),
    "minute": (True, "M", 1),
    "hour": (True, "H", 1),
    "day": (False, "D", 1),
    "night": (False, "D", 1),
    "week": (False, "W", 1),
    "fortnight": (False, "W", 2),
    "month": (False, "M", 1),
    "quarter": (False, "M", 3),
    "year": (False, "Y", 1),
    "decade": (False, "Y", 10),
    "century": (False, "Y", 100),
}
UNIT_PLURALS = {"centuries": "century"}
VAGUE_UNIT_CODES = {"decade": "DE", "century": "CE"}
PRESENT_REFS = (
    "now",
    "right now",
    "currently",
    "presently",
    "nowadays",
    "at present",
    "present",
    "the present",
    "at the moment",
    "at this time",
    "these days",
    "for now",
    "as of now",
    "by now",
    "until now",
    "up to now",
    "the present day",
)
PAST_REFS = (
    "recently",
    "more recently",
    "most recently",
    "until recently",
    "lately",
    "previously",
    "formerly",
    "in the past",
    "the past",
    "long ago",
    "years ago",
    "some time ago",
    "in recent years",
    "in recent months",
    "in recent weeks",
    "in recent days",
    "in recent times",
    "recent years",
    "recent months",
    "recent weeks",
    "recent days",
    "earlier",
    "once upon a time",
)
FUTURE_REFS = (
    "in the future",
    "the future",
    "in future",
    "soon",
    "sooner",
    "later",
    "shortly",
    "in the near future",
    "the near future",
    "someday",
    "some day",
    "at a later date",
    "a later date",
    "at a later time",
    "a later time",
    "later on",
    "in the coming days",
    "in the coming weeks",
    "in the coming months",
    "in the coming years",
    "the coming days",
    "the coming weeks",
    "the coming months",
    "the coming years",
    "in the days ahead",
    "in the weeks ahead",
    "in the months ahead",
    "in the years ahead",
    "eventually",
)
# the referent words that are relative to the narrative, not to the document date
NARRATIVE_REFS = ("later", "later on", "earlier", "soon", "shortly", "eventually")
SET_WORDS = {
    "annual": "P1Y",
    "annually": "P1Y",
    "yearly": "P1Y",
    "monthly": "P1M",
    "weekly": "P1W",
    "daily": "P1D",
    "nightly": "P1D",
    "hourly": "PT1H",
    "quarterly": "P3M",
    "biannual": "P6M",
    "semiannual": "P6M",
    "biennial": "P2Y",
    "fortnightly": "P2W",
}
HOLIDAYS = {
    "christmas": (12, 25),
    "christmas day": (12, 25),
    "christmas eve": (12, 24),
    "new year's day": (1, 1),
    "new year's eve": (12, 31),
    "halloween": (10, 31),
    "valentine's day": (2, 14),
    "independence day": (7, 4),
    "the fourth of july": (7, 4),
    "boxing day": (12, 26),
}
TIME_ZONES = (
    "et",
    "est",
    "edt",
    "ct",
    "cst",
    "cdt",
    "mt",
    "mst",
    "mdt",
    "pt",
    "pst",
    "pdt",
    "gmt",
    "utc",
    "bst",
    "cet",
    "cest",
    "kst",
    "jst",
    "local time",
    "eastern",
    "pacific",
    "central",
    "local",
    "time",
)
LEADING_WORDS = (
    "on",
    "in",
    "at",
    "by",
    "since",
    "until",
    "till",
    "from",
    "during",
    "for",
    "of",
    "before",
    "after",
    "as of",
    "through",
    "throughout",
    "within",
    "about",
    "around",
    "approximately",
    "nearly",
    "almost",
    "roughly",
    "more than",
    "less than",
    "at least",
    "up to",
    "over",
    "just",
    "only",
    "some time in",
    "sometime in",
    "some time",
    "sometime",
    "as early as",
    "as late as",
    "no later than",
    "as recently as",
    "starting",
    "beginning",
    "the whole of",
    "all of",
    "between",
)
MODIFIERS = (
    "earlier",
    "later",
    "early",
    "late",
    "mid",
    "the beginning of",
    "the start of",
    "the end of",
    "the middle of",
    "the rest of",
    "the remainder of",
    "beginning of",
    "start of",
    "end of",
    "middle of",
    "the first days of",
    "the last days of",
    "the turn of",
    "the close of",
)

# ---------------------------------------------------------------------- patterns


def alternation(words: Any) -> str:
    """A regex alternation of words, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


MONTH_RE = alternation(MONTHS)
WEEKDAY_RE = alternation(WEEKDAYS)
SEASON_RE = alternation(SEASONS)
UNIT_RE = alternation(list(UNITS) + list(UNIT_PLURALS))
NUM_WORD_RE = alternation([w for w in NUMBER_WORDS if w not in ("a", "an")])
NUM_RE = (
    rf"\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|(?:{NUM_WORD_RE})(?:[ -](?:{NUM_WORD_RE}))?"
    r"|an?"
)
VAGUE_RE = alternation(VAGUE_QUANTITIES)
PART_RE = alternation(PARTS_OF_DAY)
YEAR_RE = r"(?<![\d.,$])(1[0-9]{3}|2[0-9]{3})(?![\d%])"
DAY_NUM_RE = r"(\d{1,2})(?:st|nd|rd|th)?"

QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
