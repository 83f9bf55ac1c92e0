"""``/openapi.json``: an OpenAPI 3.1 description of the HTTP interface.

The document is built from the same constants the routes check their input against
(filter values, formats, limits), so it cannot drift from them silently; a test checks
that every documented path is a route and every public GET route is documented, and
the service is fuzzed against it (``tests/test_fuzz_http.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from kgservice import __version__
from kgservice import export as dumps
from kgservice.web import FALSE, TRUE, reconcile, timeline
from kgservice.web import negotiation as neg
from kgservice.web.articles import ARTICLE_FIELDS, ARTICLE_TYPES
from kgservice.web.linkeddata import KINDS
from kgservice.web.sparql import DATASET_PARAMETERS

bp = Blueprint("openapi", __name__)

JSON = "application/json"
HTML = "text/html"
ERROR_TYPES = (JSON, HTML)  # errors follow Accept (reconciliation errors are always JSON)

Schema = dict[str, Any]


@bp.get("/openapi.json")
def document() -> Response:
    """The OpenAPI 3.1 document of this service."""
    return jsonify(openapi(current_app.config["KG"].max_update_bytes))


def openapi(max_body_bytes: int) -> dict[str, Any]:
    """The whole document (``max_body_bytes``: the largest request body a write route reads)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kgservice",
            "version": __version__,
            "summary": "An event-timeline knowledge graph of news articles.",
            "description": "Timeline, linked data, SPARQL 1.1 Protocol, dumps, dataset description, "
            "reconciliation, and writes with a bearer token. Errors are JSON "
            '(`{"error", "message", "status"}`) or HTML, as `Accept` prefers.',
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": {**_read_paths(), **_sparql_paths(max_body_bytes), **_write_paths(max_body_bytes)},
        "components": {
            "schemas": {"Error": _ERROR, "Event": _EVENT, "Candidate": _CANDIDATE, "Article": _ARTICLE_INPUT},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "KG_API_TOKEN"}},
        },
    }


# -- building blocks ------------------------------------------------------------------------

_ERROR: Schema = {
    "type": "object",
    "required": ["error", "message", "status"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "status": {"type": "integer"}},
}
_EVENT: Schema = {
    "type": "object",
    "required": ["id", "label", "class", "status", "earliest", "latest", "participants", "sources", "assertions"],
    "properties": {
        "id": {"type": "string"},
        "label": {"type": "string"},
        "class": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"]},
        "earliest": {"type": ["string", "null"], "format": "date"},
        "latest": {"type": ["string", "null"], "format": "date"},
        "timex": {"type": ["string", "null"]},
        "precision": {"type": ["string", "null"]},
        "place": {"type": ["object", "null"]},
        "participants": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}, "label": {"type": ["string", "null"]}},
            },
        },
        "sources": {"type": "array", "items": {"type": "string"}},
        "assertions": {"type": "array", "items": {"type": "string"}},
        "disputed": {"type": "boolean"},
        "date": {"type": "string", "description": "the date in words, with its precision"},
    },
}
_CANDIDATE: Schema = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "score": {"type": "number"},
        "match": {"type": "boolean"},
    },
}
_ARTICLE_INPUT: Schema = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "pattern": r"\S", "description": "the body; with a title, kept verbatim"},
        **{name: {"type": ["string", "null"]} for name in ARTICLE_FIELDS},
        "author": {"anyOf": [{"type": ["string", "null"]}, {"type": "array", "items": {"type": "string"}}]},
        "id": {"type": ["string", "integer", "null"]},
    },
}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, where: str = "query", required: bool = False, **schema: Any) -> Schema:
    description = schema.pop("description", None)
    schema.setdefault("type", "string")
    param: Schema = {"name": name, "in": where, "required": required or where == "path", "schema": schema}
    if description:
        param["description"] = description
    return param


def _strings(name: str, description: str) -> Schema:
    """A query parameter that may repeat."""
    return _param(name, type="array", items={"type": "string"}, description=description)


def _content(media_types: tuple[str, ...] | list[str], schema: Schema | None = None) -> Schema:
    return {media: {"schema": schema} if schema else {} for media in media_types}


def _ok(description: str, media_types: tuple[str, ...] | list[str], schema: Schema | None = None) -> Schema:
    return {"description": description, "content": _content(media_types, schema)}


