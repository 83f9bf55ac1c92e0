"""``/sparql`` and ``/sparql/update``: the SPARQL 1.1 Protocol, a service description and an HTML query page.

Queries: GET ``query=``, POST form, POST ``application/sparql-query``; ``default-graph-uri``
and ``named-graph-uri`` choose the dataset (by default the union of all graphs). Every
query runs in a killable worker process (:mod:`kgservice.guard`) under the time limit
``KG_QUERY_TIMEOUT``; past it the answer is 503 with a message. Answers longer than
``KG_MAX_ROWS`` rows (or triples) are cut and the cut is reported in ``X-KG-Truncated`` /
``X-KG-Row-Limit`` (and on the HTML page), never silently. ``SERVICE`` is refused unless
``KG_ALLOW_SERVICE`` is set. Relative IRIs resolve against the endpoint's URL.

Updates: POST form (``update=``) or ``application/sparql-update`` to ``/sparql/update``, with
``Authorization: Bearer $KG_API_TOKEN``; ``using-graph-uri``/``using-named-graph-uri``
apply to every operation with a ``WHERE``. An update runs in one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for
from rdflib import BNode, Graph, Literal, URIRef
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from kgservice import sparqltext
from kgservice.errors import InputError, NotAcceptable
from kgservice.graph.namespaces import RDF, SD, bind_prefixes
from kgservice.guard import QueryAnswer, QueryRequest
from kgservice.resources import all_queries
from kgservice.store import from_ox
from kgservice.web import get_guard, get_store, settings
from kgservice.web import negotiation as neg
from kgservice.web.auth import require_token

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"


@dataclass
class Operation:
    """The text of one protocol request (a query or an update) and its dataset."""

    text: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


# -- queries -----------------------------------------------------------------------------


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Any:
    """Answer a SPARQL query, or describe the service when there is none."""
    op = _read_query()
    if op.text is None:
        if request.method == "POST":
            raise InputError("a POST to /sparql needs a query (form field `query` or an application/sparql-query body)")
        if op.default_graphs or op.named_graphs:
            raise InputError("default-graph-uri and named-graph-uri choose the dataset of a query: give a `query` too")
        if neg.prefers_html():
            return render_template("sparql.html", queries=all_queries(), query="", result=None)
        return _service_description()
    started = time.perf_counter()
    form = _check_query(op.text)
    html = request.args.get("format") == "html" or (not request.args.get("format") and neg.prefers_html())
    graph_format = "nt" if html else _negotiate("graph", strict=form in sparqltext.GRAPH_FORMS)
    answer = get_guard().run(
        QueryRequest(
            op.text,
            bindings_format="json" if html else _negotiate("bindings", strict=form in sparqltext.BINDINGS_FORMS),
            graph_format=graph_format,
            default_graphs=tuple(op.default_graphs),
            named_graphs=tuple(op.named_graphs),
            base_iri=_base_iri(),
            max_rows=settings().max_rows,
            prefixes=_prefixes() if graph_format in PREFIXED_FORMATS else {},
            declares_dataset=sparqltext.declares_dataset(op.text),
        )
    )
    response = _respond(op, answer, html)
    total = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"worker;dur={answer.seconds * 1000:.1f}, total;dur={total:.1f}"
    return response


PREFIXED_FORMATS = frozenset({"ttl", "rdf"})  # graph formats that abbreviate IRIs with the store's prefixes


def _prefixes() -> dict[str, str]:
    store = get_store()
    return store.memo("sparql-prefixes", lambda: {p: str(ns) for p, ns in store.dataset.namespaces()})


def _base_iri() -> str:
    """Relative IRIs in queries and updates resolve against the endpoint's IRI under ``KG_BASE_URI``."""
    return settings().base_uri + "sparql"


def _negotiate(kind: str, strict: bool) -> str | None:
    """The format key for results of ``kind``; None when nothing fits and the query is of the other kind."""
    try:
        return neg.choose(kind).key
    except NotAcceptable:
        if strict:
            raise
        return None


