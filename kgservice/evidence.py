"""Evidence: the sentence of the article that a mention sits in, with the mention marked.

Every mention in the graph is a NIF string with character offsets into its article's
context (``nif:isString``, the article body). A reader wants to see the words in their
sentence: :func:`snippets_for` fetches the spans of some resources and the texts they
index into (each text once), and :func:`sentence_around` cuts the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kgservice.resources import load_query
from kgservice.store import GraphStore

MAX_CHARS = 600  # a longer "sentence" is trimmed around the mention
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+|\n\s*\n")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")


@dataclass(frozen=True)
class Snippet:
    """A sentence cut in three: the text before the mention, the mention, the text after."""

    before: str
    mark: str
    after: str
    source: str  # the article graph that makes the mention
    begin: int
    end: int


def sentence_around(text: str, begin: int, end: int) -> tuple[str, str, str]:
    """The sentence (or sentences) holding ``text[begin:end]``, cut before/mark/after."""
    begin, end = max(0, min(begin, len(text))), max(0, min(end, len(text)))
    start = 0
    for match in _SENTENCE_END.finditer(text, 0, begin):
        start = match.end()
    stop = len(text)
    if _ENDS_SENTENCE.search(text, begin, end):
        stop = end
    elif following := _SENTENCE_END.search(text, end):
        stop = following.start() + len(following.group().rstrip())
    before, mark, after = text[start:begin], text[begin:end], text[end:stop]
    room = max(0, MAX_CHARS - len(mark)) // 2
    if len(before) > room:
        before = "…" + before[len(before) - room :].lstrip()
    if len(after) > room:
        after = after[:room].rstrip() + "…"
    return before.lstrip(), mark, after.rstrip()


def snippets_for(store: GraphStore, iris: Iterable[str]) -> dict[str, list[Snippet]]:
    """The sentences in which each resource is mentioned, by resource IRI, in text order."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    spans = _rows(store, "evidence-spans", "s", wanted)
    contexts = sorted({row["context"] for row in spans})
    texts = {row["context"]: row["text"] for row in _rows(store, "context-text", "context", contexts)}
    found: dict[str, list[Snippet]] = {}
    for row in spans:
        text = texts.get(row["context"])
        begin, end = int(row["begin"]), int(row["end"])
        if text is None or (begin == 0 and end == len(text)):  # the whole article (an author) is no snippet
            continue
        before, mark, after = sentence_around(text, begin, end)
        found.setdefault(row["s"], []).append(Snippet(before, mark, after, row["graph"], begin, end))
    return found


def _rows(store: GraphStore, name: str, var: str, iris: list[str]) -> list[dict[str, str]]:
    result = store.query(load_query(name).restricted(var, iris))
    return [{str(k): str(v) for k, v in row.asdict().items()} for row in result]  # type: ignore[union-attr]
