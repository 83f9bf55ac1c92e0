"""``/timeline`` (HTML) and ``/timeline.json`` (JSON, or TimelineJS3 with ``format=timelinejs``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from markupsafe import escape

from kgservice.errors import InputError
from kgservice.timeline import articles, assertions_for, timeline_events, timelinejs
from kgservice.web import get_store
from kgservice.web.negotiation import link_header

bp = Blueprint("timeline", __name__)

FILTERS = ("actor", "class", "status", "source", "from", "to")
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
    """The filter parameters of the request, dates checked."""
    values = {name: request.args.get(name, "").strip() for name in FILTERS}
    for name in ("from", "to"):
        if values[name]:
            try:
                date.fromisoformat(values[name])
            except ValueError as exc:
                raise InputError(f"`{name}` must be a date like 2018-09-10, not {values[name]!r}") from exc
    return values


def _events(values: dict[str, str]) -> list[dict[str, Any]]:
    return timeline_events(
        get_store(),
        actor=values["actor"] or None,
        cls=values["class"] or None,
        status=values["status"] or None,
        source=values["source"] or None,
        date_from=values["from"] or None,
        date_to=values["to"] or None,
    )


@bp.get("/timeline")
def page() -> Response:
    """The timeline page, server-rendered."""
    values = _filters()
    events = _events(values)
    store = get_store()
    sources = articles(store)
    claims = assertions_for(store, [e["id"] for e in events])
    args: dict[str, Any] = {k: v for k, v in values.items() if v}
    json_url = url_for("timeline.as_json", **args)
    tjs_url = url_for("timeline.as_json", format="timelinejs", **args)
    body = render_template(
        "timeline.html",
        events=events,
        sources=sources,
        claims=claims,
        filters=values,
        statuses=STATUSES,
        classes=CLASSES,
        json_url=json_url,
        tjs_url=tjs_url,
    )
    response = Response(body, mimetype="text/html")
    response.headers["Link"] = link_header([(json_url, "application/json")])
    return response


@bp.get("/timeline.json")
def as_json() -> Response:
    """The timeline as JSON; ``format=timelinejs`` gives TimelineJS3 JSON (dated events only)."""
    events = _events(_filters())
    fmt = request.args.get("format", "")
    if fmt == "timelinejs":
        return jsonify(timelinejs(events, escape=escape))
    if fmt not in {"", "json"}:
        raise InputError(f"unknown format {fmt!r}: use json or timelinejs")
    return jsonify({"events": events})
