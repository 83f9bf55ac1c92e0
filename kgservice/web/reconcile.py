"""``/reconcile``: the Reconciliation Service API (0.2, as OpenRefine speaks it) over actors and events.

- ``GET /reconcile`` without queries: the service manifest (JSONP with ``callback=``);
- ``GET|POST /reconcile`` with ``queries=`` (a JSON object of queries, 0.2) or ``query=``
  (one query, 0.1), or a POST of ``{"queries": [...]}`` as JSON (the 1.0 draft's batch):
  candidates from :mod:`kgservice.matching`;
- ``/reconcile/preview?id=…``: an HTML card of one entity;
- ``/reconcile/suggest/{entity,type,property}?prefix=…``: auto-completion.

Ids are local to the identifier space ``<KG_BASE_URI>id/`` ("actor/kim-jong-un"), so that
the ``view`` template ``<KG_BASE_URI>id/{{id}}`` is the entity's IRI and its page. Every
input error is a 400 with a JSON message; nothing here writes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from kgservice.errors import InputError, KGError, NotFound
from kgservice.evidence import snippets_for
from kgservice.matching import (
    KG,
    MAX_TEXT,
    CandidateIndex,
    EntityType,
    NameQuery,
    PropertyValue,
    answer,
    entity_types,
    find_property,
    find_type,
    suggest_entities,
    suggest_properties,
    suggest_types,
)
from kgservice.web import get_store, settings

bp = Blueprint("reconcile", __name__)

MAX_QUERIES = 100  # queries in one request
MAX_LIMIT = 100  # candidates per query, suggestions per request
DEFAULT_LIMIT = 10
PREVIEW_SIZE = (400, 220)  # the preview iframe, in pixels
PREVIEW_SNIPPETS = 2
WHOLE = re.compile(r"\s*[0-9]{1,9}\s*")  # ASCII digits: str.isdigit() also takes "²", which int() refuses
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
_STRICTNESS = ("any", "all", "should")


# -- routes --------------------------------------------------------------------------------


@bp.route("/reconcile", methods=["GET", "POST"])
def service() -> Response:
    """The manifest, or the answers to the queries of the request."""
    if request.method == "POST" and request.is_json:
        return _json({"results": [{"candidates": _answer(q)} for q in _draft_queries(_json_batch())]})
    if (raw := request.values.get("queries")) is not None:
        queries = _parse_batch(raw)
        return _json({key: {"result": _answer(query)} for key, query in queries.items()})
    if (single := request.values.get("query")) is not None:
        return _json({"result": _answer(_parse_single(single))})
    return _json(manifest())


@bp.get("/reconcile/preview")
def preview() -> Response:
    """A small HTML card of one entity (``id``: a local id or an IRI)."""
    wanted = _required("id")
    candidate = _index().get(wanted)
    if candidate is None:
        raise NotFound(f"no actor or event has the id {wanted!r}")
    snippets = snippets_for(get_store(), [candidate.iri]).get(candidate.iri, [])[:PREVIEW_SNIPPETS]
    body = render_template("reconcile_preview.html", candidate=candidate, snippets=snippets)
    return Response(body, mimetype="text/html")


@bp.get("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    """Actors and events whose name (or a word of it) starts with ``prefix``."""
    types = tuple(find_type(t) for t in _type_names(request.args.get("type")))
    found = suggest_entities(_index(), _required("prefix"), types, _limit(), _cursor())
    result = [
        {"id": c.id, "name": c.name, "description": c.description(), "notable": [t.as_json() for t in c.types]}
        for c in found
    ]
    return _json({"result": result})


@bp.get("/reconcile/suggest/type")
def suggest_type() -> Response:
    """Types whose id or name has a word starting with ``prefix``."""
    start = _cursor()
    found = suggest_types(_prefix(), MAX_LIMIT)[start : start + _limit()]
    return _json({"result": [t.as_json() for t in found]})


@bp.get("/reconcile/suggest/property")
def suggest_property() -> Response:
    """Properties (``role``, ``place``, ``participant``) whose name has a word starting with ``prefix``."""
    start = _cursor()
    return _json({"result": suggest_properties(_prefix(), MAX_LIMIT)[start : start + _limit()]})


@bp.errorhandler(KGError)
def _kg_error(exc: KGError) -> Response:
    return _error(exc.status, type(exc).__name__, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _error(exc.code or 500, exc.name, exc.description or "")


# -- the manifest --------------------------------------------------------------------------


def manifest() -> dict[str, Any]:
    """The service manifest: identifier and schema spaces, view, preview, suggest, default types."""
    base = settings().base_uri
    here = request.url_root.rstrip("/")
    suggest = {
        kind: {"service_url": here, "service_path": url_for(f"reconcile.suggest_{kind}")}
        for kind in ("entity", "type", "property")
    }
    width, height = PREVIEW_SIZE
    return {
        "versions": ["0.2"],
        "name": "kgservice: actors and events of the news graph",
        "identifierSpace": f"{base}id/",
        "schemaSpace": KG,
        "view": {"url": f"{base}id/{{{{id}}}}"},
        "preview": {
            "url": url_for("reconcile.preview", _external=True) + "?id={{id}}",
            "width": width,
            "height": height,
        },
        "suggest": suggest,
        "defaultTypes": [t.as_json() for t in entity_types()],
    }


# -- reading queries -----------------------------------------------------------------------


def _parse_batch(raw: str) -> dict[str, NameQuery]:
    """``queries=``: a JSON object of named queries (0.2)."""
    data = _load_json(raw, "queries")
    if not isinstance(data, dict):
        raise InputError('`queries` must be a JSON object of named queries, e.g. {"q0": {"query": "Ada Lovelace"}}')
    _check_count(len(data))
    return {str(key): _parse_query(str(key), value) for key, value in data.items()}


def _parse_single(raw: str) -> NameQuery:
    """``query=``: one query, as a JSON object or plain text (0.1)."""
    if raw.lstrip().startswith("{"):
        return _parse_query("query", _load_json(raw, "query"))
    return _parse_query("query", {"query": raw})


def _json_batch() -> Any:
    """The ``queries`` of a JSON POST (the 1.0 draft's batch)."""
    batch = request.get_json(silent=True)
    if not isinstance(batch, dict) or "queries" not in batch:
        raise InputError('a JSON POST to /reconcile is a batch: {"queries": [{"query": "..."}, ...]}')
    return batch["queries"]


def _draft_queries(raw: Any) -> list[NameQuery]:
    """The 1.0 draft's ``{"queries": [...]}``: the name is ``query``, or a property without ``pid``,
    or a condition of ``matchType`` "name"; the other properties and conditions are properties."""
    if not isinstance(raw, list):
        raise InputError("`queries` must be a JSON array of queries")
    _check_count(len(raw))
    return [_parse_query(f"queries[{n}]", _from_draft(f"queries[{n}]", q)) for n, q in enumerate(raw)]


def _from_draft(where: str, query: Any) -> dict[str, Any]:
    """One 1.0 draft query in the 0.2 shape."""
    if not isinstance(query, dict):
        raise InputError(f"{where} must be a JSON object")
    converted = {k: v for k, v in query.items() if k not in ("properties", "conditions")}
    properties = []
    for item in [*_as_list(query.get("properties")), *_as_list(query.get("conditions"))]:
        if not isinstance(item, dict):
            raise InputError(f"{where}: each property or condition must be a JSON object")
        pid = item.get("pid", item.get("propertyId"))
        value = item.get("v", item.get("propertyValue"))
        if item.get("matchType") == "name" or (pid is None and "matchType" not in item):
            converted.setdefault("query", value)
        else:
            properties.append({"pid": pid, "v": value})
    converted["properties"] = properties
    return converted


def _parse_query(where: str, query: Any) -> NameQuery:
    """One query object (``query``, ``type``, ``type_strict``, ``limit``, ``properties``), checked."""
    if not isinstance(query, dict):
        raise InputError(f"{where} must be a JSON object with a `query` string")
    text = query.get("query", "")
    if not isinstance(text, str):
        raise InputError(f"{where}: `query` must be a string")
    if len(text) > MAX_TEXT:
        raise InputError(f"{where}: `query` is longer than {MAX_TEXT} characters")
    strict = query.get("type_strict", "any")
    if strict not in _STRICTNESS:
        raise InputError(f"{where}: `type_strict` must be one of {', '.join(_STRICTNESS)}")
    return NameQuery(
        text=text,
        types=_types(where, query.get("type")),
        type_strict=strict,
        limit=_checked_limit(where, query.get("limit", DEFAULT_LIMIT)),
        properties=tuple(_property(where, p) for p in _as_list(query.get("properties"))),
    )


def _types(where: str, raw: Any) -> tuple[EntityType, ...]:
    if raw is None or raw == "":
        return ()
    names = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(n, str) for n in names):
        raise InputError(f"{where}: `type` must be a type id or a list of them")
    try:
        return tuple(find_type(n) for n in names)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from exc


