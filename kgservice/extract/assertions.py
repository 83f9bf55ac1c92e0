"""Assertions: who said what, found from reporting cues and quotation marks.

- A reporting verb ("said", "explained", "called") with a claimant and a content is an
  assertion. The claimant is the verb's subject; a participle ("…, saying “…”") or a
  coordinated verb ("called it X and said Y") takes the subject of the clause it belongs
  to; "he"/"she" is the last person named before, "it" the last organisation.
- The content is the quotation the verb introduces or follows ("“…,” he said"), else its
  clausal complement ("said that…"), else a quotation later in the sentence ("called the
  plan “fiction”"). A content wholly inside quotation marks is a direct quote; an indirect
  content keeps any quoted words inside it (a mixed quote).
- "according to X, …" attributes the rest of the sentence to X.
- In an opinion piece, a sentence whose main clause carries a deontic modal ("there should
  be no…", "X must…") is the author's own stance (see :func:`find_stances`).
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Token

from kgservice.extract.components import doc_text, reporting_tokens
from kgservice.extract.events import noun_phrase_tokens
from kgservice.extract.records import Assertion, Span

PERSON_PRONOUNS = {"he", "she"}
PRONOUNS = {"he", "she", "they", "it", "i", "we"}
DEONTIC = {"should", "must", "ought"}
EVALUATIVE = {"good", "better", "best", "wise", "wiser", "prudent", "necessary", "essential", "crucial", "vital"}
OPEN_QUOTES, CLOSE_QUOTES = '“‘"', '”’"'
_QUOTE = re.compile(r"“[^”]{1,}”|\"[^\"\n]{1,}\"")


def quotations(text: str) -> list[tuple[int, int]]:
    """Character spans of quotations, marks included (curly or straight double quotes)."""
    return [(m.start(), m.end()) for m in _QUOTE.finditer(text)]


def find_assertions(
    doc: Doc, actor_index: dict[int, str], person_ids: set[str], org_ids: frozenset[str] = frozenset()
) -> list[Assertion]:
    """Assertions of one document, in text order."""
    quotes = quotations(doc_text(doc))
    found: list[tuple[Span, str | None, Span, bool, Span | None]] = []
    claimants: dict[int, str | None] = {}
    for token in reporting_tokens(doc):
        if not _is_report(token, quotes):
            continue
        content = _content(token, quotes)
        speaker = _speaker(token, actor_index, person_ids, org_ids, claimants) if content else None
        if content is None or speaker is None:
            continue
        claimants[token.i] = speaker[0]
        cue = Span(token.idx, token.idx + len(token.text), token.text)
        found.append((cue, speaker[0], content[0], content[1], speaker[1]))
    for cue, claimant, span, source in _according_to(doc, actor_index):
        found.append((cue, claimant, span, _inside_quote(span, quotes), source))
    found.sort(key=lambda f: f[0].start)
    return [
        Assertion(id=f"a{n + 1}", claimant=claimant, cue=cue, content=span, direct=direct, source=source)
        for n, (cue, claimant, span, direct, source) in enumerate(found)
    ]


def _is_report(token: Token, quotes: list[tuple[int, int]]) -> bool:
    """Finite reporting verbs, and participles that introduce a quotation ("saying, “…”")."""
    if token.dep_ in ("amod", "compound") or token.pos_ not in ("VERB", "AUX"):
        return False
    if token.tag_ in ("VBD", "VBZ", "VBP"):
        return token.dep_ != "acl"
    if token.tag_ == "VBG":
        return token.dep_ in ("advcl", "conj") or _quote_after(token, quotes) is not None
    return False


def _quote_after(verb: Token, quotes: list[tuple[int, int]]) -> tuple[int, int] | None:
    """A quotation that starts right after the verb, with at most punctuation between."""
    end = verb.idx + len(verb.text)
    text = doc_text(verb.doc)
    for start, stop in quotes:
        if start >= end and not text[end:start].strip(" ,:\u2014-"):
            return start, stop
    return None


def _quote_before(verb: Token, quotes: list[tuple[int, int]]) -> tuple[int, int] | None:
    """A quotation that ends just before the verb, with only its subject between ("“…,” she said")."""
    sentence = verb.sent
    subject = {t.i for c in verb.children if c.dep_ == "nsubj" for t in c.subtree}
    for start, stop in quotes:
        if not sentence.start_char - 1 <= stop <= verb.idx:
            continue
        between = [t for t in verb.doc[sentence.start : verb.i] if t.idx >= stop]
        if all(t.is_punct or t.i in subject for t in between):
            return start, stop
    return None


def _subject(verb: Token) -> Token | None:
    """The speaker: the verb's subject, a passive's "by" agent, or the subject of the clause above.

    A coordinated, subordinate or participle verb borrows its head's subject; a passive
    subject ("allegations were brought") is never a speaker.
    """
    current = verb
    for _ in range(4):
        for child in current.children:
            if child.dep_ == "nsubj":
                return child
            if child.dep_ == "agent":
                return next((c for c in child.children if c.dep_ == "pobj"), None)
        if any(c.dep_ in ("nsubjpass", "csubj") for c in current.children):
            return None
        borrows = current.dep_ in ("advcl", "xcomp", "conj") or (current.tag_ == "VBG" and current.dep_ == "ccomp")
        if not borrows or current.head.i == current.i:
            return None
        current = current.head
    return None


def _speaker(
    verb: Token,
    actor_index: dict[int, str],
    person_ids: set[str],
    org_ids: frozenset[str],
    claimants: dict[int, str | None],
) -> tuple[str | None, Span | None] | None:
    """(claimant, source phrase) of a reporting verb, or ``None`` when nobody can be the speaker.

    A participle whose own subject names no one ("…was likely saying") takes the speaker of
    the nearest clause above it that names one.
    """
    subject = _subject(verb)
    claimant = _claimant(subject, actor_index, person_ids, org_ids) if subject is not None else None
    head = verb
    while claimant is None and verb.tag_ == "VBG" and head.head.i != head.i:
        head = head.head
        head_subject = _subject(head)
        if head_subject is not None:
            subject = head_subject
            claimant = _claimant(head_subject, actor_index, person_ids, org_ids)
    if subject is None:
        shared = _coordinated_claimant(verb, claimants)
        return (shared, None) if shared is not None else None
    if claimant is None and subject.lower_ not in PRONOUNS and subject.pos_ != "PROPN":
        return None
    return claimant, _phrase(subject)


def _coordinated_claimant(verb: Token, claimants: dict[int, str | None]) -> str | None:
    """ "X called it A and said B": the claimant of the reporting verb before "and" in the sentence."""
    previous = verb.nbor(-1) if verb.i > verb.sent.start else None
    if previous is None or previous.lower_ not in ("and", "but"):
        return None
    earlier = [i for i in claimants if verb.sent.start <= i < verb.i]
    return claimants[max(earlier)] if earlier else None


def _claimant(subject: Token, actor_index: dict[int, str], person_ids: set[str], org_ids: frozenset[str]) -> str | None:
    """The actor the subject names; "he"/"she" is the last person named before, "it" the last organisation."""
    if subject.i in actor_index:
        return actor_index[subject.i]
    for token in sorted(noun_phrase_tokens(subject), key=lambda t: abs(t.i - subject.i)):
        if token.i in actor_index:
            return actor_index[token.i]
    wanted = person_ids if subject.lower_ in PERSON_PRONOUNS else org_ids if subject.lower_ == "it" else set()
    previous = [actor_index[i] for i in sorted(actor_index) if i < subject.i and actor_index[i] in wanted]
    return previous[-1] if previous else None


def _content(verb: Token, quotes: list[tuple[int, int]]) -> tuple[Span, bool] | None:
    """The quotation the verb introduces or follows, its clausal complement, or a later quotation."""
    doc = verb.doc
    quote = _quote_after(verb, quotes) or _quote_before(verb, quotes)
    if quote is not None:
        return _trim(doc, quote[0], quote[1]), True
    for child in verb.children:
        if child.dep_ in ("ccomp", "xcomp") and (child.i > verb.i or _ends_sentence(verb)):
            tokens = [t for t in _clause_tokens(child) if not (t.i == child.left_edge.i and t.lower_ == "that")]
            if not tokens:
                continue
            span = _trim(doc, tokens[0].idx, tokens[-1].idx + len(tokens[-1].text))
            return span, _inside_quote(span, quotes)
    sentence = verb.sent
    later = [(s, e) for s, e in quotes if verb.idx < s and e <= sentence.end_char + 1]
    if later:
        start, end = later[0]
        return _trim(doc, start, end), True
    return None


def _ends_sentence(verb: Token) -> bool:
    """ "…, the minister said.": a report that closes its sentence after the content."""
    return all(t.is_punct for t in verb.doc[verb.i + 1 : verb.sent.end])


def _clause_tokens(head: Token) -> list[Token]:
    """The clause up to a report of its own ("…was likely saying, “…”"): that report is another assertion."""
    reports = [t.i for t in head.subtree if t._.kg_reporting and t.tag_ == "VBG" and t.i > head.left_edge.i]
    cut = min(reports, default=None)
    tokens = [t for t in head.subtree if cut is None or t.i < cut]
    while len(tokens) > 1 and (tokens[-1].is_punct or tokens[-1].dep_ == "cc") and tokens[-1].text not in CLOSE_QUOTES:
        tokens.pop()
    return tokens


def _according_to(doc: Doc, actor_index: dict[int, str]) -> list[tuple[Span, str, Span, Span]]:
    """ "According to X, …": the rest of the sentence is X's claim."""
    found = []
    for token in doc:
        if token.lower_ != "according" or token.i + 1 >= len(doc) or doc[token.i + 1].lower_ != "to":
            continue
        to = doc[token.i + 1]
        objects = [c for c in to.children if c.dep_ == "pobj"] or [c for c in token.children if c.dep_ == "pobj"]
        if not objects:
            continue
        source = objects[0]
        claimant = next((actor_index[t.i] for t in source.subtree if t.i in actor_index), None)
        if claimant is None:
            continue
        phrase = {t.i for t in token.subtree} | {t.i for t in to.subtree} | {token.i, to.i}
        rest = [t for t in token.sent if t.i not in phrase]
        while rest and (rest[0].is_punct or rest[0].dep_ == "cc"):
            rest = rest[1:]
        if not rest:
            continue
        cue = Span(token.idx, to.idx + len(to.text), doc_text(doc)[token.idx : to.idx + len(to.text)])
        content = _trim(doc, rest[0].idx, rest[-1].idx + len(rest[-1].text))
        found.append((cue, claimant, content, _phrase(source)))
    return found


