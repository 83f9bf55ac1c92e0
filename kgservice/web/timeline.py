"""``/timeline`` (HTML) and ``/timeline.json`` (JSON, or TimelineJS3 with ``format=timelinejs``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from markupsafe import escape

from kgservice.errors import InputError
from kgservice.timeline import TimelinePage, articles, local_name, timeline_events, timeline_page, timelinejs
from kgservice.web import get_store
from kgservice.web.negotiation import link_header

bp = Blueprint("timeline", __name__)

FILTERS = ("actor", "class", "status", "source", "from", "to")
PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 100, 500, 10**6
WHOLE = re.compile(r"[0-9]{1,7}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FORMATS = ("json", "timelinejs")
STATUSES = ("Occurred", "Ongoing", "Planned", "Possible", "Hypothetical", "Denied")
CLASSES = (
    "Meeting",
    "Statement",
    "Communication",
    "Visit",
    "Parade",
    "Demonstration",
    "Agreement",
    "MilitaryAction",
    "Test",
    "Occurrence",
)


def _filters() -> dict[str, str]:
    """The filter parameters of the request, checked: a 400 names the parameter and its valid values."""
    values = {name: request.args.get(name, "") for name in FILTERS}
    values.update({name: values[name].strip() for name in ("actor", "source")})  # names and ids, as pasted
    for name in ("from", "to"):
        if values[name] and not _is_day(values[name]):
            raise InputError(f"`{name}` must be a date like 2018-09-10, not {values[name]!r}")
    for name, choices in (("class", CLASSES), ("status", STATUSES)):
        if values[name] and _term(values[name]) not in {c.lower() for c in choices}:
            raise InputError(f"unknown {name} {values[name]!r}; the {name} values are {', '.join(choices)}")
    return values


def _is_day(value: str) -> bool:
    """An ISO calendar date written out (``2018-09-10``), and a real day."""
    if not DAY.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _term(value: str) -> str:
    """A class or status as the filter compares it: ``Meeting``, ``kg:Meeting`` and the IRI are one."""
    return (local_name(value) or "").removeprefix("kg:").lower()


def _criteria(values: dict[str, str]) -> dict[str, str | None]:
    return {
        "actor": values["actor"] or None,
        "cls": values["class"] or None,
        "status": values["status"] or None,
        "source": values["source"] or None,
        "date_from": values["from"] or None,
        "date_to": values["to"] or None,
    }


def _paging() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1 to MAX_PER_PAGE), checked."""
    numbers = []
    for name, default, top in (("page", 1, MAX_PAGE), ("per_page", PER_PAGE, MAX_PER_PAGE)):
        raw = request.args.get(name, "").strip() or str(default)
        if not WHOLE.fullmatch(raw) or not 1 <= int(raw) <= top:
            raise InputError(f"`{name}` must be a whole number from 1 to {top}, not {raw!r}")
        numbers.append(int(raw))
    return numbers[0], numbers[1]


@bp.get("/timeline")
def page() -> Response:
    """The timeline page, server-rendered; a ``X-KG-Fragment: events`` request gets the events section only."""
    values = _filters()
    number, per_page = _paging()
    store = get_store()
    window = timeline_page(store, page=number, per_page=per_page, **_criteria(values))
    args: dict[str, Any] = {k: v for k, v in values.items() if v}
    json_url = url_for("timeline.as_json", **args)
    context = {
        "window": window,
        "events": window.events,
        "claims": window.claims,
        "sources": articles(store),
        "filters": values,
        "statuses": STATUSES,
        "classes": CLASSES,
        "json_url": json_url,
        "tjs_url": url_for("timeline.as_json", format="timelinejs", **args),
        "page_url": lambda n: url_for("timeline.page", **args, **_page_args(n, per_page)),
        "axis": _axis(window),
    }
    fragment = request.headers.get("X-KG-Fragment") == "events"
    body = render_template("_timeline_events.html" if fragment else "timeline.html", **context)
    response = Response(body, mimetype="text/html")
    response.headers["Link"] = link_header([(json_url, "application/json")])
    response.vary.add("X-KG-Fragment")
    return response


def _page_args(number: int, per_page: int) -> dict[str, Any]:
    """``page`` (and ``per_page`` when it is not the default) for a pager link."""
    return {"page": number, **({"per_page": per_page} if per_page != PER_PAGE else {})}


def _axis(window: TimelinePage) -> dict[str, Any]:
    """What the axis script draws: the page's events with their bounds and status, and the span of all."""
    return {
        "span": window.span,
        "events": [
            {
                "id": local_name(e["id"]),
                "label": e["label"],
                "status": (e.get("status") or "unknown").lower(),
                "earliest": e.get("earliest"),
                "latest": e.get("latest"),
                "date": e["date"],
                "disputed": e["disputed"],
            }
            for e in window.events
        ],
    }


@bp.get("/timeline.json")
def as_json() -> Response:
    """The timeline as JSON; ``format=timelinejs`` gives TimelineJS3 JSON (dated events only)."""
    fmt = request.args.get("format", "")
    if fmt not in {"", *FORMATS}:
        raise InputError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")
    events = timeline_events(get_store(), **_criteria(_filters()))
    if fmt == "timelinejs":
        return jsonify(timelinejs(events, escape=escape))
    return jsonify({"events": events})