def _property(where: str, raw: Any) -> PropertyValue:
    """A ``{"pid", "v"}`` property; ``v`` is text, a number, ``{"id"}``/``{"name"}``, or a list of these."""
    if not isinstance(raw, dict) or not isinstance(raw.get("pid"), str):
        raise InputError(f'{where}: each property must be an object like {{"pid": "role", "v": "secretary of state"}}')
    values = []
    for value in _as_list(raw.get("v")):
        if isinstance(value, dict):
            value = value.get("id", value.get("name"))
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"{where}: property {raw['pid']!r} has a value that is not text, a number or an id")
        if len(str(value)) > MAX_TEXT:
            raise InputError(f"{where}: a value of property {raw['pid']!r} is longer than {MAX_TEXT} characters")
        values.append(str(value))
    try:
        return PropertyValue(find_property(raw["pid"]), tuple(values))
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from exc


def _checked_limit(where: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not WHOLE.fullmatch(str(raw)):
        raise InputError(f"{where}: `limit` must be a whole number from 1 to {MAX_LIMIT}")
    limit = int(raw)
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"{where}: `limit` must be from 1 to {MAX_LIMIT}, not {limit}")
    return limit


def _check_count(count: int) -> None:
    if count > MAX_QUERIES:
        raise InputError(f"too many queries in one request: {count}; send at most {MAX_QUERIES} at a time")


