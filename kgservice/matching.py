"""Names → actors and events: the matching behind the ``/reconcile`` service.

The store's actors and events, with their names, types, roles, places and participants,
are read by one query (``queries/reconcile-candidates.rq``) into a :class:`CandidateIndex`,
kept until the next write (``GraphStore.memo``). A :class:`NameQuery` (a name, wanted
types, property values) is answered from the index:

- names are compared after :func:`normalise` (case, accents, apostrophes, dots, hyphens
  and other punctuation), with rapidfuzz's ``WRatio`` (0–100): an exact match after
  normalisation scores 100, a reordered or slightly misspelt name a little less, a name
  found inside a longer one ("Lovelace" in "Meeting with Lovelace") 90 at most;
  an other name (``skos:altLabel``) counts ``ALT_WEIGHT`` of a label;
- wanted types filter the candidates (``type_strict`` "any" or "all"), or, with "should",
  lower the score of the others by ``TYPE_PENALTY``;
- each known property (``role``, ``place``, ``participant``) is scored 0–100 against the
  candidate's values and averaged with the name score, the name weighing ``NAME_WEIGHT``;
- ``match`` is true for the first candidate only, when it scores at least ``MATCH_SCORE``
  and beats the second by at least ``MATCH_GAP``.

No Flask here: the web module parses requests into these records and writes the answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz, process
from rdflib import RDFS, Literal, URIRef

from kgservice.errors import InputError
from kgservice.resources import load_query, ontology_graph
from kgservice.store import GraphStore

SEM = "http://semanticweb.cs.vu.nl/2009/11/sem/"
SCHEMA = "https://schema.org/"
KG = "https://w3id.org/kgservice/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

ALT_WEIGHT = 0.98  # an other name counts a little less than the label: a label's exact match wins a tie
NAME_WEIGHT = 3  # the name counts as much as three properties
TYPE_PENALTY = 0.8  # with type_strict "should", a candidate of another type keeps 80 % of its score
MATCH_SCORE = 95.0  # the least score of an automatic match
MATCH_GAP = 5.0  # … and by how much it must beat the second candidate
NAME_CUTOFF = 50.0  # names scoring less are not candidates at all
PROPERTY_POOL = 200  # property scores are computed for this many best name matches
MAX_TEXT = 500  # longest name or property value accepted, in characters


# -- types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityType:
    """A reconciliation type: a short id, a name, the RDF classes that make it."""

    id: str
    name: str
    classes: frozenset[str]
    generic: bool = False  # "Actor" and "Event": every actor, every event

    def as_json(self) -> dict[str, str]:
        """``{"id", "name"}`` as the API writes a type."""
        return {"id": self.id, "name": self.name}


ACTOR_CLASSES = frozenset({SEM + "Actor", SEM + "Place"})

_ACTOR_TYPES = (
    EntityType("Person", "Person", frozenset({SCHEMA + "Person"})),
    EntityType("Organization", "Organization", frozenset({SCHEMA + "Organization"})),
    EntityType("Place", "Place", frozenset({SCHEMA + "Place", SCHEMA + "Country", SEM + "Place"})),
    EntityType("Group", "Group", frozenset({KG + "Group"})),
    EntityType("Product", "Product", frozenset({SCHEMA + "Product"})),
)


@cache
def entity_types() -> tuple[EntityType, ...]:
    """Every type the service knows: actor types, the ontology's event classes, then "Actor" and "Event"."""
    ontology = ontology_graph()
    events = []
    for cls in sorted({str(c) for c in ontology.subjects(RDFS.subClassOf, URIRef(SEM + "Event"))}):
        label = next((str(o) for o in ontology.objects(URIRef(cls), RDFS.label) if isinstance(o, Literal)), None)
        local = cls.rsplit("#", 1)[-1]
        name = label or local
        events.append(EntityType(local, name[:1].upper() + name[1:], frozenset({cls})))
    every_event = frozenset(c for t in events for c in t.classes)
    generic = (
        EntityType("Actor", "Actor (person, organisation, place…)", ACTOR_CLASSES, generic=True),
        EntityType("Event", "Event", every_event, generic=True),
    )
    return (*_ACTOR_TYPES, *events, *generic)


