"""Find temporal expressions in a spaCy ``Doc``, with the tense of the verb governing each.

spaCy's DATE and TIME entities plus a few patterns for what spaCy misses; each is
normalised by :func:`kgservice.extract.timex.normalize` (re-exported here).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kgservice.extract.components import doc_text
from kgservice.extract.records import Span, TimeExpr
from kgservice.extract.timewords import (
    FUTURE_REFS,
    HOLIDAYS,
    LEADING_WORDS,
    MODIFIERS,
    MONTH_RE,
    MONTHS,
    NUM_RE,
    NUMBER_WORDS,
    PART_RE,
    PARTS_OF_DAY,
    PAST_REFS,
    PRESENT_REFS,
    SEASON_RE,
    SEASONS,
    SET_WORDS,
    UNIT_RE,
    UNITS,
    VAGUE_QUANTITIES,
    VAGUE_RE,
    WEEKDAY_RE,
    WEEKDAYS,
    alternation,
)
from kgservice.extract.timex import UNKNOWN, normalize_typed, unit_code

# ------------------------------------------------------------------------- tense

FUTURE_MODALS = {"will", "wo", "'ll", "ll", "shall", "would", "'d", "could", "might", "may", "should"}
FUTURE_HEADS = {
    "plan",
    "expect",
    "intend",
    "hope",
    "schedule",
    "set",
    "aim",
    "want",
    "seek",
    "promise",
    "agree",
    "prepare",
    "go",
    "propose",
    "vow",
    "pledge",
    "threaten",
    "due",
    "likely",
    "poised",
    "ready",
    "unlikely",
    "slate",
    "decide",
    "offer",
    "try",
    "need",
    "wish",
    "going",
}


def _governing_verb(token: Any) -> Any | None:
    """The nearest verb or auxiliary at or above ``token`` in the dependency tree."""
    for _ in range(32):
        if token.pos_ in ("VERB", "AUX"):
            return token
        if token.head.i == token.i:
            return None
        token = token.head
    return None


def _tense_of(verb: Any, depth: int = 0) -> str | None:
    """past | present | future for one verb, from its auxiliaries and morphology."""
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    words = {a.lower_ for a in auxes}
    if words & FUTURE_MODALS or verb.lower_ in FUTURE_MODALS:
        return "future"
    if "to" in words:
        return _infinitive_tense(verb)
    if verb.tag_ in ("VBG", "VBN") and not auxes:
        head = verb.head
        if head.i == verb.i:
            return None
        parent = _governing_verb(head)
        return _tense_of(parent, depth + 1) if parent is not None and depth < 3 else None
    forms = [verb, *auxes]
    if any(t.tag_ == "VBD" for t in forms):  # not VBN: "is scheduled" is not past
        return "past"
    if any(a.lemma_ == "have" for a in auxes):
        return "past"
    if any(t.tag_ in ("VBZ", "VBP") for t in forms):
        return "present"
    return None


def _infinitive_tense(verb: Any) -> str | None:
    """A to-infinitive: future after "plans to", "is set to", "an event to be held",
    a headline "Apple to give ..."; otherwise unknown (it may lie either side)."""
    head = verb.head
    if head.i == verb.i or head.pos_ in ("NOUN", "PROPN"):
        return "future"
    if head.lemma_.lower() in FUTURE_HEADS:
        return "future"
    return None


def verb_tense(span: Any) -> str | None:
    """The tense of the verb governing a span: "past", "present", "future" or None."""
    try:
        verb = _governing_verb(span.root)
        return _tense_of(verb) if verb is not None else None
    except Exception:  # a parse oddity must not stop extraction
        return None


# ---------------------------------------------------------------- find_times

ENTITY_LABELS = ("DATE", "TIME")
# vague references the matcher looks for; a bare "present" is too often an adjective
MATCHED_REFS = [r for r in PRESENT_REFS + PAST_REFS + FUTURE_REFS if r not in ("present", "the present")]
MONTH_CAP_RE = alternation(m.capitalize() for m in MONTHS)
EXTRA_PATTERNS = [
    # vague references spaCy does not tag; "in the past" must not eat "in the past two years"
    rf"(?<!\bas )\b(?:{alternation(MATCHED_REFS)})\b"
    rf"(?![ -]+(?:{NUM_RE}|{VAGUE_RE}|few|{UNIT_RE}|than|on|as|after|before|of)\b)",
    rf"\b(?:{alternation(SET_WORDS)})\b",
    rf"\b(?:every|each|per|once a|twice a)(?: other)? (?:(?:{NUM_RE}|{VAGUE_RE}) )?"
    rf"(?:{UNIT_RE}|{WEEKDAY_RE}|{SEASON_RE}|{PART_RE})s?\b",
    rf"\b(?:(?:earlier|later|early|late) )?(?:this|last|next|the) (?:{SEASON_RE})"
    rf"(?:,? (?:of )?\d{{4}})?\b",
    r"\b(?:spring|summer|autumn|winter)(?: of)? \d{4}\b",
    rf"\b(?:this|yesterday|tomorrow|last|{WEEKDAY_RE})[ -](?:{PART_RE})\b|\btonight\b",
    r"\b(?:earlier|later|early|late|mid)[ -](?:this|last|next) (?:week|month|year)\b",
    r"\bmid-\d{4}\b",
    # written dates, in case the statistical tagger misses or cuts one ("8, 2010")
    rf"\b(?:(?:{WEEKDAY_RE}),? )?(?-i:{MONTH_CAP_RE})\.? \d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"(?:,? \d{{4}}\b)?",
    rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?-i:{MONTH_CAP_RE})\b\.?(?:,? \d{{4}}\b)?",
    rf"\b(?-i:{MONTH_CAP_RE})\.?,? \d{{4}}\b",
]
# words that may only be taken when spaCy tags them with one of these parts of speech
POS_GUARD = {
    "later": ("ADV",),
    "earlier": ("ADV",),
    "soon": ("ADV",),
    "now": ("ADV",),
    "eventually": ("ADV",),
    "shortly": ("ADV",),
    "formerly": ("ADV",),
    "previously": ("ADV",),
    "recently": ("ADV",),
    **{w: ("ADJ", "ADV") for w in SET_WORDS},
}  # not "The Weekly Standard"
POSSESSIVES = ("'s", "\u2019s", "'")
AGE_BEFORE = re.compile(r"\b(?:aged?|ages|age of|at the age of)\s*$", re.I)
CUE_RE = re.compile(
    rf"\b(?:{MONTH_RE}|{WEEKDAY_RE}|{SEASON_RE}|{PART_RE}|{UNIT_RE}|tonight|today|"
    rf"yesterday|tomorrow|now|currently|presently|nowadays|recent\w*|past|future|soon|"
    rf"later|earlier|previously|formerly|lately|present|{alternation(SET_WORDS)}|weekend|"
    rf"eventually|someday|shortly|sooner|ago|moment|{alternation(HOLIDAYS)}|"
    rf"noon|midnight|fiscal|fy|fy\d{{2,4}}|half|q[1-4]|h[12]|"
    rf"\d{{4}}|'\d0s|\d0s|\d{{1,2}}:\d\d|\d\s*[ap]\.?m)s?\b",
    re.I,
)


LEFT_EXTENDERS = {
    "this",
    "last",
    "next",
    "past",
    "coming",
    "early",
    "late",
    "earlier",
    "later",
    "mid",
    "previous",
    "current",
    "every",
    "each",
}
PERIOD_HEADS = set(UNITS) | set(WEEKDAYS) | set(SEASONS) | set(PARTS_OF_DAY) | {"weekend"}
KEEP_FIRST = {
    w
    for phrase in (*MODIFIERS, *LEFT_EXTENDERS, *LEADING_WORDS, *VAGUE_QUANTITIES, *NUMBER_WORDS, *HOLIDAYS)
    for w in phrase.split()
}
STRAY_POS = ("NOUN", "PROPN", "VERB", "AUX", "PRON")


def _stray(token: Any) -> bool:
    """A leading word the tagger swept into a date ("force" in "force 65 years later")."""
    return token.pos_ in STRAY_POS and token.lower_ not in KEEP_FIRST and not CUE_RE.search(token.text)


def _trim(span: Any) -> Any:
    """Drop edge punctuation and spaces, stray leading words and a trailing possessive."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].is_punct or doc[start].is_space or _stray(doc[start])):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].lower_ in POSSESSIVES):
        if end - 2 >= start and re.fullmatch(r"\d+0", doc[end - 2].text) and (doc[end - 1].lower_ in POSSESSIVES[:2]):
            break  # "the 1980's" is a decade, not a possessive
        end -= 1
    return doc[start:end]