def _load_json(raw: str, name: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InputError(f"`{name}` is not valid JSON: {exc}") from exc


def _as_list(raw: Any) -> list[Any]:
    if raw is None:
        return []
    return raw if isinstance(raw, list) else [raw]


def _type_names(raw: str | None) -> list[str]:
    """``type=`` of suggest: one id, or a JSON list of them."""
    if not raw:
        return []
    if raw.lstrip().startswith("["):
        names = _load_json(raw, "type")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError("`type` must be a type id or a JSON list of them")
        return names
    return [raw]


def _required(name: str) -> str:
    value = request.args.get(name, "")
    if not value.strip():
        raise InputError(f"the `{name}` parameter is required")
    if len(value) > MAX_TEXT:
        raise InputError(f"`{name}` is longer than {MAX_TEXT} characters")
    return value


def _prefix() -> str:
    """``prefix`` of type and property suggestions (may be empty: all of them)."""
    value = request.args.get("prefix", "")
    if len(value) > MAX_TEXT:
        raise InputError(f"`prefix` is longer than {MAX_TEXT} characters")
    return value


def _limit() -> int:
    return _checked_limit("the request", request.args.get("limit", DEFAULT_LIMIT))


def _cursor() -> int:
    raw = request.args.get("cursor", "0")
    if not WHOLE.fullmatch(raw):
        raise InputError("`cursor` must be a whole number (the offset of the first suggestion)")
    return int(raw)


# -- answering -----------------------------------------------------------------------------


def _index() -> CandidateIndex:
    return CandidateIndex.of_store(get_store(), settings().base_uri)


def _answer(query: NameQuery) -> list[dict[str, object]]:
    return [scored.as_json() for scored in answer(_index(), query)]


def _json(data: Any, status: int = 200) -> Response:
    """JSON, or JSONP when the request names a ``callback``."""
    text = json.dumps(data, ensure_ascii=False)
    callback = request.args.get("callback")
    if callback is None:
        return Response(text, status=status, mimetype="application/json")
    if not CALLBACK.match(callback) or len(callback) > 100:
        raise InputError("`callback` must be a JavaScript function name (letters, digits, _, $ and dots)")
    return Response(f"/**/{callback}({text});", status=status, mimetype="application/javascript")


def _error(status: int, title: str, message: str) -> Response:
    """Errors of this service are JSON, whatever the request accepts."""
    body: dict[str, object] = {"error": title, "message": message, "status": status}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
