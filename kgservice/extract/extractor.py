"""The extractor: runs the spaCy pipeline and the extraction rules over articles.

Pure with respect to storage: no RDF, no I/O beyond loading the spaCy pipeline once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from spacy.tokens import Doc, Token

from kgservice.extract.actors import find_actors, is_country, slugify
from kgservice.extract.assertions import find_assertions, find_stances
from kgservice.extract.events import attach_times, event_status, find_events
from kgservice.extract.pipeline import load_nlp, model_version
from kgservice.extract.records import Actor, ArticleInput, Assertion, Event, Extraction, Participant, Span, TimeExpr
from kgservice.extract.times import find_times

STATEMENT_CAMEO = "01"


class Extractor:
    """Holds a loaded spaCy pipeline and turns articles into :class:`Extraction` records."""

    def __init__(self, model: str) -> None:
        self.nlp = load_nlp(model)
        self.model, self.model_version = model_version(self.nlp)

    def extract(self, article: ArticleInput) -> Extraction:
        """Extract one article."""
        return self.from_doc(self.nlp(article.text), article)

    def extract_many(self, articles: Iterable[ArticleInput], batch_size: int = 8) -> Iterator[Extraction]:
        """Extract many articles through ``nlp.pipe`` (the model is loaded once)."""
        pairs = ((a.text, a) for a in articles)
        for doc, article in self.nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
            yield self.from_doc(doc, article)

    def from_doc(self, doc: Doc, article: ArticleInput) -> Extraction:
        """Build the records from a parsed document."""
        actors, index = find_actors(doc)
        times = find_times(doc, article.published)
        time_at = attach_times(doc, times)
        countries = frozenset(a.id for a in actors if a.type == "Place" and is_country(a.label))
        events = find_events(doc, actors, index, time_at, countries, article.published)
        persons = {a.id for a in actors if a.type == "Person"}
        organisations = frozenset(a.id for a in actors if a.type == "Organization")
        assertions = find_assertions(doc, index, persons, organisations)
        author = None
        if article.is_opinion:
            author, stances = author_stances(doc, article, assertions, {a.id for a in actors})
            if author is not None:
                actors.append(author)
                assertions = sorted([*assertions, *stances], key=lambda a: a.cue.start)
        events, assertions = link_assertions(doc, actors, events, assertions, time_at)
        if author is not None:
            assertions = [replace(a, stated_on=article.published) if a.claimant == author.id else a for a in assertions]
        return Extraction(
            article=article,
            author=author.id if author is not None else None,
            actors=tuple(actors),
            times=tuple(times),
            events=tuple(events),
            assertions=tuple(assertions),
            model=self.model,
            model_version=self.model_version,
            extracted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )


def author_stances(
    doc: Doc, article: ArticleInput, assertions: list[Assertion], taken_ids: set[str]
) -> tuple[Actor | None, list[Assertion]]:
    """The author of an opinion piece as an actor, and the stances the piece states in its own voice.

    The author is the article's byline when known, else "Editorial board" (an editorial) or
    "Author" of the article; their one "mention" is the article itself.
    """
    stances = find_stances(doc, [a.content for a in assertions])
    if not stances:
        return None, []
    editorial = (article.genre or "").lower() == "editorial"
    work = f"“{article.title}”" if article.title else f"article {article.id}"
    name = article.author or f"{'Editorial board' if editorial else 'Author'} of {work}"
    actor_id = slugify(article.author or "") or slugify(f"author {article.id}")
    while actor_id in taken_ids:
        actor_id += "-author"
    author = Actor(actor_id, name, "Organization" if editorial and not article.author else "Person")
    found = [
        Assertion(id=f"s{n + 1}", claimant=actor_id, cue=cue, content=content, direct=True)
        for n, (cue, content) in enumerate(stances)
    ]
    return author, found


def link_assertions(
    doc: Doc, actors: list[Actor], events: list[Event], assertions: list[Assertion], time_at: dict[int, TimeExpr]
) -> tuple[list[Event], list[Assertion]]:
    """Give each assertion its topics, date and the speech event it was made in.

    A claim made "in an interview" is stated in that event; other claims get a Statement
    event of their own, one per claimant and date.
    """
    by_token = {m.start: e for e in events for m in e.mentions}
    labels = {a.id: a.label for a in actors}
    authors = {a.id for a in actors if not a.mentions}
    statements: dict[tuple[str, str | None], Event] = {}
    linked = []
    for assertion in assertions:
        cue = doc.char_span(assertion.cue.start, assertion.cue.end, alignment_mode="expand")
        cue_token = cue.root if cue is not None else None
        time = time_at.get(cue_token.i) if cue_token is not None else None
        host = _host_event(cue_token, by_token)
        about = _about(assertion.content, events, actors)
        if host is not None and assertion.claimant is not None:
            host = _with_agent(host, assertion.claimant)
            events = [host if e.id == host.id else e for e in events]
            by_token.update({m.start: host for m in host.mentions})
        elif assertion.claimant is not None and assertion.claimant not in authors and cue_token is not None:
            host = _statement(statements, assertion, time, labels, event_status(cue_token))
        time = time or (host.time if host is not None else None)
        linked.append(
            replace(
                assertion,
                about=about,
                stated_in=host.id if host is not None else None,
                stated_on=time.value.earliest if time and time.value.precision == "day" else None,
            )
        )
    return events + list(statements.values()), linked


def _with_agent(event: Event, actor: str) -> Event:
    """The event with ``actor`` as its agent ("In an interview with X, Y said": Y gives the interview)."""
    others = tuple(p for p in event.participants if p.actor != actor)
    return replace(event, participants=(Participant(actor, "agent"), *others))


def _host_event(cue_token: Token | None, by_token: dict[int, Event]) -> Event | None:
    """ "In an interview with X, Y indicated…, saying…": the event the cue (or the verb it hangs from) is said in."""
    while cue_token is not None:
        for prep in (c for c in cue_token.children if c.dep_ == "prep"):
            for obj in (c for c in prep.children if c.dep_ == "pobj"):
                if obj.idx in by_token and by_token[obj.idx].cls == "Statement":
                    return by_token[obj.idx]
        participle = cue_token.tag_ == "VBG" and cue_token.dep_ in ("ccomp", "advcl", "conj")
        cue_token = cue_token.head if participle and cue_token.head.i != cue_token.i else None
    return None


def _about(content: Span, events: list[Event], actors: list[Actor]) -> tuple[str, ...]:
    inside = [e.id for e in events if not e.implied and any(content.start <= m.start < content.end for m in e.mentions)]
    inside += [a.id for a in actors if any(content.start <= m.start < content.end for m in a.mentions)]
    return tuple(dict.fromkeys(inside))


def _statement(
    statements: dict[tuple[str, str | None], Event],
    assertion: Assertion,
    time: TimeExpr | None,
    labels: dict[str, str],
    status: str,
) -> Event:
    """The Statement event for a claimant on a date, created on first use; undated claims join it."""
    claimant = assertion.claimant or ""
    timex = time.value.timex if time else None
    key = (claimant, timex)
    if timex is None:
        key = next((k for k in statements if k[0] == claimant), key)
    if key not in statements:
        label = f"Statement by {labels.get(claimant, claimant)}"
        statements[key] = Event(
            id=slugify(f"{label} {timex or ''}"),
            cls="Statement",
            label=label,
            status=status,
            trigger=assertion.cue,
            participants=(Participant(claimant, "agent"),),
            time=time,
            mentions=(assertion.cue,),
            cameo=STATEMENT_CAMEO,
        )
    else:
        event = statements[key]
        statements[key] = replace(event, mentions=(*event.mentions, assertion.cue), time=event.time or time)
    return statements[key]
