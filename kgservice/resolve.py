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

What resolution reads from the store goes through :class:`Lookups`: SPARQL queries on a
store (:class:`StoreLookups`, the queries ``resolve-person-by-name`` and
``resolve-event-candidates``), or, in a bulk ingest, a :class:`PersonIndex` of the store
and the graphs waiting to be written, indexed as they are made (:class:`PersonIndex`,
:class:`EventIndex`; see :class:`kgservice.ingest.WriteBatch`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox
from rdflib import Literal, URIRef

from kgservice.extract.records import Event, Extraction
from kgservice.graph.iris import Minter, digest
from kgservice.graph.mapping import Identities
from kgservice.graph.namespaces import KG, RDF, RDFS, SCHEMA, SEM
from kgservice.resources import load_query

if TYPE_CHECKING:
    from kgservice.store import GraphStore


class Lookups(Protocol):
    """What resolution reads about the stored graphs (their union)."""

    def persons_named(self, name: str) -> set[str]:
        """Persons whose lower-case label starts with ``name`` and a space, or ends with a space and ``name``."""
        ...

    def events_like(self, cls: str, ordinal: int, actor: str) -> list[tuple[str, str | None]]:
        """(event, place or None) of events of class ``cls`` (a ``kg:`` local name) and ``ordinal`` with ``actor``."""
        ...


class StoreLookups:
    """:class:`Lookups` by SPARQL on a store."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def persons_named(self, name: str) -> set[str]:
        rows = self.store.query(load_query("resolve-person-by-name").text, bindings={"name": Literal(name)})
        return {str(row["person"]) for row in rows}  # type: ignore[call-overload, index]

    def events_like(self, cls: str, ordinal: int, actor: str) -> list[tuple[str, str | None]]:
        bindings = {"cls": KG[cls], "ordinal": Literal(ordinal), "actor": URIRef(actor)}
        rows = self.store.query(load_query("resolve-event-candidates").text, bindings=bindings)
        return [(str(row["event"]), _text(row.get("place"))) for row in rows]  # type: ignore[call-overload, index, union-attr]


class PersonIndex:
    """Persons by the first and the last word of their lower-case labels: ``resolve-person-by-name`` as a lookup.

    A one-word ``name`` ends a label (after a space) exactly when it is the label's last
    space-separated word, and starts it (before a space) exactly when it is the first. A
    name of several words (resolution asks for none) is looked for in every label.
    """

    QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?person ?label WHERE {
  { SELECT DISTINCT ?person WHERE { ?person a <https://schema.org/Person> } }
  { SELECT DISTINCT ?person ?label WHERE { ?person rdfs:label ?label } }
}"""

    def __init__(self, persons: Iterable[tuple[str, str]] = ()) -> None:
        self._first: dict[str, set[str]] = defaultdict(set)
        self._last: dict[str, set[str]] = defaultdict(set)
        self._labels: list[tuple[str, str]] = []  # (person, lower-case label) of every label with a space
        self.add_all(persons)

    @classmethod
    def of(cls, store: GraphStore) -> PersonIndex:
        """The index of every person in ``store``."""
        return cls((row["person"], row["label"]) for row in store.rows(cls.QUERY))

    def add_all(self, persons: Iterable[tuple[str, str]]) -> None:
        """Add (person, label) pairs: the rows of :attr:`QUERY`."""
        for person, label in persons:
            lower = label.lower()
            if " " in lower:
                self._first[lower.split(" ", 1)[0]].add(person)
                self._last[lower.rsplit(" ", 1)[1]].add(person)
                self._labels.append((person, lower))

    def persons_named(self, name: str) -> set[str]:
        if " " not in name:
            return self._first.get(name, set()) | self._last.get(name, set())
        return {p for p, lower in self._labels if lower.startswith(name + " ") or lower.endswith(" " + name)}


class EventIndex:
    """Events by class, ordinal and participant in article graphs: ``resolve-event-candidates`` as a lookup.

    As in the query on the union of the graphs, an event's places are those any graph
    gives it; its class, ordinal and participants are read graph by graph (an article
    graph types and describes every event it names).
    """

    def __init__(self) -> None:
        self._events: dict[tuple[str, ox.Literal, str], set[str]] = defaultdict(set)
        self._places: dict[str, set[str]] = defaultdict(set)

    def add_graph(self, triples: Iterable[ox.Triple | ox.Quad]) -> None:
        """Index the events of one article graph."""
        wanted = (_TYPE, _ORDINAL, _HAS_ACTOR, _HAS_PLACE)
        found: dict[object, dict[ox.NamedNode, list[object]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            if t.predicate in wanted:
                found[t.subject][t.predicate].append(t.object)
        for event, values in found.items():
            if not isinstance(event, ox.NamedNode):
                continue
            self._places[event.value].update(_text_of(p) for p in values.get(_HAS_PLACE, ()))
            classes = [c.value for c in values.get(_TYPE, ()) if isinstance(c, ox.NamedNode)]
            ordinals = [o for o in values.get(_ORDINAL, ()) if isinstance(o, ox.Literal)]
            actors = [a.value for a in values.get(_HAS_ACTOR, ()) if isinstance(a, ox.NamedNode)]
            for key in itertools.product(classes, ordinals, actors):
                self._events[key].add(event.value)

    def events_like(self, cls: str, ordinal: int, actor: str) -> list[tuple[str, str | None]]:
        rows: list[tuple[str, str | None]] = []
        for event in sorted(self._events.get((str(KG[cls]), ox.Literal(ordinal), actor), ())):
            places = self._places.get(event)
            rows += [(event, place) for place in sorted(places)] if places else [(event, None)]
        return rows


_TYPE, _LABEL, _PERSON = (ox.NamedNode(str(iri)) for iri in (RDF.type, RDFS.label, SCHEMA.Person))
_ORDINAL, _HAS_ACTOR, _HAS_PLACE = (ox.NamedNode(str(iri)) for iri in (KG.ordinal, SEM.hasActor, SEM.hasPlace))


def person_rows(triples: Iterable[ox.Triple | ox.Quad]) -> Iterator[tuple[str, str]]:
    """(person, label) of one article graph's triples: the rows :attr:`PersonIndex.QUERY` gives on it."""
    triples = list(triples)
    persons = {t.subject for t in triples if t.predicate == _TYPE and t.object == _PERSON}
    for t in triples:
        if t.predicate == _LABEL and t.subject in persons and isinstance(t.subject, ox.NamedNode):
            yield t.subject.value, t.object.value if isinstance(t.object, ox.Literal | ox.NamedNode) else str(t.object)


def resolve(extraction: Extraction, store: Lookups | GraphStore | None, minter: Minter) -> Identities:
    """Choose IRIs for the article's actors and events."""
    lookups = _lookups(store)
    actors = {a.id: _actor_iri(a.id, a.type, lookups, minter) for a in extraction.actors}
    events = {e.id: _event_iri(e, extraction, actors, lookups, minter) for e in extraction.events}
    return Identities(actors=actors, events=events)


def _lookups(store: Lookups | GraphStore | None) -> Lookups | None:
    from kgservice.store import GraphStore

    return StoreLookups(store) if isinstance(store, GraphStore) else store


def _actor_iri(actor_id: str, actor_type: str, lookups: Lookups | None, minter: Minter) -> URIRef:
    own = minter.actor(actor_id)
    if lookups is None or "-" in actor_id or actor_type != "Person":
        return own
    candidates = sorted(lookups.persons_named(actor_id) - {str(own)})
    return URIRef(candidates[0]) if len(candidates) == 1 else own


def _event_iri(
    event: Event, extraction: Extraction, actors: dict[str, URIRef], lookups: Lookups | None, minter: Minter
) -> URIRef:
    participants = sorted(str(actors[p.actor]) for p in event.participants if p.actor in actors)
    place = str(actors[event.place]) if event.place in actors else ""
    dated = event.time is not None and event.time.value.precision == "day" and not event.implied
    if participants and dated and not event.ordinal:
        timex = event.time.value.timex if event.time else None
        return minter.event(f"{event.id}-{digest(event.cls, timex, *participants)[:8]}")
    if not event.ordinal or not participants:
        return minter.event(f"{event.id}-{digest(extraction.article.id, event.trigger.start)[:8]}")
    existing = _matching_event(event, participants, place, lookups)
    if existing is not None:
        return existing
    return minter.event(f"{event.id}-{digest(event.cls, event.ordinal, *participants, place)[:8]}")


def _matching_event(event: Event, participants: list[str], place: str, lookups: Lookups | None) -> URIRef | None:
    """A stored event of the class and ordinal sharing a participant, with no place or this place."""
    if lookups is None or event.ordinal is None:
        return None
    places: dict[str, set[str]] = defaultdict(set)
    for participant in participants:
        for found, other_place in lookups.events_like(event.cls, event.ordinal, participant):
            places[found].update([other_place] if other_place else [])
    matching = sorted(e for e, where in places.items() if not place or not where or place in where)
    return URIRef(matching[0]) if matching else None


def _text(term: object) -> str | None:
    return None if term is None else str(term)


def _text_of(term: object) -> str:
    """An Oxigraph IRI's or literal's text."""
    return term.value if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode) else str(term)
