"""Events: trigger words typed by the ontology, with participants, place, time and status.

Each trigger token (marked by the ``kg_triggers`` component) becomes an event mention;
mentions of one class that agree on ordinal, participants, place and time are merged into
one event within the article. Status comes from the grammar around the trigger: tense,
modal verbs, conditionals, negation and planning words.

A place is what an event happens at ("in Geneva", "the Geneva summit"); a country named as
a modifier or after "with" ("U.S. deals", "treaties with France") takes part instead.
An ordinal presupposes the earlier event: "a second meeting of A and B" means a first
meeting of A and B took place. That first meeting is recorded too, and is the one occurred
meeting of the article that it can be (same class, no conflicting participants), if there is
exactly one; so "the Geneva summit" and "a second meeting" of the same parties line up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from spacy.tokens import Doc, Token

from kgservice.extract import lexicon
from kgservice.extract.actors import slugify
from kgservice.extract.components import trigger_tokens
from kgservice.extract.records import Actor, Event, Participant, Span, TimeExpr

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8}
NEXT_WORDS = {"another", "next", "new", "further", "upcoming"}
LIGHT_VERBS = {
    "have", "hold", "host", "attend", "seek", "want", "plan", "arrange", "schedule", "give", "offer",
    "send", "write", "deliver", "sign", "reach", "strike", "conclude", "make", "stage", "launch", "conduct",
}  # fmt: skip
PARTICIPANT_PREPS = {
    "between": "participant",
    "with": "participant",
    "among": "participant",
    "of": "participant",
    "by": "agent",
    "from": "agent",
    "to": "patient",
}
CLASS_NOUNS = {
    "Meeting": "meeting",
    "Statement": "statement",
    "Communication": "message",
    "Agreement": "agreement",
    "Visit": "visit",
    "Parade": "parade",
    "Demonstration": "demonstration",
    "MilitaryAction": "military action",
    "Test": "test",
}
TOPIC_PREPS = {"on", "about", "over", "regarding", "concerning"}
CORE_ARGUMENTS = {"nsubj", "nsubjpass", "dobj", "attr", "ROOT"}
STATUS_RANK = ("Occurred", "Ongoing", "Planned", "Denied", "Possible", "Hypothetical")


@dataclass
class EventMention:
    """One trigger occurrence with what the sentence tells about it."""

    token: Token
    cls: str
    cameo: str | None
    status: str
    participants: list[Participant] = field(default_factory=list)
    place: str | None = None
    time: TimeExpr | None = None
    ordinal: int | None = None
    is_next: bool = False

    @property
    def span(self) -> Span:
        t = self.token
        return Span(t.idx, t.idx + len(t.text), t.text)


def find_events(
    doc: Doc,
    actors: list[Actor],
    actor_index: dict[int, str],
    time_at: dict[int, TimeExpr],
    countries: frozenset[str] = frozenset(),
    published: date | None = None,
) -> list[Event]:
    """Events of one document, merged within it; ``time_at`` comes from :func:`attach_times`.

    ``countries`` are the ids of place actors that are countries (they take part in events).
    An event the grammar reports as a fact but dated after ``published`` ("talks resume on
    Monday" in Friday's paper) is planned: it cannot have happened yet.
    """
    places = {a.id for a in actors if a.type == "Place"}
    mentions = [
        _mention(token, actor_index, places, countries, time_at)
        for token in trigger_tokens(doc)
        if not _is_generic(token) and not _modifies_same_event(token)
    ]
    for mention in mentions:
        earliest = mention.time.value.earliest if mention.time else None
        if mention.status == "Occurred" and published and earliest and earliest > published:
            mention.status = "Planned"
    groups = [g for g in _merge(mentions) if any(_is_anchored(m) for m in g)]
    names = Names(
        {a.id: a.label for a in actors},
        {a.id: _short_name(a) for a in actors},
        {a.id: frozenset((a.label, *a.aliases)) for a in actors},
    )
    events = [_event(group, names) for group in groups]
    return _unique_ids(_with_earlier_events(doc, events, names))


@dataclass(frozen=True)
class Names:
    """Actor labels and the short names used in compact event labels ("Second Macron–Scholz meeting")."""

    labels: dict[str, str]
    short: dict[str, str]
    forms: dict[str, frozenset[str]] = field(default_factory=dict)


def _short_name(actor: Actor) -> str:
    """A person's one-word name as the article uses it ("Merkel"), else the label."""
    if actor.type != "Person":
        return actor.label
    words = [n for n in actor.aliases if " " not in n]
    return min(words, key=len) if words else actor.label.split()[-1]


def _with_earlier_events(doc: Doc, events: list[Event], names: Names) -> list[Event]:
    """Add the earlier event each ordinal presupposes, merged with the occurred event it must be."""
    out = list(events)
    for event in events:
        actors = {p.actor for p in event.participants}
        if not event.ordinal or event.ordinal < 2 or len(actors) < 2:
            continue
        ordinal = event.ordinal - 1
        if any(
            e.cls == event.cls and e.ordinal == ordinal and {p.actor for p in e.participants} == actors for e in out
        ):
            continue
        candidates = [
            e
            for e in out
            if e.cls == event.cls
            and e.status == "Occurred"
            and e.ordinal in (None, ordinal)
            and {p.actor for p in e.participants} <= actors
        ]
        participants = tuple(Participant(p.actor, "participant") for p in event.participants)
        if len(candidates) == 1:
            found = candidates[0]
            merged = replace(found, ordinal=ordinal, participants=participants)
            if found.label == event_label_text(found.cls, None, [], (), names):
                merged = replace(merged, label=event_label_text(found.cls, ordinal, participants, (), names))
            out[out.index(found)] = merged
            continue
        cue = _ordinal_span(doc, event) or event.mentions[0]
        label = event_label_text(event.cls, ordinal, participants, (), names)
        out.append(
            Event(
                id=slugify(label),
                cls=event.cls,
                label=label,
                status="Occurred",
                trigger=cue,
                participants=participants,
                mentions=(cue,),
                cameo=event.cameo,
                ordinal=ordinal,
                implied=True,
            )
        )
    return out


def _ordinal_span(doc: Doc, event: Event) -> Span | None:
    """The ordinal word ("second") of one of the event's mentions: the evidence for the earlier event."""
    for mention in event.mentions:
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        for child in span.root.children if span is not None else ():
            if child.lower_ in ORDINALS:
                return Span(child.idx, child.idx + len(child.text), child.text)
    return None


def _modifies_same_event(token: Token) -> bool:
    """ "the agreement signed in Singapore": the verb describes the noun's event, not a second one."""
    head = token.head
    return (
        token.dep_ in ("acl", "relcl") and head._.kg_event is not None and head._.kg_event.cls == token._.kg_event.cls
    )


def _is_anchored(mention: EventMention) -> bool:
    """A mention worth a place on a timeline: a participant, a place, a time, an ordinal or a name."""
    named = any(c.dep_ == "compound" and c.pos_ == "PROPN" for c in mention.token.lefts)
    return bool(mention.participants or mention.place or mention.time or mention.ordinal or named)


def attach_times(doc: Doc, times: list[TimeExpr]) -> dict[int, TimeExpr]:
    """Map each time expression to the nearest event trigger or verb that governs it."""
    attached: dict[int, TimeExpr] = {}
    for expr in times:
        span = doc.char_span(expr.span.start, expr.span.end, alignment_mode="expand")
        if span is None:
            continue
        head = span.root.head
        while head.i != head.head.i and not _anchors_time(head):
            head = head.head
        attached.setdefault(head.i, expr)
    return attached


def _anchors_time(token: Token) -> bool:
    return token._.kg_event is not None or token._.kg_reporting or token.pos_ in ("VERB", "AUX")


def _mention(
    token: Token, actor_index: dict[int, str], places: set[str], countries: frozenset[str], time_at: dict[int, TimeExpr]
) -> EventMention:
    sense = token._.kg_event
    participants, place = _participants(token, actor_index, places, countries)
    ordinal, is_next = _ordinal(token)
    return EventMention(
        token=token,
        cls=sense.cls,
        cameo=sense.cameo,
        status=event_status(token),
        participants=participants,
        place=place,
        time=time_at.get(token.i) or _governor_time(token, time_at),
        ordinal=ordinal,
        is_next=is_next,
    )


def _governor_time(token: Token, time_at: dict[int, TimeExpr]) -> TimeExpr | None:
    """A noun trigger that is the object of a light verb takes that verb's time."""
    head = token.head
    if token.pos_ == "NOUN" and token.dep_ in ("dobj", "nsubj", "nsubjpass") and head.lemma_ in LIGHT_VERBS:
        return time_at.get(head.i)
    return None


def _is_generic(token: Token) -> bool:
    """A bare plural noun about events in general ("Negotiations are a slow process",
    "meetings with a president convey legitimacy"): no determiner, and either nothing to
    anchor it or the subject of a present-tense or modal verb."""
    if token.pos_ != "NOUN" or token.tag_ != "NNS":
        return False
    if any(child.dep_ in ("det", "poss", "nummod") for child in token.children):
        return False
    anchors = {"amod", "compound", "prep"}
    if not any(child.dep_ in anchors for child in token.children):
        return True
    head = token.head
    modal = any(c.tag_ == "MD" for c in head.children)
    return token.dep_ in ("nsubj", "nsubjpass") and (head.tag_ in ("VBP", "VBZ", "VB") or modal)


def _participants(
    token: Token, actor_index: dict[int, str], places: set[str], countries: frozenset[str]
) -> tuple[list[Participant], str | None]:
    found: list[Participant] = []
    place: str | None = None
    for role, actor in _candidate_actors(token, actor_index):
        venue = role == "modifier" and (actor not in countries or token._.kg_event.cls == "Meeting")
        if actor in places and (role == "place" or venue):
            place = place or actor
        elif role != "place" and all(p.actor != actor for p in found):
            found.append(Participant(actor, "participant" if role == "modifier" else role))
    return found, place


def _candidate_actors(token: Token, actor_index: dict[int, str]) -> list[tuple[str, str]]:
    """(role, actor id) pairs from the trigger's dependents."""
    pairs: list[tuple[str, str]] = []
    for child in token.children:
        role = _role_of(token, child)
        if role is None:
            continue
        targets = [t for c in _objects(child) for t in noun_phrase_tokens(c)]
        pairs.extend((role, actor_index[t.i]) for t in targets if t.i in actor_index)
    if token.pos_ == "NOUN" and token.head.lemma_ in LIGHT_VERBS and token.dep_ == "dobj":
        subjects = [c for c in token.head.children if c.dep_ == "nsubj"]
        pairs.extend(("agent", actor_index[s.i]) for s in subjects if s.i in actor_index)
        for prep in (c for c in token.head.children if c.dep_ in ("prep", "dative") and c.lower_ in ("to", "with")):
            role = "patient" if prep.lower_ == "to" else "participant"
            pairs.extend((role, actor_index[o.i]) for o in _objects(prep) if o.i in actor_index)
    pairs.extend(_place_via_clause(token, actor_index))
    return pairs


def _role_of(trigger: Token, child: Token) -> str | None:
    if child.dep_ in ("nsubj", "poss", "agent"):
        return "agent"
    if child.dep_ in ("dobj", "nsubjpass"):
        return "patient"
    if child.dep_ == "dative":
        return "patient" if child.lower_ == "to" else None
    if child.dep_ in ("compound", "nmod", "amod"):
        return "modifier"
    if child.dep_ == "prep":
        if child.lower_ in ("in", "at"):
            return None if _after_topic(trigger, child) else "place"
        return PARTICIPANT_PREPS.get(child.lower_)
    return None


def _after_topic(trigger: Token, prep: Token) -> bool:
    """ "an agreement on disarmament in Europe": the place phrase belongs to the topic before it."""
    return any(c.dep_ == "prep" and c.lower_ in TOPIC_PREPS and c.i < prep.i for c in trigger.children)


def _objects(child: Token) -> list[Token]:
    if child.dep_ in ("prep", "dative") and child.pos_ == "ADP":
        return [c for c in child.children if c.dep_ == "pobj"]
    return [child]


NP_DEPS = {"compound", "nmod", "conj", "cc", "amod", "appos", "poss", "flat"}


def noun_phrase_tokens(head: Token) -> list[Token]:
    """The head and the tokens joined to it by noun-phrase relations (not through clauses or prepositions)."""
    found = []
    for token in head.subtree:
        current = token
        while current.i != head.i and current.dep_ in NP_DEPS:
            current = current.head
        if current.i == head.i:
            found.append(token)
    return found


def _place_via_clause(token: Token, actor_index: dict[int, str]) -> list[tuple[str, str]]:
    """ "the agreement signed in Singapore": a place given by the clause that modifies the trigger."""
    pairs: list[tuple[str, str]] = []
    for clause in (c for c in token.children if c.dep_ in ("acl", "relcl")):
        for prep in (c for c in clause.children if c.dep_ == "prep" and c.lower_ in ("in", "at")):
            pairs.extend(("place", actor_index[o.i]) for o in _objects(prep) if o.i in actor_index)
    return pairs


def _ordinal(token: Token) -> tuple[int | None, bool]:
    ordinal, is_next = None, False
    for child in token.children:
        word = child.lower_
        if word in ORDINALS:
            ordinal = ORDINALS[word]
        elif (word in NEXT_WORDS and child.dep_ in ("det", "amod")) or word == "again":
            is_next = True
    return ordinal, is_next


def event_status(token: Token) -> str:
    """Factuality of the event a trigger denotes, from the grammar of its clause."""
    cues = lexicon.status_cues()
    verb = governing_verb(token)
    words = _status_words(token, verb)
    if any(w in cues["hypothetical"] for w in words):
        return "Hypothetical"
    if any(w in cues["negation"] for w in words):
        return "Denied"
    if any(w in cues["planned"] for w in words) or any(w in cues["future_modals"] for w in words):
        return "Planned"
    if any(w in cues["possible"] for w in words):
        return "Possible"
    if verb is not None and verb.tag_ == "VBG" and any(c.lemma_ == "be" for c in verb.children if c.dep_ == "aux"):
        return "Ongoing"
    if verb is not None and verb.dep_ == "csubj" and verb.tag_ in ("VBG", "VB"):
        return "Possible"  # "Reaching an agreement would be…": an aim, not a fact
    return "Occurred"


def governing_verb(token: Token) -> Token | None:
    """The verb whose clause the token belongs to (the token itself for a verb)."""
    current = token
    while current.pos_ not in ("VERB", "AUX"):
        if current.head.i == current.i:
            return None
        current = current.head
    return current


def _status_words(token: Token, verb: Token | None) -> set[str]:
    """Lower-cased cue candidates: the trigger's modifiers, its verb's auxiliaries and markers."""
    words = {c.lower_ for c in token.children if c.dep_ in ("neg", "det", "amod", "advmod")}
    path = _path_to(token, verb)
    words.update(t.lemma_.lower() for t in path[1:])
    negation_reaches = token.i == getattr(verb, "i", None) or token.dep_ in CORE_ARGUMENTS
    for t in path[1:] + ([verb] if verb is not None else []):
        deps = ("aux", "auxpass", "mark", "acomp", "advmod") + (("neg",) if negation_reaches else ())
        words.update(c.lower_ for c in t.children if c.dep_ in deps)
    if verb is not None:
        words.update(
            p.lower_
            for c in verb.children
            if c.dep_ == "prep"
            for p in c.children
            if p.dep_ == "pobj" and p.pos_ == "NOUN"
        )
        words.update(_clause_markers(verb))
    return words


def _path_to(token: Token, verb: Token | None) -> list[Token]:
    path = [token]
    while verb is not None and path[-1].i != verb.i and path[-1].head.i != path[-1].i:
        path.append(path[-1].head)
    return path


def _clause_markers(verb: Token) -> set[str]:
    """Markers of the verb's clause and of the clauses above it ("if" makes all below hypothetical)."""
    markers: set[str] = set()
    current = verb
    while True:
        markers.update(c.lower_ for c in current.children if c.dep_ == "mark")
        if current.dep_ not in ("advcl", "conj", "xcomp", "ccomp", "relcl") or current.head.i == current.i:
            return markers & (lexicon.status_cues()["hypothetical"])
        current = current.head


def _compatible(a: EventMention, b: EventMention) -> bool:
    """Whether two mentions may denote one event (symmetric)."""
    statuses = {a.status, b.status}
    if a.cls != b.cls or ("Occurred" in statuses and statuses & {"Planned", "Possible"}):
        return False
    if a.ordinal and b.ordinal and a.ordinal != b.ordinal:
        return False
    if a.place and b.place and a.place != b.place:
        return False
    if a.time and b.time and a.time.value.timex != b.time.value.timex:
        return False
    pa, pb = {p.actor for p in a.participants}, {p.actor for p in b.participants}
    same_series = (a.ordinal or a.is_next) and (b.ordinal or b.is_next)
    if pa and pb and not pa & pb and not same_series:
        return False
    return bool(same_series or (a.token.lemma_ == b.token.lemma_ and (pa & pb or (a.place and a.place == b.place))))


def _merge(mentions: list[EventMention]) -> list[list[EventMention]]:
    groups: list[list[EventMention]] = []
    for mention in mentions:
        for group in groups:
            if all(_compatible(other, mention) for other in group):
                group.append(mention)
                break
        else:
            groups.append([mention])
    return groups


def _event(group: list[EventMention], names: Names) -> Event:
    first = group[0]
    status = min((m.status for m in group), key=STATUS_RANK.index)
    participants: dict[str, Participant] = {}
    for m in group:
        for p in m.participants:
            participants.setdefault(p.actor, p)
    time = next((m.time for m in group if m.time and m.time.value.earliest), None) or next(
        (m.time for m in group if m.time), None
    )
    ordinal = next((m.ordinal for m in group if m.ordinal), None)
    place = next((m.place for m in group if m.place), None)
    label = event_label(first.token, first.cls, ordinal, tuple(participants.values()), names)
    return Event(
        id=slugify(label),
        cls=first.cls,
        label=label,
        status=status,
        trigger=first.span,
        participants=tuple(participants.values()),
        place=place,
        time=time,
        mentions=tuple(m.span for m in group),
        cameo=first.cameo,
        ordinal=ordinal,
    )


def event_label(
    token: Token, cls: str, ordinal: int | None, participants: tuple[Participant, ...], names: Names
) -> str:
    """A readable label from the trigger, its name modifiers and its participants."""
    doc = token.doc
    modifiers = tuple(
        doc[c.left_edge.i : c.i + 1].text for c in token.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"
    )
    noun = token.lemma_.lower() if token.pos_ == "NOUN" else CLASS_NOUNS.get(cls, token.lemma_.lower())
    return event_label_text(cls, ordinal, participants, modifiers, names, noun)


def event_label_text(
    cls: str,
    ordinal: int | None,
    participants: tuple[Participant, ...] | list[Participant],
    modifiers: tuple[str, ...],
    names: Names,
    noun: str | None = None,
) -> str:
    """ "Geneva summit", "Second Macron–Scholz meeting", "Letter from A to B", "Launch of X by A"."""
    noun = noun or CLASS_NOUNS.get(cls, cls.lower())
    shown = [
        p
        for p in participants
        if p.actor in names.labels and not names.forms.get(p.actor, {names.labels[p.actor]}) & set(modifiers)
    ]
    words = ([_ordinal_word(ordinal)] if ordinal else []) + list(modifiers)
    if cls in ("Meeting", "Agreement") and len(shown) == 2 and not modifiers:
        words.append("–".join(sorted(names.short[p.actor] for p in shown)))
        label = " ".join([*words, noun])
        return label[:1].upper() + label[1:]

    def named(*roles: str) -> list[str]:
        return [names.labels[p.actor] for p in shown if p.role in roles]

    if cls == "Communication":
        parts = [("from", named("agent")), ("to", named("patient", "participant"))]
    else:
        agent = "of" if cls in ("Meeting", "Visit") else "by"
        parts = [("of", named("patient")), (agent, named("agent")), ("with", named("participant"))]
    label = " ".join([*words, noun, *(f"{prep} {_and(found)}" for prep, found in parts if found)])
    return label[:1].upper() + label[1:]


def _and(names: list[str]) -> str:
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


def _ordinal_word(ordinal: int) -> str:
    return next((w for w, n in ORDINALS.items() if n == ordinal), f"{ordinal}th")


def _unique_ids(events: list[Event]) -> list[Event]:
    seen: dict[str, int] = {}
    unique = []
    for event in events:
        base = re.sub(r"-+", "-", event.id) or "event"
        seen[base] = seen.get(base, 0) + 1
        unique.append(replace(event, id=base if seen[base] == 1 else f"{base}-{seen[base]}"))
    return unique
