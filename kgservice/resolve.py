"""Resolve: which extracted actors and events denote things already in the store.

Actors: the IRI comes from the canonical name's slug, so "Angela Merkel" in two articles is
one actor; a one-word name ("Lovelace") that is the surname or family name of exactly one
stored person ("Ada Lovelace") takes that person's IRI.

Events: an event with participants and a date to the day is keyed by its class, date and
sorted participant IRIs, so a statement or a meeting on a given day reported by two
articles gets one IRI. An event with an ordinal ("second meeting") and participants is
keyed by its class, ordinal, sorted participant IRIs and place, so the same planned meeting
reported by two articles gets one IRI. If the store already holds an event of the same class and ordinal
sharing a participant, and no conflicting place, that event's IRI is reused. Everything
else (an undated statement, a letter) is specific to its article. The rules are
deterministic: the same store and article always resolve the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from rdflib import Literal, URIRef
from rdflib.query import Result
from rdflib.term import Node

from kgservice.extract.records import Event, Extraction
from kgservice.graph.iris import Minter, digest
from kgservice.graph.mapping import Identities
from kgservice.graph.namespaces import KG
from kgservice.resources import load_query


class Queryable(Protocol):
    """What resolution reads: SPARQL SELECTs over the union of the stored graphs (a :class:`kgservice.store.GraphStore`)."""

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> Result: ...


def resolve(extraction: Extraction, store: Queryable | None, minter: Minter) -> Identities:
    """Choose IRIs for the article's actors and events."""
    actors = {a.id: _actor_iri(a.id, a.type, store, minter) for a in extraction.actors}
    events = {e.id: _event_iri(e, extraction, actors, store, minter) for e in extraction.events}
    return Identities(actors=actors, events=events)


def _actor_iri(actor_id: str, actor_type: str, store: Queryable | None, minter: Minter) -> URIRef:
    own = minter.actor(actor_id)
    if store is None or "-" in actor_id or actor_type != "Person":
        return own
    rows = store.query(load_query("resolve-person-by-name").text, bindings={"name": Literal(actor_id)})
    candidates = sorted({str(row["person"]) for row in rows if str(row["person"]) != str(own)})  # type: ignore[call-overload, index]
    return URIRef(candidates[0]) if len(candidates) == 1 else own


def _event_iri(
    event: Event, extraction: Extraction, actors: dict[str, URIRef], store: Queryable | None, minter: Minter
) -> URIRef:
    participants = sorted(str(actors[p.actor]) for p in event.participants if p.actor in actors)
    place = str(actors[event.place]) if event.place in actors else ""
    dated = event.time is not None and event.time.value.precision == "day" and not event.implied
    if participants and dated and not event.ordinal:
        timex = event.time.value.timex if event.time else None
        return minter.event(f"{event.id}-{digest(event.cls, timex, *participants)[:8]}")
    if not event.ordinal or not participants:
        return minter.event(f"{event.id}-{digest(extraction.article.id, event.trigger.start)[:8]}")
    existing = _matching_event(event, participants, place, store)
    if existing is not None:
        return existing
    return minter.event(f"{event.id}-{digest(event.cls, event.ordinal, *participants, place)[:8]}")


def _matching_event(event: Event, participants: list[str], place: str, store: Queryable | None) -> URIRef | None:
    if store is None:
        return None
    query = load_query("resolve-event-candidates").text
    found: set[str] = set()
    for participant in participants:
        bindings = {"cls": KG[event.cls], "ordinal": Literal(event.ordinal), "actor": URIRef(participant)}
        for row in store.query(query, bindings=bindings):
            other_place = row.get("place")  # type: ignore[union-attr]
            if not place or other_place is None or str(other_place) == place:
                found.add(str(row["event"]))  # type: ignore[call-overload, index]
    return URIRef(sorted(found)[0]) if found else None
