"""Extraction records as the JSON of the ``extract --format json`` contract (DESIGN.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kgservice.extract.records import Actor, Assertion, Event, Extraction, Span, TimeExpr


def extraction_json(extraction: Extraction, article_iri: str) -> dict[str, Any]:
    """One article's records; every offset indexes ``article.text``."""
    article = extraction.article
    return {
        "article": {
            "iri": article_iri,
            "title": article.title,
            "published": _date(article.published),
            "text": article.text,
            "author_actor": extraction.author,
        },
        "actors": [_actor(a) for a in extraction.actors],
        "times": [_time(t) for t in extraction.times],
        "events": [_event(e) for e in extraction.events],
        "assertions": [_assertion(a) for a in extraction.assertions],
    }


def _span(span: Span | None) -> dict[str, Any] | None:
    return None if span is None else {"start": span.start, "end": span.end, "text": span.text}


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _actor(actor: Actor) -> dict[str, Any]:
    return {
        "id": actor.id,
        "label": actor.label,
        "type": actor.type,
        "aliases": list(actor.aliases),
        "roles": list(actor.roles),
        "sameAs": list(actor.same_as),
        "mentions": [_span(m) for m in actor.mentions],
    }


def _time(expr: TimeExpr | None) -> dict[str, Any] | None:
    if expr is None:
        return None
    return {
        **(_span(expr.span) or {}),
        "type": expr.type,
        "timex": expr.value.timex,
        "precision": expr.value.precision,
        "earliest": _date(expr.value.earliest),
        "latest": _date(expr.value.latest),
    }


def _event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "class": event.cls,
        "label": event.label,
        "status": event.status,
        "trigger": _span(event.trigger),
        "participants": [{"actor": p.actor, "role": p.role} for p in event.participants],
        "place": event.place,
        "time": _time(event.time),
        "mentions": [_span(m) for m in event.mentions],
        "cameo": event.cameo,
        "ordinal": event.ordinal,
        "implied": event.implied,
    }


def _assertion(assertion: Assertion) -> dict[str, Any]:
    return {
        "id": assertion.id,
        "claimant": assertion.claimant,
        "source": _span(assertion.source),
        "cue": _span(assertion.cue),
        "content": _span(assertion.content),
        "direct": assertion.direct,
        "about": list(assertion.about),
        "stated_on": _date(assertion.stated_on),
    }
