"""The timeline: events in chronological order, as each source tells them.

Domain code with no Flask: the web app (``/timeline``, ``/timeline.json``) and the CLI
(``kgservice timeline``) both call :func:`timeline_events`. The data comes from the
queries ``queries/timeline.rq``, ``timeline-participants.rq``, ``who-said-what.rq`` and
``articles.rq``, run by Oxigraph; rows are grouped per event in Python.

One event IRI may be described by several article graphs with different statuses or
times: every source's version is kept in ``statuses`` and the event is ``disputed``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from rdflib import URIRef
from rdflib.query import ResultRow
from rdflib.term import Identifier

from kgservice.evidence import Snippet, snippets_for
from kgservice.resources import load_query
from kgservice.store import GraphStore, named_node

KG_NS = "https://w3id.org/kgservice/ns#"
UNCERTAIN = {"planned", "possible", "hypothetical"}
MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SEASONS = {"SP": "spring", "SU": "summer", "FA": "fall", "AU": "fall", "WI": "winter"}
ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
MAX_VALUES = 2000  # more IRIs than this: fetch every row and keep the wanted ones
ONE_BY_ONE = frozenset({"timeline", "timeline-index"})  # queries that run fastest once per bound IRI


def local_name(iri: str | None) -> str | None:
    """The part of an IRI after its last ``#`` or ``/``."""
    if iri is None:
        return None
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def solutions(store: GraphStore, name: str, **bindings: URIRef) -> list[dict[str, Identifier]]:
    """Run the named query ``queries/<name>.rq`` with variables bound to terms; rows as dicts of RDF terms."""
    result = store.query(load_query(name).text, bindings=bindings or None)
    return [cast(ResultRow, row).asdict() for row in result]


def query_rows(store: GraphStore, name: str, **bindings: URIRef) -> list[dict[str, Any]]:
    """Like :func:`solutions`, with every term as a string (IRIs and literals alike)."""
    return store.rows(load_query(name).text, bindings=bindings or None)


