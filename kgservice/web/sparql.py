"""``/sparql``: the SPARQL 1.1 Protocol (query only), a service description and an HTML query page.

GET ``query=``, POST form, POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri`` choose the dataset (by default the union of all graphs). Updates are
refused (400). SELECT results longer than ``KG_MAX_ROWS`` are cut and the cut is reported in
``X-KG-Truncated`` / ``X-KG-Row-Limit`` (and on the HTML page), never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result
from werkzeug.exceptions import UnsupportedMediaType

from kgservice.errors import InputError, QuerySyntaxError
from kgservice.graph.namespaces import RDF, SD, bind_prefixes
from kgservice.resources import all_queries
from kgservice.web import get_store, settings
from kgservice.web import negotiation as neg

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


@dataclass
class ProtocolRequest:
    """The query and dataset of one protocol request."""

    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Any:
    """Answer a SPARQL query, or describe the service when there is none."""
    proto = _read_request()
    if proto.query is None:
        if request.method == "POST":
            raise InputError("a POST to /sparql needs a query (form field `query` or an application/sparql-query body)")
        if neg.prefers_html():
            return render_template("sparql.html", queries=all_queries(), query="", result=None)
        return _service_description()
    result = _run(proto)
    return _respond(proto, result)


def _read_request() -> ProtocolRequest:
    if request.method == "GET":
        return _from_params(request.args)
    mimetype = request.mimetype
    if mimetype == FORM:
        params = request.form
        proto = _from_params(params)
        proto.default_graphs += request.args.getlist("default-graph-uri")
        proto.named_graphs += request.args.getlist("named-graph-uri")
        return proto
    if mimetype == DIRECT:
        proto = _from_params(request.args)
        if proto.query is not None:
            raise InputError("a direct POST carries the query in its body, not also in `query=`")
        proto.query = request.get_data(as_text=True)
        return proto
    raise UnsupportedMediaType(f"POST /sparql takes {FORM} or {DIRECT}, not {mimetype or 'no content type'}")


def _from_params(params: Any) -> ProtocolRequest:
    queries = params.getlist("query")
    if len(queries) > 1:
        raise InputError("give exactly one `query` parameter")
    if "update" in params:
        raise InputError("this endpoint is read-only: SPARQL Update is not accepted at /sparql")
    return ProtocolRequest(
        queries[0] if queries else None, params.getlist("default-graph-uri"), params.getlist("named-graph-uri")
    )


def _run(proto: ProtocolRequest) -> Result:
    if not proto.query or not proto.query.strip():
        raise InputError("the query is empty")
    try:
        return get_store().query(
            proto.query,
            default_graphs=proto.default_graphs or None,
            named_graphs=proto.named_graphs or None,
            max_rows=settings().max_rows + 1,  # one more than shown tells whether the result was cut
        )
    except QuerySyntaxError as exc:
        if _is_update(proto.query):
            raise InputError("this endpoint is read-only: SPARQL Update is not accepted at /sparql") from exc
        raise


def _is_update(text: str) -> bool:
    """Whether a query string that Oxigraph refused as a query parses as an update."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # any parse failure means "not an update"
        return False
    return True


def _truncate(result: Result) -> bool:
    limit = settings().max_rows
    if result.type == "SELECT" and len(result.bindings) > limit:
        result.bindings = result.bindings[:limit]
        return True
    return False


def _respond(proto: ProtocolRequest, result: Result) -> Response:
    truncated = _truncate(result)
    kind = "bindings" if result.type in {"SELECT", "ASK"} else "graph"
    fmt = neg.choose(kind, html=True) if request.args.get("format") or not neg.prefers_html() else neg.HTML
    if fmt is neg.HTML:
        body = render_template(
            "sparql.html",
            queries=all_queries(),
            query=proto.query,
            result=_table(result),
            truncated=truncated,
            downloads=_downloads(proto, kind),
        )
        response = Response(body, mimetype="text/html")
    else:
        response = Response(_serialize(result, fmt), mimetype=fmt.mimetype)
    response.headers["X-KG-Row-Limit"] = str(settings().max_rows)
    response.headers["X-KG-Truncated"] = "true" if truncated else "false"
    response.vary.add("Accept")
    return response


def _serialize(result: Result, fmt: neg.Format) -> bytes:
    if result.type == "ASK" and fmt.key in {"csv", "tsv"}:
        header = "_askResult" if fmt.key == "csv" else "?_askResult"
        return f"{header}\r\n{'true' if result.askAnswer else 'false'}\r\n".encode()
    if fmt.key == "tsv":
        return _tsv(result)
    if result.type in {"SELECT", "ASK"}:
        return result.serialize(format=fmt.rdflib) or b""
    return (result.graph or Graph()).serialize(format=fmt.rdflib, encoding="utf-8")


def _tsv(result: Result) -> bytes:
    """SPARQL 1.1 TSV results: terms in Turtle syntax, a leading ``?`` on variable names."""
    variables = result.vars or []
    lines = ["\t".join(f"?{v}" for v in variables)]
    for row in result.bindings:
        cells = []
        for var in variables:
            term = row.get(var)
            cells.append("" if term is None else term.n3().replace("\t", "\\t").replace("\n", "\\n"))
        lines.append("\t".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _table(result: Result) -> dict[str, Any]:
    """Rows of a result for the HTML page (a graph as subject/predicate/object rows)."""
    if result.type == "ASK":
        return {"ask": bool(result.askAnswer)}
    if result.type == "SELECT":
        variables = result.vars or []
        names = [str(v) for v in variables]
        rows = [[row.get(v) for v in variables] for row in result.bindings]
        return {"vars": names, "rows": rows}
    triples = sorted(result.graph or Graph(), key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    return {"vars": ["subject", "predicate", "object"], "rows": [list(t) for t in triples]}


def _downloads(proto: ProtocolRequest, kind: str) -> list[tuple[str, str]]:
    args: dict[str, Any] = {
        "query": proto.query,
        "default-graph-uri": proto.default_graphs,
        "named-graph-uri": proto.named_graphs,
    }
    return [(fmt.key.upper(), url_for("sparql.endpoint", format=fmt.key, **args)) for fmt in neg.formats(kind)]


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
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
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