def _errors(*codes: int, json_only: bool = False) -> dict[str, Schema]:
    reasons = {
        400: "the request is malformed; the message says which parameter and why (or, from gunicorn, "
        "the request line is over 4 KiB: send long input in a POST)",
        401: "no `Authorization: Bearer` header",
        403: "a wrong token, or writes are off (no KG_API_TOKEN)",
        404: "no such resource",
        406: "no representation fits `Accept` (or `format`)",
        413: "the request, query or article is larger than the limit",
        415: "a media type or charset this route does not read",
        503: "the time limit was reached, or the store or extraction process is unavailable",
    }
    return {
        str(code): {
            "description": reasons[code],
            # gunicorn itself refuses a request line over 4 KiB, with a 400 in HTML
            "content": _content((JSON,) if json_only and code != 400 else ERROR_TYPES, _ref("Error")),
        }
        for code in codes
    }


def _get(summary: str, responses: dict[str, Schema], parameters: list[Schema] | None = None) -> Schema:
    return {"summary": summary, "parameters": parameters or [], "responses": responses}


GRAPH_TYPES = tuple(f.mimetype for f in neg.GRAPH)
BINDINGS_TYPES = tuple(f.mimetype for f in neg.BINDINGS)
GRAPH_KEYS = [f.key for f in neg.GRAPH] + [""]  # an empty format: by Accept


# -- reading routes -------------------------------------------------------------------------


_DAY_OR_EMPTY = [{"format": "date"}, {"const": ""}]  # empty: no bound


def _whole(top: int) -> list[Schema]:
    """A whole number from 1 to ``top``, or empty (the default)."""
    return [{"type": "integer", "minimum": 1, "maximum": top}, {"const": ""}]


def _timeline_filters() -> list[Schema]:
    return [
        _param("actor", description="an actor's IRI, or part of a name"),
        _param("class", enum=[*timeline.CLASSES, ""], description="an event class (also lower case, or its IRI)"),
        _param("status", enum=[*timeline.STATUSES, ""], description="an event status (also lower case, or its IRI)"),
        _param("source", description="an article IRI or id"),
        _param("from", anyOf=_DAY_OR_EMPTY, description="events that may end on or after this day"),
        _param("to", anyOf=_DAY_OR_EMPTY, description="events that may begin on or before this day"),
    ]


def _read_paths() -> dict[str, Schema]:
    page_params = [
        _param("page", type=["integer", "string"], anyOf=_whole(timeline.MAX_PAGE)),
        _param("per_page", type=["integer", "string"], anyOf=_whole(timeline.MAX_PER_PAGE)),
    ]
    return {
        "/": {"get": _get("Redirects to the timeline", {"302": {"description": "to `/timeline`"}})},
        "/openapi.json": {"get": _get("This document", {"200": _ok("OpenAPI 3.1", (JSON,))})},
        "/healthz": {
            "get": _get(
                "Liveness and store status",
                {
                    "200": _ok(
                        "the store is open",
                        (JSON,),
                        {
                            "type": "object",
                            "required": ["status", "store"],
                            "properties": {
                                "status": {"const": "ok"},
                                "store": {
                                    "type": "object",
                                    "properties": {"graphs": {"type": "integer"}, "triples": {"type": "integer"}},
                                },
                            },
                        },
                    ),
                    "503": _ok("the store cannot be opened", (JSON,), {"type": "object", "required": ["status"]}),
                },
            )
        },
        "/timeline": {
            "get": _get(
                "The timeline page (100 events a page)",
                {"200": _ok("the page", (HTML,)), **_errors(400)},
                [*_timeline_filters(), *page_params],
            )
        },
        "/timeline.json": {
            "get": _get(
                "The timeline as JSON, or TimelineJS3 JSON",
                {
                    "200": _ok(
                        "every matching event in chronological order (or TimelineJS3)",
                        (JSON,),
                        {
                            "type": "object",
                            "required": ["events"],
                            "properties": {"events": {"type": "array"}, "omitted_undated": {"type": "integer"}},
                            "if": {"not": {"required": ["omitted_undated"]}},
                            "then": {"properties": {"events": {"items": _ref("Event")}}},
                        },
                    ),
                    **_errors(400),
                },
                [*_timeline_filters(), _param("format", enum=["json", "timelinejs", ""])],
            )
        },
        "/id/{kind}/{slug}": {
            "get": _get(
                "A resource page (HTML) or its description in RDF (by `Accept`, or a suffix on the slug)",
                {"200": _ok("the description", (HTML, *GRAPH_TYPES)), **_errors(400, 404, 406)},
                [
                    _param("kind", "path", enum=list(KINDS)),
                    _param("slug", "path", type="string", minLength=1, pattern="^[^/]+$"),
                    _param("format", enum=GRAPH_KEYS),
                ],
            )
        },
        "/ontology": {
            "get": _get(
                "The ontology: HTML, or RDF by `Accept`",
                {"200": _ok("the ontology", (HTML, *GRAPH_TYPES)), **_errors(406)},
                [_param("format", enum=GRAPH_KEYS)],
            )
        },
        "/ontology.{suffix}": {
            "get": _get(
                "The ontology in one RDF format",
                {"200": _ok("the ontology", GRAPH_TYPES), **_errors(404)},
                [_param("suffix", "path", enum=GRAPH_KEYS[:-1])],
            )
        },
        **_dataset_paths(),
        **_reconcile_paths(),
    }