def articles(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Every article by IRI: ``{"id", "type", "title", "published"}``; the title falls back to the body's start.

    Kept until the store changes; do not modify the result.
    """
    return store.memo("articles", lambda: _read_articles(store))


def _read_articles(store: GraphStore) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in query_rows(store, "articles"):
        title = row.get("headline") or _opening(row.get("opening"))
        found[row["article"]] = {
            "id": row["article"],
            "type": local_name(row["type"]),
            "title": title or local_name(row["article"]),
            "published": row.get("published"),
        }
    return found


def _opening(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) < 80 else text[:79].rstrip() + "…"


def _source_version(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": row["graph"],
        "status": local_name(row["status"]),
        "timex": row.get("timex"),
        "earliest": row.get("earliest"),
        "latest": row.get("latest"),
        "text": row.get("timeText"),
        "precision": row.get("precision"),
    }


def _group_events(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = {}
    for row in rows:
        event = events.setdefault(
            row["event"],
            {
                "id": row["event"],
                "label": row.get("label"),
                "class": local_name(row["cls"]),
                "place": None,
                "participants": [],
                "sources": [],
                "assertions": [],
                "statuses": [],
            },
        )
        if row.get("place") and not event["place"]:
            event["place"] = {"id": row["place"], "label": row.get("placeLabel") or local_name(row["place"])}
        event["label"] = event["label"] or row.get("label")
        version = _source_version(row)
        if version not in event["statuses"]:
            event["statuses"].append(version)
        if row["graph"] not in event["sources"]:
            event["sources"].append(row["graph"])
    return events


def _settle(event: dict[str, Any], published: dict[str, str | None]) -> None:
    """Pick the newest source's version for the top-level fields; mark disagreements."""
    versions = sorted(event["statuses"], key=lambda v: (published.get(v["source"]) or "", v["source"]))
    chosen = versions[-1]
    for key in ("status", "earliest", "latest", "timex", "precision"):
        event[key] = chosen[key]
    event["time_text"] = chosen["text"]
    keys = {(v["status"], v["earliest"], v["latest"], v["timex"]) for v in versions}
    event["disputed"] = len(keys) > 1
    event["label"] = event["label"] or local_name(event["id"])
    event["date"] = display_date(event)


def _restricted_rows(store: GraphStore, name: str, var: str, iris: Iterable[str]) -> list[dict[str, Any]]:
    """Rows of a named query for some IRIs only; all rows, filtered here, when there are very many.

    Oxigraph plans each query shape differently: the ``GRAPH ?graph { … OPTIONAL … }``
    timeline queries run fastest once per IRI with the variable bound (0.3 ms each on 10k
    events, where a VALUES block of 100 took 300 ms); the others with one VALUES block
    (a bound variable there can miss the indexes and take 100 ms per IRI).
    """
    wanted = sorted(set(iris))
    if not wanted:
        return []
    if len(wanted) > MAX_VALUES:
        keep = set(wanted)
        return [row for row in query_rows(store, name) if row[var] in keep]
    if name in ONE_BY_ONE:
        return [row for iri in wanted for row in query_rows(store, name, **{var: URIRef(iri)})]
    return store.rows(load_query(name).restricted(var, wanted))


def _attach_participants(store: GraphStore, events: dict[str, dict[str, Any]]) -> None:
    for row in _restricted_rows(store, "timeline-participants", "event", events):
        event = events.get(row["event"])
        if event is None:
            continue
        entry = {"id": row["actor"], "label": row.get("actorLabel") or local_name(row["actor"]), "role": row["role"]}
        if not any(p["id"] == entry["id"] and p["role"] == entry["role"] for p in event["participants"]):
            event["participants"].append(entry)


def assertions_for(
    store: GraphStore, event_iris: Iterable[str] | None = None, evidence: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """Assertions about (``kg:about``) or made during (``kg:statedIn``) events, by event IRI.

    With ``evidence``, each carries ``evidence``: the sentence it was read from, cut
    around its span (:class:`kgservice.evidence.Snippet`), and ``quote``, the content's
    place in that span.
    """
    rows = (
        query_rows(store, "who-said-what")
        if event_iris is None
        else _restricted_rows(store, "who-said-what", "event", event_iris)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        items = found.setdefault(row["event"], [])
        if any(a["id"] == row["assertion"] for a in items):
            continue
        items.append(
            {
                "id": row["assertion"],
                "claimant": row["claimant"],
                "claimant_label": row.get("claimantLabel") or local_name(row["claimant"]),
                "cue": row.get("cue"),
                "content": row["content"],
                "direct": row.get("direct") == "true",
                "stated_on": row.get("statedOn"),
                "source": row["article"],
            }
        )
    if evidence:
        snippets = snippets_for(store, (a["id"] for items in found.values() for a in items))
        for items in found.values():
            for claim in items:
                claim["evidence"] = _evidence(claim, snippets.get(claim["id"], []))
    return found


def _evidence(claim: dict[str, Any], snippets: list[Snippet]) -> dict[str, str] | None:
    """The claim's sentence in three parts around its content (the words to highlight)."""
    if not snippets:
        return None
    snippet = snippets[0]
    sentence = snippet.before + snippet.mark + snippet.after
    at = sentence.find(claim["content"])
    if at < 0:
        at, length = len(snippet.before), len(snippet.mark)
    else:
        length = len(claim["content"])
    return {"before": sentence[:at], "quote": sentence[at : at + length], "after": sentence[at + length :]}


def sort_key(event: dict[str, Any]) -> tuple[int, str, str, str]:
    """Chronological: by earliest (or latest when only that is known), then latest; undated last."""
    first = event.get("earliest") or event.get("latest")
    if first is None:
        return (1, "", "", event.get("label") or "")
    return (0, first, event.get("latest") or first, event.get("label") or "")


@dataclass
class TimelinePage:
    """One page of the timeline: its events (with participants and claims) and where it sits in the whole."""

    events: list[dict[str, Any]]
    claims: dict[str, list[dict[str, Any]]]
    total: int
    page: int
    per_page: int
    span: tuple[str | None, str | None] = (None, None)  # the earliest and latest date of all matching events

    @property
    def pages(self) -> int:
        """How many pages the matching events fill."""
        return max(1, -(-self.total // self.per_page))


def _matching(
    store: GraphStore,
    actor: str | None,
    cls: str | None,
    status: str | None,
    source: str | None,
    date_from: str | None,
    date_to: str | None,
    event: str | None = None,
    index: bool = False,
) -> list[dict[str, Any]]:
    """Every matching event, settled and sorted, without participants or assertions yet.

    An actor, source or single event narrows the candidates first, so their rows are the
    only ones fetched; every source's version of a candidate is still read. With
    ``index``, only what sorting and filtering need is read (no labels, places or TIMEX):
    :func:`_detailed` completes the events that are shown.
    """
    for name, value in (("actor", actor), ("source", source)):
        if value and _is_iri(value):
            named_node(value, name)  # a value that is not an IRI is refused here, before any query
    candidates: set[str] | None = {event} if event else None
    if actor:
        candidates = _narrow(candidates, _involving(store, actor))
    if source and _is_iri(source):
        candidates = _narrow(
            candidates, {row["event"] for row in query_rows(store, "timeline-index", graph=URIRef(source))}
        )
    name = "timeline-index" if index else "timeline"
    if candidates is None and index:
        events = store.memo("timeline-index", lambda: _settled(store, query_rows(store, name)))
    elif candidates is None:
        events = _settled(store, query_rows(store, name))
    else:
        events = _settled(store, _restricted_rows(store, name, "event", candidates))
    chosen = [e for e in events.values() if _matches(e, cls, status, source, date_from, date_to)]
    return sorted(chosen, key=sort_key)


def _settled(store: GraphStore, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows grouped per event, each settled on its newest source's version."""
    events = _group_events(rows)
    published = _published(store)
    for item in events.values():
        _settle(item, published)
    return events


def _published(store: GraphStore) -> dict[str, str | None]:
    return {iri: a["published"] for iri, a in articles(store).items()}


def _detailed(store: GraphStore, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same events, in the same order, read afresh with every detail (labels, places, TIMEX)."""
    found = _settled(store, _restricted_rows(store, "timeline", "event", (e["id"] for e in events)))
    return [found.get(e["id"]) or copy.deepcopy(e) for e in events]


def _narrow(candidates: set[str] | None, more: set[str]) -> set[str]:
    return more if candidates is None else candidates & more


def _is_iri(value: str) -> bool:
    return value.startswith(("http://", "https://", "urn:"))


def _involving(store: GraphStore, actor: str) -> set[str]:
    """Events the actor (an IRI, or part of a name) takes part in or makes a claim about."""
    if _is_iri(actor):
        actors = {actor}
    else:
        actors = {row["actor"] for row in query_rows(store, "actors-by-label") if _actor_matches(row, actor)}
    return {row["event"] for row in _restricted_rows(store, "event-actors", "actor", actors)}


def timeline_events(
    store: GraphStore,
    actor: str | None = None,
    cls: str | None = None,
    status: str | None = None,
    source: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    event: str | None = None,
) -> list[dict[str, Any]]:
    """Events in chronological order, in the ``/timeline.json`` shape, filtered by the given criteria.

    ``actor`` matches an actor IRI or, case-insensitively, part of an actor's label, among
    the participants and the claimants of assertions about the event; ``cls`` and
    ``status`` a local name (``Meeting``, ``planned``) or an IRI; ``source`` an article IRI
    or its slug; ``date_from``/``date_to`` (ISO dates) keep dated events whose bounds
    overlap the range; ``event`` (an IRI) keeps that one event.
    """
    chosen = _matching(store, actor, cls, status, source, date_from, date_to, event)
    _complete(store, chosen)
    return chosen


def timeline_page(
    store: GraphStore,
    page: int = 1,
    per_page: int = 100,
    actor: str | None = None,
    cls: str | None = None,
    status: str | None = None,
    source: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> TimelinePage:
    """One page of :func:`timeline_events`, with the claims about its events and their evidence.

    Participants and claims are fetched for the page's events only, so a page costs the
    same on a store of ten events or of ten thousand. With an ``actor`` filter, only that
    actor's claims are kept (``hidden_claims`` counts the others).
    """
    chosen = _matching(store, actor, cls, status, source, date_from, date_to, index=True)
    dated: list[str] = [e.get("earliest") or e["latest"] for e in chosen if e.get("earliest") or e.get("latest")]
    ends: list[str] = [e.get("latest") or e["earliest"] for e in chosen if e.get("earliest") or e.get("latest")]
    window = _detailed(store, chosen[(page - 1) * per_page : page * per_page])
    _complete(store, window)
    claims = assertions_for(store, [e["id"] for e in window], evidence=True)
    if actor:
        for event in window:
            mine = [c for c in claims.get(event["id"], []) if _actor_matches(_claimant(c), actor)]
            event["hidden_claims"] = len(claims.get(event["id"], [])) - len(mine)
            claims[event["id"]] = mine
    span = (min(dated) if dated else None, max(ends) if ends else None)
    return TimelinePage(window, claims, len(chosen), page, per_page, span)


def _claimant(claim: dict[str, Any]) -> dict[str, Any]:
    return {"actor": claim["claimant"], "actorLabel": claim["claimant_label"]}


def _complete(store: GraphStore, events: list[dict[str, Any]]) -> None:
    """Add participants and the ids of the assertions about them to ``events``."""
    by_id = {e["id"]: e for e in events}
    _attach_participants(store, by_id)
    for row in _restricted_rows(store, "event-assertions", "event", by_id):
        event = by_id.get(row["event"])
        if event is not None and row["assertion"] not in event["assertions"]:
            event["assertions"].append(row["assertion"])


def _matches(
    event: dict[str, Any],
    cls: str | None,
    status: str | None,
    source: str | None,
    date_from: str | None,
    date_to: str | None,
) -> bool:
    if cls and _norm(cls) != _norm(event["class"]):
        return False
    if status and _norm(status) not in {_norm(v["status"]) for v in event["statuses"]}:
        return False
    if source and not any(s == source or local_name(s) == source for s in event["sources"]):
        return False
    return _in_range(event, date_from, date_to)


def _norm(value: str | None) -> str:
    return (local_name(value.strip()) or "").removeprefix("kg:").lower() if value else ""


def _actor_matches(row: dict[str, Any], actor: str) -> bool:
    """Whether a row's ``actor`` (with ``actorLabel``) is the actor named by IRI, slug or part of a label."""
    if row["actor"] == actor or local_name(row["actor"]) == actor:
        return True
    return actor.strip().lower() in (row.get("actorLabel") or "").lower()


def _in_range(event: dict[str, Any], date_from: str | None, date_to: str | None) -> bool:
    if not date_from and not date_to:
        return True
    first = event.get("earliest") or event.get("latest")
    last = event.get("latest") or event.get("earliest")
    if first is None or last is None:
        return False
    if date_from and last < date_from:
        return False
    return not (date_to and first > date_to)


# -- dates as words ------------------------------------------------------------------------


def _day(iso: str) -> str:
    d = date.fromisoformat(iso[:10])
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def _by_precision(precision: str | None, timex: str | None, earliest: str) -> str | None:
    d = date.fromisoformat(earliest[:10])
    if precision == "day":
        return _day(earliest)
    if precision == "week":
        return f"week of {_day(earliest)}"
    if precision == "month":
        return f"{MONTH_NAMES[d.month - 1]} {d.year}"
    if precision == "season" and timex and timex[-2:] in SEASONS:
        return f"{SEASONS[timex[-2:]]} {timex[:4]}"
    if precision in {"quarter", "half"} and timex and timex[-1:] in ORDINALS:
        return f"{ORDINALS[timex[-1]]} {precision} of {timex[:4]}"
    if precision == "year":
        return str(d.year)
    if precision == "decade":
        return f"the {d.year // 10 * 10}s"
    if precision == "century":
        return f"the {d.year // 100 + 1}th century"
    return None


def display_date(event: dict[str, Any]) -> str:
    """The event's date in words, as precise as it is known.

    "Sept. 10, 2018", "summer 2018", "by Aug. 22, 2018" (only a latest bound),
    "planned, date unknown" (an undated planned event).
    """
    earliest, latest = event.get("earliest"), event.get("latest")
    if earliest:
        words = _by_precision(event.get("precision"), event.get("timex"), earliest)
        if words:
            return words
        if not latest or latest == earliest:
            return _day(earliest) if latest else f"after {_day(earliest)}"
        return f"between {_day(earliest)} and {_day(latest)}"
    if latest:
        return f"by {_day(latest)}"
    status = (event.get("status") or "").lower()
    return f"{status}, date unknown" if status in UNCERTAIN else "date unknown"


def timelinejs(events: Iterable[dict[str, Any]], escape: Any = None) -> dict[str, Any]:
    """TimelineJS3 JSON for the dated events (TimelineJS needs a start date; undated ones are left out).

    ``escape`` turns text into safe HTML (TimelineJS renders ``text`` as HTML).
    """
    escape = escape or _html_escape
    items, skipped = [], 0
    for event in events:
        start = event.get("earliest") or event.get("latest")
        if start is None:
            skipped += 1
            continue
        items.append(_timelinejs_event(event, start, escape))
    return {"events": items, "omitted_undated": skipped}


def _tjs_date(iso: str, display: str, precision: str | None) -> dict[str, Any]:
    d = date.fromisoformat(iso[:10])
    out: dict[str, Any] = {"year": d.year, "display_date": display}
    if precision not in {"year", "decade", "century"}:
        out["month"] = d.month
    if precision in {None, "day", "week"}:
        out["day"] = d.day
    return out


def _timelinejs_event(event: dict[str, Any], start: str, escape: Any) -> dict[str, Any]:
    words = event["date"]
    status = event.get("status") or "unknown"
    people = ", ".join(p["label"] for p in event["participants"])
    text = f"<p>Status: {escape(status)}{' (sources disagree)' if event['disputed'] else ''}</p>"
    if people:
        text += f"<p>Participants: {escape(people)}</p>"
    item: dict[str, Any] = {
        "start_date": _tjs_date(start, words, event.get("precision")),
        "text": {"headline": str(escape(event["label"])), "text": text},
        "group": event.get("class"),
        "unique_id": local_name(event["id"]),
    }
    latest = event.get("latest")
    if event.get("earliest") and latest and latest != event["earliest"]:
        item["end_date"] = _tjs_date(latest, words, event.get("precision"))
    return item


def _html_escape(text: str) -> str:
    import html

    return html.escape(str(text))