def event_classes() -> frozenset[str]:
    """The IRIs of the event classes."""
    return next(t.classes for t in entity_types() if t.id == "Event")


def find_type(name: str) -> EntityType:
    """The type named by its id (any case) or one of its class IRIs (schema.org over http too)."""
    wanted = name.strip()
    iri = wanted.replace("http://schema.org/", SCHEMA)
    by_id = [t for t in entity_types() if t.id.lower() == wanted.lower()]
    by_class = sorted((t for t in entity_types() if iri in t.classes), key=lambda t: t.generic)
    if by_id or by_class:
        return (by_id or by_class)[0]
    known = ", ".join(t.id for t in entity_types())
    raise InputError(f"unknown type {name!r}; the types are: {known}")


# -- names ---------------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['’ʼ`´.]")  # removed: "Worker’s" → "workers", "U.S." → "us"
_NOT_WORD = re.compile(r"[\W_]+")  # hyphens, dashes, punctuation, spaces → one space


def normalise(text: str) -> str:
    """``text`` for comparison: accents dropped, case folded, punctuation and hyphens as spaces.

    "Jean-Paul Sartre" and "JEAN PAUL SARTRE" both give "jean paul sartre"; "Müller" gives "muller".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", bare.casefold())).split())


# -- candidates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An actor or event with what matching needs."""

    iri: str
    id: str  # relative to the identifier space (``<base>id/``), e.g. "actor/kim-jong-un"
    name: str
    labels: tuple[str, ...]
    alts: tuple[str, ...]
    types: tuple[EntityType, ...]  # specific types first, the generic one last
    roles: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # IRIs
    participants: tuple[str, ...] = ()  # IRIs

    @property
    def is_event(self) -> bool:
        """Whether this is an event (else an actor)."""
        return any(t.id == "Event" for t in self.types)

    def has_type(self, entity_type: EntityType) -> bool:
        """Whether the candidate is of ``entity_type``."""
        return entity_type in self.types

    def description(self) -> str:
        """A short line: its specific types and roles ("Person · Secretary of State")."""
        parts = [t.name for t in self.types if not t.generic] + list(self.roles[:2])
        return " · ".join(parts)


@dataclass
class _Entity:
    """What the candidate query says about one IRI, before it becomes a Candidate."""

    labels: set[str] = field(default_factory=set)
    alts: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    participants: set[str] = field(default_factory=set)


_FIELDS = {"label": "labels", "alt": "alts", "type": "classes", "role": "roles", "place": "places"}