def _read_query() -> Operation:
    if request.method == "GET":
        return _from_params(request.args, "query")
    mimetype = request.mimetype
    if mimetype == FORM:
        op = _from_params(request.form, "query")
        _add_dataset_from_url(op, "query")
        return op
    if mimetype == DIRECT_QUERY:
        return _direct("query")
    if mimetype == DIRECT_UPDATE:
        raise InputError("SPARQL Update is not accepted at /sparql: POST it to /sparql/update")
    raise UnsupportedMediaType(f"POST /sparql takes {FORM} or {DIRECT_QUERY}, not {mimetype or 'no content type'}")


DATASET_PARAMETERS = {
    "query": ("default-graph-uri", "named-graph-uri"),
    "update": ("using-graph-uri", "using-named-graph-uri"),
}


def _from_params(params: MultiDict[str, str], name: str) -> Operation:
    """The ``query`` (or ``update``) parameter and its dataset parameters."""
    texts = params.getlist(name)
    if len(texts) > 1:
        raise InputError(f"give exactly one `{name}` parameter, not {len(texts)}")
    if name == "query" and "update" in params:
        raise InputError("SPARQL Update is not accepted at /sparql: POST it to /sparql/update")
    default, named = DATASET_PARAMETERS[name]
    return Operation(texts[0] if texts else None, params.getlist(default), params.getlist(named))


def _direct(name: str) -> Operation:
    """A direct POST: the body is the query (or update); the dataset is in the URL."""
    op = _from_params(request.args, name)
    if op.text is not None:
        raise InputError(f"a direct POST carries the {name} in its body, not also in `{name}=`")
    op.text = _body_text()
    return op


def _add_dataset_from_url(op: Operation, name: str) -> None:
    """A form POST may also give its dataset in the URL."""
    default, named = DATASET_PARAMETERS[name]
    op.default_graphs += request.args.getlist(default)
    op.named_graphs += request.args.getlist(named)


def _body_text() -> str:
    """The request body as UTF-8 text (the protocol allows no other encoding)."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType(f"SPARQL bodies must be UTF-8, not {charset}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the body is not valid UTF-8 (byte {exc.start})") from exc


def _check_query(text: str) -> str | None:
    """Refuse what the endpoint does not run; return the query form when the text shows it."""
    if not text.strip():
        raise InputError("the query is empty")
    size = len(text.encode("utf-8"))
    if size > settings().max_query_bytes:
        raise RequestEntityTooLarge(
            f"the query is {size:,} bytes; the limit is {settings().max_query_bytes:,} (KG_MAX_QUERY_BYTES)"
        )
    form = sparqltext.operation(text)
    if form in sparqltext.UPDATE_OPERATIONS:
        raise InputError("SPARQL Update is not accepted at /sparql: POST it to /sparql/update")
    if not settings().allow_service and sparqltext.uses_service(text):
        raise InputError("SERVICE (federated query) is off on this endpoint; the operator can allow it")
    return form


def _respond(op: Operation, answer: QueryAnswer, html: bool) -> Response:
    kind = "graph" if answer.form == "CONSTRUCT" else "bindings"
    if html:
        body = render_template(
            "sparql.html",
            queries=all_queries(),
            query=op.text,
            result=_table(answer),
            truncated=answer.truncated,
            downloads=_downloads(op, kind),
        )
        response = Response(body, mimetype="text/html")
    else:
        fmt = neg.by_key(kind, answer.format)
        response = Response(answer.body, content_type=f"{fmt.mimetype}; charset=utf-8")
    response.headers["X-KG-Row-Limit"] = str(settings().max_rows)
    response.headers["X-KG-Truncated"] = "true" if answer.truncated else "false"
    response.vary.add("Accept")
    return response


def _table(answer: QueryAnswer) -> dict[str, Any]:
    """Rows of an answer for the HTML page (a graph as subject/predicate/object rows)."""
    if answer.form == "CONSTRUCT":
        graph = Graph().parse(data=answer.body.decode("utf-8"), format="nt")
        triples = sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
        return {"vars": ["subject", "predicate", "object"], "rows": [list(t) for t in triples]}
    result = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryBoolean):
        return {"ask": bool(result)}
    return {"vars": [v.value for v in result.variables], "rows": [[_cell(term) for term in row] for row in result]}


def _cell(term: object) -> Any:
    """A term as the page's templates show it (a triple term as its text)."""
    if term is None:
        return None
    return Literal(str(term)) if isinstance(term, ox.Triple) else from_ox(term)