def _split_lines(start: int, end: int, doc: Any) -> list[tuple[int, int]]:
    """Cut a token range at line breaks: no expression runs from a title into a date line."""
    out, begin = [], start
    for i in range(start, end):
        if "\n" in doc[i].text or "\n" in doc[i].whitespace_:
            if i + 1 > begin:
                out.append((begin, i + 1))
            begin = i + 1
    if end > begin:
        out.append((begin, end))
    return out


def _extend_left(start: int, end: int, doc: Any) -> tuple[int, int]:
    """Take in a "this"/"last"/... spaCy left out ("this year's" tagged as "year")."""
    if doc[start].lower_ in PERIOD_HEADS or unit_code(doc[start].lower_) in UNITS:
        while start > 0 and doc[start - 1].lower_ in LEFT_EXTENDERS:
            start -= 1
    return start, end


def _entity_spans(doc: Any) -> list[tuple[int, int]]:
    """spaCy DATE/TIME entities as token ranges, adjacent ones merged ("Monday morning")."""
    spans: list[tuple[int, int]] = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        if spans and spans[-1][1] == ent.start:
            spans[-1] = (spans[-1][0], ent.end)
        else:
            spans.append((ent.start, ent.end))
    lines = [piece for s, e in spans for piece in _split_lines(s, e, doc)]
    return [_extend_left(s, e, doc) for s, e in lines]


