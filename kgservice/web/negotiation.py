"""Content negotiation, in one place.

A result kind (``bindings`` for SELECT/ASK, ``graph`` for CONSTRUCT/DESCRIBE and resource
descriptions) has a list of formats. An explicit choice (a URL suffix or a ``format``
parameter) wins; else ``Accept`` picks with werkzeug's ``best_match`` over the formats of
that kind (plus HTML where the page has one); else the answer is 406 Not Acceptable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kgservice.errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """One representation: its short name (suffix), media type and rdflib serializer name."""

    key: str
    mimetype: str
    rdflib: str
    aliases: tuple[str, ...] = ()


HTML = Format("html", "text/html", "html", ("application/xhtml+xml",))

BINDINGS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv", "csv"),
    Format("tsv", "text/tab-separated-values", "tsv"),
)

GRAPH: tuple[Format, ...] = (
    Format("ttl", "text/turtle", "turtle", ("application/turtle", "application/x-turtle")),
    Format("jsonld", "application/ld+json", "json-ld", ("application/json",)),
    Format("nt", "application/n-triples", "nt", ("text/plain",)),
    Format("rdf", "application/rdf+xml", "xml", ("application/xml", "text/xml")),
)

KINDS: dict[str, tuple[Format, ...]] = {"bindings": BINDINGS, "graph": GRAPH}


def formats(kind: str, html: bool = False) -> tuple[Format, ...]:
    """The formats of a result kind, HTML last when the page has an HTML form."""
    return KINDS[kind] + ((HTML,) if html else ())


def by_key(kind: str, key: str, html: bool = False) -> Format:
    """The format named by a suffix or ``format`` value (``ttl``, ``json``, ``turtle``, a media type…)."""
    key = key.strip().lower()
    for fmt in formats(kind, html):
        if key in {fmt.key, fmt.rdflib, fmt.mimetype}:
            return fmt
    names = ", ".join(f.key for f in formats(kind, html))
    raise NotAcceptable(f"unknown format {key!r}; this resource is available as {names}")


def choose(kind: str, explicit: str | None = None, html: bool = False) -> Format:
    """Pick the representation: an explicit suffix/``format`` first, else ``Accept``, else 406."""
    if explicit:
        return by_key(kind, explicit, html)
    explicit = request.args.get("format")
    if explicit:
        return by_key(kind, explicit, html)
    return from_accept(formats(kind, html))


def from_accept(candidates: Iterable[Format]) -> Format:
    """The best candidate for the request's ``Accept`` header (no header: the first one)."""
    candidates = tuple(candidates)
    best = _best_match(request.headers.get("Accept", ""), candidates)
    if best is None:
        names = ", ".join(f.mimetype for f in candidates)
        raise NotAcceptable(f"none of the requested media types can be produced; available: {names}")
    return best


def prefers_html() -> bool:
    """Whether the client (a browser) ranks HTML above the machine formats."""
    return _best_match(request.headers.get("Accept", ""), _HTML_OR_MACHINE) is HTML


_HTML_OR_MACHINE = (BINDINGS[0], GRAPH[0], HTML)


@functools.lru_cache(maxsize=512)
def _best_match(accept: str, candidates: tuple[Format, ...]) -> Format | None:
    """werkzeug's ``best_match`` of ``accept`` over the candidates' media types (no header: the first).

    Clients send the same few ``Accept`` headers again and again, so the answer is cached.
    """
    parsed = parse_accept_header(accept, MIMEAccept)
    if not parsed:
        return candidates[0]
    owner: dict[str, Format] = {}
    for fmt in candidates:
        for mimetype in (fmt.mimetype, *fmt.aliases):
            owner.setdefault(mimetype, fmt)
    best = parsed.best_match(list(owner))
    return None if best is None else owner[best]


def link_header(alternates: Iterable[tuple[str, str]]) -> str:
    """A ``Link`` header value listing ``(url, media type)`` alternates."""
    return ", ".join(f'<{url}>; rel="alternate"; type="{mimetype}"' for url, mimetype in alternates)