def _dataset_paths() -> dict[str, Schema]:
    formats = [name for f in dumps.FORMATS for name in (f.key, *f.aliases)]
    return {
        "/export": {
            "get": _get(
                "A dump of the whole store, one graph, or the articles published in a date range (streamed)",
                {
                    "200": _ok(
                        "the dump, as an attachment", [*(f.media_type for f in dumps.FORMATS), "application/gzip"]
                    ),
                    **_errors(400, 404),
                },
                [
                    _param("format", enum=formats),
                    _param("graph", description="an article id or a graph IRI"),
                    _param("from", anyOf=_DAY_OR_EMPTY),
                    _param("to", anyOf=_DAY_OR_EMPTY),
                    _param("gzip", enum=[*TRUE, *FALSE]),
                ],
            )
        },
        "/context.jsonld": {
            "get": _get("The current JSON-LD context", {"200": _ok("the context", ("application/ld+json",))})
        },
        "/context/v{version}.jsonld": {
            "get": _get(
                "One fixed version of the JSON-LD context",
                {"200": _ok("the context", ("application/ld+json",)), **_errors(404)},
                [_param("version", "path", type="integer", minimum=0)],
            )
        },
        "/.well-known/void": {
            "get": _get(
                "The dataset description (VoID and DCAT)",
                {"200": _ok("the description", GRAPH_TYPES), **_errors(406, 503)},
                [_param("format", enum=GRAPH_KEYS)],
            )
        },
    }


def _reconcile_paths() -> dict[str, Schema]:
    callback = _param("callback", type="string", pattern=reconcile.CALLBACK.pattern, maxLength=100, description="JSONP")
    answer = {
        "200": _ok(
            "the manifest, or the candidates of each query", (JSON, "application/javascript"), {"type": "object"}
        ),
        **_errors(400, json_only=True),
    }
    queries = _param("queries", description="a JSON object of named queries (0.2)")
    query = _param("query", description="one query: a name, or a JSON object (0.1)")
    limit = _param("limit", type="integer", minimum=1, maximum=reconcile.MAX_LIMIT)
    cursor = _param("cursor", type="integer", minimum=0)
    prefix = _param("prefix", type="string", maxLength=reconcile.MAX_TEXT)
    suggestions = {
        "200": _ok("suggestions", (JSON, "application/javascript"), {"type": "object"}),
        **_errors(400, json_only=True),
    }
    return {
        "/reconcile": {
            "get": _get("Reconciliation Service API: the manifest, or answers", answer, [queries, query, callback]),
            "post": {
                "summary": "Reconciliation queries as a form (0.2) or a JSON batch (1.0 draft)",
                "parameters": [callback],
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"queries": {"type": "string"}, "query": {"type": "string"}},
                            }
                        },
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["queries"],
                                "properties": {"queries": {"type": "array", "maxItems": reconcile.MAX_QUERIES}},
                            }
                        },
                    }
                },
                "responses": answer,
            },
        },
        "/reconcile/preview": {
            "get": _get(
                "An HTML card of one entity",
                {"200": _ok("the card", (HTML,)), **_errors(400, 404, json_only=True)},
                [_param("id", required=True, type="string", minLength=1, maxLength=reconcile.MAX_TEXT)],
            )
        },
        "/reconcile/suggest/entity": {
            "get": _get(
                "Actors and events whose name starts with `prefix`",
                suggestions,
                [
                    {**prefix, "required": True},
                    _param("type", description="a type id or a JSON list"),
                    limit,
                    cursor,
                    callback,
                ],
            )
        },
        "/reconcile/suggest/type": {
            "get": _get("Types whose name starts with `prefix`", suggestions, [prefix, limit, cursor, callback])
        },
        "/reconcile/suggest/property": {
            "get": _get("Properties whose name starts with `prefix`", suggestions, [prefix, limit, cursor, callback])
        },
    }


