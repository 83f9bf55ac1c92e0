"""Minting IRIs: deterministic, so re-ingesting an article gives the same IRIs."""

from __future__ import annotations

import hashlib

from rdflib import URIRef

from kgservice.extract.records import Span


class Minter:
    """Makes the IRIs of one service instance, under ``KG_BASE_URI``."""

    def __init__(self, base_uri: str) -> None:
        self.base = base_uri if base_uri.endswith("/") else base_uri + "/"

    def article(self, article_id: str) -> URIRef:
        """``<base>id/article/<id>``."""
        return URIRef(f"{self.base}id/article/{article_id}")

    def actor(self, actor_id: str) -> URIRef:
        """Actors are shared across articles: the IRI depends on the canonical name only."""
        return URIRef(f"{self.base}id/actor/{actor_id}")

    def event(self, key: str) -> URIRef:
        """``<base>id/event/<key>``; the key comes from :mod:`kgservice.resolve`."""
        return URIRef(f"{self.base}id/event/{key}")

    def assertion(self, article_id: str, cue: Span, content: Span) -> URIRef:
        """An assertion is specific to the article and the words that report it."""
        return URIRef(f"{self.base}id/assertion/{digest(article_id, cue.start, content.start, content.end)}")

    def run(self, *parts: object) -> URIRef:
        """An extraction run (a ``prov:Activity``)."""
        return URIRef(f"{self.base}id/run/{digest(*parts)}")

    def kind_of(self, iri: str) -> str | None:
        """Which kind of resource (article, actor, event, assertion, run) an IRI of ours names."""
        if not iri.startswith(self.base + "id/"):
            return None
        return iri[len(self.base) + 3 :].split("/", 1)[0]


def mention(article: URIRef, start: int, end: int) -> URIRef:
    """An RFC 5147 fragment IRI for characters ``start``–``end`` of the article body."""
    return URIRef(f"{article}#char={start},{end}")


def digest(*parts: object) -> str:
    """A short, stable hash of the parts."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