class CandidateIndex:
    """Every actor and event, with their normalised names laid out for rapidfuzz."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self._by_id: dict[str, Candidate] = {}
        self.names: list[str] = []  # normalised, one per (candidate, name)
        self.owners: list[int] = []
        self.weights: list[float] = []
        for number, candidate in enumerate(self.candidates):
            self._by_id[candidate.id] = self._by_id[candidate.iri] = candidate
            for weight, names in ((1.0, candidate.labels), (ALT_WEIGHT, candidate.alts)):
                for name in names:
                    if key := normalise(name):
                        self.names.append(key)
                        self.owners.append(number)
                        self.weights.append(weight)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]], base_uri: str) -> CandidateIndex:
        """Build from the rows of ``reconcile-candidates.rq`` (``entity``, ``field``, ``value``)."""
        entities: dict[str, _Entity] = {}
        for row in rows:
            entity = entities.get(row["entity"])
            if entity is None:
                entity = entities[row["entity"]] = _Entity()
            getattr(entity, _FIELDS.get(row["field"], "participants")).add(row["value"])
        space = base_uri + "id/"
        wanted = ACTOR_CLASSES | event_classes()
        candidates = [
            _candidate(iri, entity, space)
            for iri, entity in sorted(entities.items())
            if entity.classes & wanted and (entity.labels or entity.alts)
        ]
        return cls(candidates)

    @classmethod
    def of_store(cls, store: GraphStore, base_uri: str) -> CandidateIndex:
        """The index of ``store``, kept until its next write."""
        return store.memo(
            "reconcile", lambda: cls.from_rows(store.rows(load_query("reconcile-candidates").text), base_uri)
        )

    def get(self, id_or_iri: str) -> Candidate | None:
        """The candidate with this local id or IRI."""
        return self._by_id.get(id_or_iri.strip())

    def names_of(self, iri: str) -> tuple[str, ...]:
        """The labels and other names of a candidate (for matching property values)."""
        candidate = self._by_id.get(iri)
        return (*candidate.labels, *candidate.alts) if candidate else ()

    def __len__(self) -> int:
        return len(self.candidates)


def _candidate(iri: str, entity: _Entity, space: str) -> Candidate:
    types = tuple(t for t in entity_types() if entity.classes & t.classes)
    specific = tuple(t for t in types if not t.generic)
    if any(t.id == "Event" for t in types):  # an event typed as an actor too stays one entity, an event
        types = (*specific, *(t for t in types if t.id == "Event"))
    else:
        types = (*specific, *(t for t in types if t.generic))
    labels = tuple(sorted(entity.labels)) or tuple(sorted(entity.alts))[:1]
    return Candidate(
        iri=iri,
        id=iri.removeprefix(space) if iri.startswith(space) else iri,
        name=labels[0],
        labels=labels,
        alts=tuple(sorted(entity.alts - set(labels))),
        types=types,
        roles=tuple(sorted(entity.roles)),
        places=tuple(sorted(entity.places)),
        participants=tuple(sorted(entity.participants)),
    )


# -- queries -------------------------------------------------------------------------------

PROPERTIES: dict[str, tuple[str, str, str]] = {
    # pid: (the RDF property, its name, what it is compared with)
    "role": (KG + "role", "role or title", "roles"),
    "place": (SEM + "hasPlace", "place (of an event)", "places"),
    "participant": (SEM + "hasActor", "participant (of an event)", "participants"),
}


def find_property(pid: str) -> str:
    """The pid for a property given by pid or IRI."""
    for key, (iri, _, _) in PROPERTIES.items():
        if pid.strip() in (key, iri):
            return key
    raise InputError(f"unknown property {pid!r}; the properties are: {', '.join(PROPERTIES)}")


@dataclass(frozen=True)
class PropertyValue:
    """A property of a query: its pid and the values it should have (ids or text)."""

    pid: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class NameQuery:
    """One reconciliation query, checked."""

    text: str
    types: tuple[EntityType, ...] = ()
    type_strict: str = "any"  # "any", "all" or "should"
    limit: int = 10
    properties: tuple[PropertyValue, ...] = ()


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and whether it is the match."""

    candidate: Candidate
    score: float
    match: bool = False

    def as_json(self) -> dict[str, object]:
        """A result as the API writes it."""
        return {
            "id": self.candidate.id,
            "name": self.candidate.name,
            "description": self.candidate.description(),
            "type": [t.as_json() for t in self.candidate.types],
            "score": self.score,
            "match": self.match,
        }


def answer(index: CandidateIndex, query: NameQuery) -> list[Scored]:
    """The best candidates for ``query``, best first, at most ``query.limit``."""
    name_scores = _name_scores(index, normalise(query.text))
    kept: list[tuple[Candidate, float]] = []
    for number, score in name_scores.items():
        candidate = index.candidates[number]
        adjusted = _typed_score(candidate, score, query)
        if adjusted is not None:
            kept.append((candidate, adjusted))
    kept.sort(key=lambda pair: (-pair[1], pair[0].name, pair[0].id))
    if query.properties:
        pool = [(c, _with_properties(index, c, s, query.properties)) for c, s in kept[:PROPERTY_POOL]]
        kept = sorted(pool, key=lambda pair: (-pair[1], pair[0].name, pair[0].id))
    best = [Scored(c, round(s, 1)) for c, s in kept[: query.limit]]
    if best and _is_clear(best):
        best[0] = Scored(best[0].candidate, best[0].score, True)
    return best


def _name_scores(index: CandidateIndex, key: str) -> dict[int, float]:
    """The best weighted name score of every candidate scoring at least ``NAME_CUTOFF``."""
    if not key:
        return {}
    found = process.extract(key, index.names, scorer=fuzz.WRatio, processor=None, limit=None, score_cutoff=NAME_CUTOFF)
    scores: dict[int, float] = {}
    for _, score, position in found:
        owner = index.owners[position]
        weighted = score * index.weights[position]
        if weighted > scores.get(owner, 0.0):
            scores[owner] = weighted
    return scores