# -- SPARQL ---------------------------------------------------------------------------------


def _protocol_form(name: str) -> Schema:
    """The form body of a protocol request: ``query`` (or ``update``) and the dataset parameters the route reads."""
    graphs = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object",
        "required": [name],
        "properties": {name: {"type": "string", "minLength": 1}, **dict.fromkeys(DATASET_PARAMETERS[name], graphs)},
    }


def _sparql_paths(max_body_bytes: int) -> dict[str, Schema]:
    dataset = [
        _strings("default-graph-uri", "a graph of the default graph (else the union of all graphs)"),
        _strings("named-graph-uri", "a graph that GRAPH ?g can name"),
    ]
    formats = [f.key for f in (*neg.BINDINGS, *neg.GRAPH, neg.HTML)] + [""]
    answers = {
        "200": _ok(
            "the answer; or, without a query, the service description (Turtle) or the query page (HTML)",
            (*BINDINGS_TYPES, *GRAPH_TYPES, HTML),
        ),
        **_errors(400, 406, 413, 415, 503),
    }
    text = {"type": "string", "minLength": 1}
    return {
        "/sparql": {
            "get": _get(
                "A SPARQL 1.1 query (read-only, time- and row-limited)",
                answers,
                [_param("query", type="string"), *dataset, _param("format", enum=formats)],
            ),
            "post": {
                "summary": "A SPARQL 1.1 query as a form or an `application/sparql-query` body",
                "parameters": [*dataset, _param("format", enum=formats)],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _protocol_form("query")},
                        "application/sparql-query": {"schema": text},
                    },
                },
                "responses": answers,
            },
        },
        "/sparql/update": {
            "post": {
                "summary": "A SPARQL 1.1 Update, run in one transaction",
                "security": [{"token": []}],
                "parameters": [
                    _strings("using-graph-uri", "USING for every operation with a WHERE"),
                    _strings("using-named-graph-uri", "USING NAMED for every operation with a WHERE"),
                ],
                "requestBody": {
                    "required": True,
                    "description": f"at most {max_body_bytes:,} bytes (KG_MAX_UPDATE_BYTES)",
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _protocol_form("update")},
                        "application/sparql-update": {"schema": text},
                    },
                },
                "responses": {"204": {"description": "done"}, **_errors(400, 401, 403, 413, 415)},
            }
        },
    }


# -- writing articles -----------------------------------------------------------------------


def _write_paths(max_body_bytes: int) -> dict[str, Schema]:
    result = {
        "type": "object",
        "required": ["article", "outcome"],
        "properties": {
            "article": {"type": "string"},
            "outcome": {"enum": ["added", "replaced", "unchanged"]},
            "triples": {"type": "integer"},
            "actors": {"type": "integer"},
            "events": {"type": "integer"},
            "assertions": {"type": "integer"},
        },
    }
    text = {"type": "string", "minLength": 1}
    metadata = [_param(name, type="string") for name in ARTICLE_FIELDS]
    return {
        "/api/articles": {
            "post": {
                "summary": "Ingest one article (its text at most KG_MAX_ARTICLE_BYTES bytes)",
                "security": [{"token": []}],
                "parameters": [*metadata, _param("replace", enum=[*TRUE, *FALSE])],
                "requestBody": {
                    "required": True,
                    "description": f"JSON with `text`, plain text or HTML; the body at most {max_body_bytes:,} bytes",
                    "content": {
                        media: {"schema": _ref("Article") if media == JSON else text} for media in ARTICLE_TYPES
                    },
                },
                "responses": {
                    "201": _ok("added", (JSON,), result),
                    "200": _ok("replaced, or unchanged", (JSON,), result),
                    **_errors(400, 401, 403, 413, 415, 503),
                },
            }
        },
        "/api/articles/{article}": {
            "delete": {
                "summary": "Remove one article's graph (its id, or its IRI)",
                "security": [{"token": []}],
                "parameters": [_param("article", "path", type="string", minLength=1)],
                "responses": {"204": {"description": "removed"}, **_errors(400, 401, 403, 404)},
            }
        },
    }
