"""Assertions: who said what, found from reporting verbs and quotation marks.

A reporting verb ("said", "explained", "called") with a claimant (its subject, or the
subject of the verb it depends on) and a content (its clausal complement, or the quotation
it introduces) is an assertion. Content inside quotation marks is a direct quote.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Token

from kgservice.extract.records import Assertion, Span

QUOTE_PAIRS = (("“", "”"), ('"', '"'), ("‘", "’"))
PRONOUNS = {"he", "she", "they", "it", "i", "we"}
_QUOTE = re.compile(r"“[^”]{2,}”|\"[^\"]{2,}\"")


def find_assertions(doc: Doc, actor_index: dict[int, str], person_ids: set[str]) -> list[Assertion]:
    """Assertions of one document, in text order."""
    quotes = [(m.start(), m.end()) for m in _QUOTE.finditer(doc.text)]
    found: list[Assertion] = []
    for token in doc:
        if not token._.kg_reporting or not _is_report(token):
            continue
        content = _content(token, quotes)
        if content is None:
            continue
        subject = _subject(token)
        claimant = _claimant(subject, actor_index, person_ids) if subject is not None else None
        if subject is None or (claimant is None and subject.lower_ not in PRONOUNS and subject.pos_ != "PROPN"):
            continue
        span, direct = content
        found.append(
            Assertion(
                id=f"a{len(found) + 1}",
                claimant=claimant,
                cue=Span(token.idx, token.idx + len(token.text), token.text),
                content=span,
                direct=direct,
                source=_phrase(subject),
            )
        )
    return found


def _is_report(token: Token) -> bool:
    """Finite reporting verbs, and participles that introduce a quotation ("saying, “…”")."""
    if token.dep_ in ("amod", "acl", "compound") or token.pos_ not in ("VERB", "AUX"):
        return False
    if token.tag_ in ("VBD", "VBZ", "VBP"):
        return True
    return token.tag_ == "VBG" and token.dep_ in ("advcl", "conj")


def _subject(verb: Token) -> Token | None:
    """The verb's subject, or that of the verb it is coordinated with or subordinate to."""
    current = verb
    for _ in range(4):
        for child in current.children:
            if child.dep_ in ("nsubj", "nsubjpass"):
                return child
        if current.dep_ not in ("conj", "advcl", "xcomp") or current.head.i == current.i:
            return None
        current = current.head
    return None


def _claimant(subject: Token, actor_index: dict[int, str], person_ids: set[str]) -> str | None:
    """The actor the subject names; a personal pronoun resolves to the last person named before it."""
    if subject.i in actor_index:
        return actor_index[subject.i]
    for token in sorted(subject.subtree, key=lambda t: abs(t.i - subject.i)):
        if token.i in actor_index:
            return actor_index[token.i]
    if subject.lower_ in ("he", "she"):
        previous = [actor_index[i] for i in sorted(actor_index) if i < subject.i and actor_index[i] in person_ids]
        return previous[-1] if previous else None
    return None


def _content(verb: Token, quotes: list[tuple[int, int]]) -> tuple[Span, bool] | None:
    """The clausal complement ("said that X") or the quotation the verb introduces."""
    doc = verb.doc
    for child in verb.children:
        if child.dep_ in ("ccomp", "xcomp") and child.i > verb.i:
            tokens = [t for t in _clause_tokens(child) if not (t.i == child.left_edge.i and t.lower_ == "that")]
            span = _trim(doc, tokens[0].idx, tokens[-1].idx + len(tokens[-1].text))
            return span, _inside_quote(span, quotes)
    sentence = verb.sent
    in_sentence = [(s, e) for s, e in quotes if sentence.start_char <= s and e <= sentence.end_char + 1]
    after = [(s, e) for s, e in in_sentence if s > verb.idx] or in_sentence
    if after:
        start, end = after[0]
        return _trim(doc, start + 1, end - 1), True
    return None


def _clause_tokens(head: Token) -> list[Token]:
    """The clause without a trailing report of its own ("…was likely saying, “…”")."""
    cut = min((c.left_edge.i for c in head.rights if c._.kg_reporting and c.dep_ in ("advcl", "conj")), default=None)
    tokens = [t for t in head.subtree if cut is None or t.i < cut]
    while len(tokens) > 1 and (tokens[-1].is_punct or tokens[-1].dep_ == "cc"):
        tokens.pop()
    return tokens


def _inside_quote(span: Span, quotes: list[tuple[int, int]]) -> bool:
    return any(s <= span.start and span.end <= e for s, e in quotes)


def _trim(doc: Doc, start: int, end: int) -> Span:
    """Strip surrounding spaces, quotation marks and final punctuation from a content span."""
    text = doc.text
    while start < end and (text[start].isspace() or text[start] in '“"‘'):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in '”"’.,;:'):
        end -= 1
    return Span(start, end, text[start:end])


def _phrase(token: Token) -> Span:
    """The subject noun phrase as written ("Apple chief executive Tim Cook")."""
    start, end = token.left_edge.idx, token.right_edge.idx + len(token.right_edge.text)
    return Span(start, end, token.doc.text[start:end])