def _typed_score(candidate: Candidate, score: float, query: NameQuery) -> float | None:
    """``score`` as the wanted types leave it; None when they rule the candidate out."""
    if not query.types:
        return score
    held = [candidate.has_type(t) for t in query.types]
    if query.type_strict == "all":
        return score if all(held) else None
    if query.type_strict == "should":
        return score if any(held) else score * TYPE_PENALTY
    return score if any(held) else None


def _with_properties(
    index: CandidateIndex, candidate: Candidate, name_score: float, properties: Sequence[PropertyValue]
) -> float:
    """The name score averaged with the property scores, the name weighing ``NAME_WEIGHT``."""
    total = name_score * NAME_WEIGHT + sum(_property_score(index, candidate, p) for p in properties)
    return total / (NAME_WEIGHT + len(properties))


def _property_score(index: CandidateIndex, candidate: Candidate, prop: PropertyValue) -> float:
    """How well one property of the query fits the candidate, 0–100 (the best of its values)."""
    held: tuple[str, ...] = getattr(candidate, PROPERTIES[prop.pid][2])
    if not held:
        return 0.0
    if prop.pid == "role":
        return max((_text_score(v, held) for v in prop.values), default=0.0)
    best = 0.0
    for value in prop.values:
        target = index.get(value)
        if target is not None and target.iri in held:
            return 100.0
        for iri in held:
            best = max(best, _text_score(value, index.names_of(iri)))
    return best


def _text_score(value: str, texts: Iterable[str]) -> float:
    """The best fuzzy score of ``value`` against ``texts`` (token set: "secretary" fits "Secretary of State")."""
    key = normalise(value)
    if not key:
        return 0.0
    return max((fuzz.token_set_ratio(key, normalise(text)) for text in texts), default=0.0)


def _is_clear(best: list[Scored]) -> bool:
    """Whether the first candidate is high enough and clearly ahead of the second."""
    top = best[0].score
    second = best[1].score if len(best) > 1 else 0.0
    return top >= MATCH_SCORE and top - second >= MATCH_GAP


# -- suggest -------------------------------------------------------------------------------


def suggest_entities(
    index: CandidateIndex, prefix: str, types: Sequence[EntityType] = (), limit: int = 10, start: int = 0
) -> list[Candidate]:
    """Candidates with a name, or a word of a name, that starts with ``prefix``.

    A name that starts with it ranks before a name with a later word that does; then labels
    before other names, shorter names first.
    """
    key = normalise(prefix)
    if not key:
        return []
    ranked: dict[int, tuple[int, int, int, str]] = {}
    for position, name in enumerate(index.names):
        if name.startswith(key):
            rank = 0
        elif f" {key}" in f" {name}":
            rank = 1
        else:
            continue
        owner = index.owners[position]
        candidate = index.candidates[owner]
        if types and not any(candidate.has_type(t) for t in types):
            continue
        order = (rank, 0 if index.weights[position] == 1.0 else 1, len(name), candidate.name)
        ranked[owner] = min(ranked.get(owner, order), order)
    ordered = sorted(ranked, key=lambda owner: ranked[owner])
    return [index.candidates[owner] for owner in ordered[start : start + limit]]


def suggest_types(prefix: str, limit: int = 10) -> list[EntityType]:
    """Types whose id or name has a word starting with ``prefix`` (every type for an empty prefix)."""
    key = normalise(prefix)
    found = [t for t in entity_types() if not key or f" {key}" in f" {normalise(t.id)} {normalise(t.name)}"]
    return found[:limit]


def suggest_properties(prefix: str, limit: int = 10) -> list[dict[str, str]]:
    """Properties whose pid or name has a word starting with ``prefix``."""
    key = normalise(prefix)
    found = [
        {"id": pid, "name": name, "description": iri}
        for pid, (iri, name, _) in PROPERTIES.items()
        if not key or f" {key}" in f" {normalise(pid)} {normalise(name)}"
    ]
    return found[:limit]