def find_stances(doc: Doc, taken: list[Span]) -> list[tuple[Span, Span]]:
    """(cue, content) of sentences that state the writer's own view with a deontic modal.

    The modal must sit on the sentence's main verb or a verb coordinated with it ("…, but
    there should be no…"), outside quotation marks and outside any reported content.
    """
    quotes = quotations(doc_text(doc))
    found = []
    for sentence in doc.sents:
        for verb in [sentence.root, *sentence.root.conjuncts]:
            modal = next((c for c in verb.children if c.dep_ == "aux" and c.lower_ in DEONTIC), None)
            if modal is None and verb.lemma_ == "be":
                modal = next((c for c in verb.children if c.dep_ == "acomp" and c.lower_ in EVALUATIVE), None)
            if modal is None or verb._.kg_reporting:
                continue
            if any(s <= modal.idx < e for s, e in quotes) or any(s.start <= modal.idx < s.end for s in taken):
                continue
            conjoined = {t.i for c in verb.children if c.dep_ == "conj" for t in c.subtree}
            tokens = [t for t in verb.subtree if t.i not in conjoined]
            if verb.dep_ == "conj" and not any(c.dep_ in ("nsubj", "expl", "nsubjpass") for c in verb.children):
                subject = next((c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
                if subject is not None:  # "X convey Y and should be Z": the claim starts at X
                    tokens = [t for t in sentence if subject.left_edge.i <= t.i <= tokens[-1].i]
            while tokens and (tokens[0].is_punct or tokens[0].dep_ == "cc"):
                tokens = tokens[1:]
            if tokens:
                content = _trim(doc, tokens[0].idx, tokens[-1].idx + len(tokens[-1].text))
                found.append((Span(modal.idx, modal.idx + len(modal.text), modal.text), content))
    return found


def _inside_quote(span: Span, quotes: list[tuple[int, int]]) -> bool:
    return any(s <= span.start and span.end <= e for s, e in quotes)


def _trim(doc: Doc, start: int, end: int) -> Span:
    """Strip spaces and final punctuation; drop the marks of a whole quotation, keep those of a quoted part.

    "“Fiction.”" → "Fiction"; "it was “derailing dialogue.”" keeps its marks, balanced.
    """
    text = doc_text(doc)
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:"):
        end -= 1
    if end - start >= 2 and text[start] in OPEN_QUOTES and text[end - 1] in CLOSE_QUOTES:
        inner = text[start + 1 : end - 1]
        if not any(q in inner for q in '“”"'):
            start, end = start + 1, end - 1
            while end > start and text[end - 1] in ".,;:":
                end -= 1
            return Span(start, end, text[start:end])
    piece = text[start:end]
    opened, closed = piece.count("“") + piece.count('"') % 2, piece.count("”")
    if opened > closed:
        rest = text[end : end + 3]
        close_at = next((i for i, ch in enumerate(rest) if ch in '”"'), None)
        if close_at is not None and not rest[:close_at].strip(".,!?"):
            end += close_at + 1
    return Span(start, end, text[start:end])


def _phrase(token: Token) -> Span:
    """The subject noun phrase as written ("Apple chief executive Tim Cook")."""
    start, end = token.left_edge.idx, token.right_edge.idx + len(token.right_edge.text)
    return Span(start, end, doc_text(token.doc)[start:end])
