"""Plain records passed from extraction to mapping: small, frozen, free of RDF and spaCy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Span:
    """A stretch of the article body: ``text == body[start:end]`` always holds."""

    start: int
    end: int
    text: str


OPINION_GENRES = frozenset({"editorial", "op-ed", "oped", "opinion", "column", "commentary", "analysis"})


@dataclass(frozen=True)
class ArticleInput:
    """One article as read from a file or request, before extraction."""

    id: str
    text: str
    title: str | None = None
    published: date | None = None
    url: str | None = None
    author: str | None = None
    genre: str | None = None

    @property
    def is_opinion(self) -> bool:
        """Whether the article speaks in its author's own voice (an editorial, an op-ed, a column)."""
        return (self.genre or "").lower() in OPINION_GENRES


@dataclass(frozen=True)
class TimeValue:
    """A normalised time: a TIMEX3 value, its precision and the calendar bounds it covers.

    ``earliest``/``latest`` are ``None`` when the expression cannot be placed on the
    calendar (no document date, or a vague reference such as "in the past").
    """

    timex: str | None
    precision: str | None
    earliest: date | None = None
    latest: date | None = None


@dataclass(frozen=True)
class TimeExpr:
    """A temporal expression found in the text, with its normalised value."""

    span: Span
    type: str  # DATE | TIME | DURATION | SET
    value: TimeValue


@dataclass(frozen=True)
class Actor:
    """A person, organisation, place or group, with every mention of it in the article."""

    id: str
    label: str
    type: str  # Person | Organization | Place | Group | Product
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    same_as: tuple[str, ...] = ()
    mentions: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Participant:
    """An actor taking part in an event, with its role (agent, patient, participant)."""

    actor: str
    role: str


@dataclass(frozen=True)
class Event:
    """Something that happened, is happening or may happen, anchored on a trigger word."""

    id: str
    cls: str  # an ontology class name such as "Meeting"
    label: str
    status: str  # Occurred | Ongoing | Planned | Possible | Hypothetical | Denied
    trigger: Span
    participants: tuple[Participant, ...] = ()
    place: str | None = None
    time: TimeExpr | None = None
    mentions: tuple[Span, ...] = ()
    cameo: str | None = None
    ordinal: int | None = None
    implied: bool = False  # presupposed by the text ("a second meeting" implies a first), not mentioned


@dataclass(frozen=True)
class Assertion:
    """Who said what: a claimant, a reporting cue and the content of the claim."""

    id: str
    claimant: str | None
    cue: Span
    content: Span
    direct: bool
    source: Span | None = None
    about: tuple[str, ...] = ()
    stated_on: date | None = None
    stated_in: str | None = None


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one article."""

    article: ArticleInput
    actors: tuple[Actor, ...] = ()
    times: tuple[TimeExpr, ...] = ()
    events: tuple[Event, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    author: str | None = None  # the actor id of the article's author, when they are a claimant
    model: str = ""
    model_version: str = ""
    extracted_at: str = field(default="", compare=False)
