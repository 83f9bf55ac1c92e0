"""What the endpoint needs to know about a SPARQL string before Oxigraph runs it.

A small lexer (strings, IRIs, comments, variables, prefixed names and keywords, braces) is
enough to answer three questions without a full parser: does a query call ``SERVICE``
(federated queries are off by default: they make the server fetch URLs), does an update
name its own dataset (``USING``/``WITH``), and how to apply the protocol's
``using-graph-uri``/``using-named-graph-uri`` to an update (SPARQL 1.1 Protocol §2.2.3:
they act as ``USING``/``USING NAMED`` on every operation with a ``WHERE`` clause).
Oxigraph still parses everything itself; a text the lexer misreads fails there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kgservice.errors import InputError

_LEXER = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                 |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][^\s{}()<>,;.\[\]=!&|+*/^"'#]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<word>[^\s{}()<>,;\[\]=!&|+*/^"'#?$@]+)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, text, offset and brace depth."""

    kind: str
    text: str
    start: int
    end: int
    depth: int

    @property
    def keyword(self) -> str | None:
        """The upper-cased keyword, if this is a bare word (not a prefixed name or number)."""
        if self.kind == "word" and ":" not in self.text and not self.text[0].isdigit():
            return self.text.upper()
        return None


def tokens(text: str) -> Iterator[Token]:
    """Significant tokens (no spaces or comments), each with the brace depth it sits at."""
    depth = 0
    for match in _LEXER.finditer(text):
        kind = match.lastgroup or "punct"
        if kind in {"space", "comment"}:
            continue
        value = match.group()
        if value == "}":
            depth = max(0, depth - 1)
        yield Token(kind, value, match.start(), match.end(), depth)
        if value == "{":
            depth += 1


BINDINGS_FORMS = frozenset({"SELECT", "ASK"})
GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})
QUERY_FORMS = BINDINGS_FORMS | GRAPH_FORMS
UPDATE_OPERATIONS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})


def keywords(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The keywords at brace depth 0, in order, and the set of keywords at any depth.

    Short texts are cached: dashboards and notebooks send the same queries again and again.
    Of longer ones (a big ``VALUES`` block) the last two are kept, so the checks on one
    request lex it once (about 1 ms for 50 kB).
    """
    return _cached_keywords(text) if len(text) <= 20_000 else _cached_long_keywords(text)


def _keywords(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    top: list[str] = []
    anywhere: set[str] = set()
    for token in tokens(text):
        keyword = token.keyword
        if keyword is None:
            continue
        anywhere.add(keyword)
        if token.depth == 0:
            top.append(keyword)
    return tuple(top), frozenset(anywhere)


_cached_keywords = functools.lru_cache(maxsize=512)(_keywords)
_cached_long_keywords = functools.lru_cache(maxsize=2)(_keywords)


def operation(text: str) -> str | None:
    """The first query form or update operation keyword (``SELECT``, ``CONSTRUCT``, ``INSERT``…), if any."""
    return next((k for k in keywords(text)[0] if k in QUERY_FORMS | UPDATE_OPERATIONS), None)


def uses_service(query: str) -> bool:
    """Whether the query contains a ``SERVICE`` clause (a federated call to another endpoint)."""
    return "SERVICE" in keywords(query)[1]


def declares_dataset(query: str) -> bool:
    """Whether a query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    return "FROM" in keywords(query)[0]


def loads_documents(update: str) -> bool:
    """Whether an update fetches documents from the web (``LOAD``) or calls ``SERVICE``."""
    return bool({"LOAD", "SERVICE"} & keywords(update)[1])


def names_dataset(update: str) -> bool:
    """Whether an update sets its own dataset with ``USING``, ``USING NAMED`` or ``WITH``."""
    return bool({"USING", "WITH"} & set(keywords(update)[0]))


def apply_using(update: str, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> str:
    """The update with the protocol's dataset written into each operation that has a ``WHERE``.

    ``DELETE WHERE { P }`` becomes ``DELETE { P } USING … WHERE { P }`` (the same
    operation in its long form, which can take a dataset). An update that also names its
    own dataset is refused, as the protocol requires.
    """
    if not default_graphs and not named_graphs:
        return update
    if names_dataset(update):
        raise InputError(
            "the update names its own dataset (USING or WITH) and the request gives "
            "using-graph-uri/using-named-graph-uri: give one or the other"
        )
    clause = " ".join([f"USING {_iri(g)}" for g in default_graphs] + [f"USING NAMED {_iri(g)}" for g in named_graphs])
    top = [t for t in tokens(update) if t.depth == 0]
    pieces: list[str] = []
    cursor = 0
    for index, token in enumerate(top):
        if token.keyword != "WHERE":
            continue
        before = top[index - 1] if index else None
        if before is not None and before.keyword == "DELETE":
            body = _group_after(update, token)
            pieces += [update[cursor : token.start], f"{body} {clause} "]
        else:
            pieces += [update[cursor : token.start], f"{clause} "]
        cursor = token.start
    pieces.append(update[cursor:])
    return "".join(pieces)


def _group_after(text: str, where: Token) -> str:
    """The ``{ … }`` group that follows a ``WHERE`` token, as written."""
    depth, start = 0, None
    for token in tokens(text[where.end :]):
        if token.text == "{":
            start = where.end + token.start if start is None else start
            depth += 1
        elif token.text == "}":
            depth -= 1
            if depth == 0 and start is not None:
                return text[start : where.end + token.end]
    raise InputError("the update has a DELETE WHERE without a closing brace")


def _iri(value: str) -> str:
    if not value or re.search(r'[<>"{}|^`\\\x00-\x20]', value):
        raise InputError(f"not a valid graph IRI: {value!r}")
    return f"<{value}>"