def _downloads(op: Operation, kind: str) -> list[tuple[str, str]]:
    args: dict[str, Any] = {
        "query": op.text,
        "default-graph-uri": op.default_graphs,
        "named-graph-uri": op.named_graphs,
    }
    return [(fmt.key.upper(), url_for("sparql.endpoint", format=fmt.key, **args)) for fmt in neg.formats(kind)]


# -- updates -----------------------------------------------------------------------------


@bp.route("/sparql/update", methods=["POST"])
def update() -> Response:
    """Run a SPARQL 1.1 Update (token required), all of it or nothing."""
    require_token()
    op = _read_update()
    text = op.text or ""
    if not text.strip():
        raise InputError("the update is empty")
    size = len(text.encode("utf-8"))
    if size > settings().max_update_bytes:
        raise RequestEntityTooLarge(
            f"the update is {size:,} bytes; the limit is {settings().max_update_bytes:,} (KG_MAX_UPDATE_BYTES)"
        )
    if sparqltext.operation(text) in sparqltext.QUERY_FORMS:
        raise InputError("this is a query, not an update: send it to /sparql")
    if not settings().allow_service and sparqltext.loads_documents(text):
        raise InputError("LOAD and SERVICE are off on this endpoint (they fetch URLs); the operator can allow them")
    text = sparqltext.apply_using(text, op.default_graphs, op.named_graphs)
    get_store().update(text, base_iri=_base_iri())
    return Response(status=204)


def _read_update() -> Operation:
    mimetype = request.mimetype
    if mimetype == FORM:
        if "query" in request.form:
            raise InputError("queries go to /sparql; /sparql/update takes `update=`")
        op = _from_params(request.form, "update")
        _add_dataset_from_url(op, "update")
        if op.text is None:
            raise InputError("a form POST to /sparql/update needs an `update` field")
        return op
    if mimetype == DIRECT_UPDATE:
        return _direct("update")
    raise UnsupportedMediaType(
        f"POST /sparql/update takes {FORM} or {DIRECT_UPDATE}, not {mimetype or 'no content type'}"
    )


# -- service description ------------------------------------------------------------------


def _service_description() -> Response:
    """SPARQL 1.1 Service Description in the negotiated RDF format (Turtle by default)."""
    fmt = neg.choose("graph")
    graph = Graph()
    bind_prefixes(graph)
    service = URIRef(url_for("sparql.endpoint", _external=True))
    dataset, default = BNode(), BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if settings().api_token and not settings().read_only:  # updates have an endpoint of their own
        updates = URIRef(url_for("sparql.update", _external=True))
        graph.add((updates, RDF.type, SD.Service))
        graph.add((updates, SD.endpoint, updates))
        graph.add((updates, SD.supportedLanguage, SD.SPARQL11Update))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if settings().allow_service:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    for uri in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "JSON-LD",
        "N-Triples",
        "RDF_XML",
    ):
        graph.add((service, SD.resultFormat, URIRef(f"http://www.w3.org/ns/formats/{uri}")))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add(
        (
            default,
            URIRef("http://purl.org/dc/terms/description"),
            Literal("The union of all named graphs: one per article, plus the ontology."),
        )
    )
    response = Response(graph.serialize(format=fmt.rdflib, encoding="utf-8"), mimetype=fmt.mimetype)
    response.vary.add("Accept")
    return response