def _pattern_spans(doc: Any) -> list[tuple[int, int]]:
    """Token ranges of the rule patterns, with part-of-speech guards on ambiguous words."""
    out = []
    for pattern in EXTRA_PATTERNS:
        for m in re.finditer(pattern, doc_text(doc), flags=re.I):
            span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            word = span[0].lower_
            if len(span) == 1 and word in POS_GUARD and span[0].pos_ not in POS_GUARD[word]:
                continue
            out.append((span.start, span.end))
    return out


def _choose(candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep the longest of overlapping token ranges, in text order."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(candidates), key=lambda r: (r[0] - r[1], r[0])):
        if all(end <= s or start >= e for s, e in kept):
            kept.append((start, end))
    return sorted(kept)


def _is_age(span: Any) -> bool:
    """ "56 years old", "aged 56", "a 10-year-old": ages are not times."""
    doc = span.doc
    after = doc[span.end].lower_ if span.end < len(doc) else ""
    if after in ("old", "-old") or span.text.lower().endswith("-old"):
        return True
    before = doc_text(doc)[max(0, span.start_char - 20) : span.start_char]
    return bool(AGE_BEFORE.search(before)) and bool(re.match(r"\d", span.text))


def _expressions(span: Any, doc_date: date | None) -> list[TimeExpr]:
    """The expression(s) in one candidate span; a list spaCy tagged as one entity
    ("June 17, two days") is cut at commas and "and" when the whole is not understood."""
    span = _trim(span)
    if len(span) == 0 or _is_age(span) or not CUE_RE.search(span.text):
        return []
    if len(span) == 1 and span[0].lower_ in UNITS:
        return []  # a bare "day" (as in "day-to-day") names no time
    typ, value = normalize_typed(span.text, doc_date, verb_tense(span))
    cuts = [t.i for t in span[1:-1] if t.lower_ in (",", "and", ";", "or")]
    if value == UNKNOWN and cuts:
        starts, ends = [span.start] + [c + 1 for c in cuts], [*cuts, span.end]
        return [x for a, b in zip(starts, ends, strict=True) for x in _expressions(span.doc[a:b], doc_date)]
    return [TimeExpr(Span(span.start_char, span.end_char, span.text), typ, value)]


def find_times(doc: Any, doc_date: date | None) -> list[TimeExpr]:
    """Every temporal expression in a parsed ``Doc``, normalised against ``doc_date``."""
    try:
        ranges = _choose(_entity_spans(doc) + _pattern_spans(doc))
    except Exception:  # a parse oddity must not stop extraction
        return []
    found = []
    for start, end in ranges:
        try:
            found.extend(_expressions(doc[start:end], doc_date))
        except Exception:
            continue
    return found
