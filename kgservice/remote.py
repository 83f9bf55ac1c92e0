"""A remote SPARQL 1.1 server as the store: ``KG_STORE=sparql+http://host:port/query``.

:class:`RemoteStore` offers the part of ``pyoxigraph.Store`` that :class:`kgservice.store.GraphStore`
uses, over the SPARQL 1.1 Protocol (queries as form POSTs, updates as
``application/sparql-update``), so every layer above the store (ingest, timeline, the
endpoint, exports) runs unchanged on Oxigraph server, Fuseki, GraphDB, Virtuoso or
Neptune. Answers are read with pyoxigraph's parsers, so they arrive as the same terms.

Contract with the server:

- its **default graph is the union of all named graphs** (Oxigraph:
  ``--union-default-graph``; Virtuoso: by default; Fuseki: ``tdb2:unionDefaultGraph true``);
- the update endpoint is the query URL with a last path segment ``query`` replaced by
  ``update`` (Oxigraph server, Fuseki), else the same URL (Virtuoso, GraphDB's
  ``/repositories/x`` needs ``…/statements``: give it as ``?update=<url>`` on the store URL).

Bound variables are written into the query as a ``VALUES`` block (a server knows no
SEP-0007 substitution); a base IRI as a ``BASE`` line. Each request has a time limit;
a server's 400 is a ``SyntaxError`` (as pyoxigraph reports one), anything else a
:class:`kgservice.errors.StoreError` (503) saying which server failed and how.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import pyoxigraph as ox

from kgservice.errors import StoreError
from kgservice.sparqltext import operation

RESULTS_JSON = "application/sparql-results+json"
ACCEPT = f"{RESULTS_JSON}, application/n-triples;q=0.9"


def endpoints(location: str) -> tuple[str, str]:
    """The query and update URLs of a ``sparql+http(s)://…`` store location."""
    url = location.removeprefix("sparql+")
    parts = urllib.parse.urlsplit(url)
    params = urllib.parse.parse_qs(parts.query)
    query = urllib.parse.urlunsplit(
        parts._replace(query=urllib.parse.urlencode([(k, v) for k, vs in params.items() if k != "update" for v in vs]))
    )
    if "update" in params:
        return query, params["update"][0]
    path = parts.path.rstrip("/")
    if path.endswith("/query"):
        return query, urllib.parse.urlunsplit(parts._replace(path=path[: -len("query")] + "update", query=""))
    return query, query


class RemoteStore:
    """The pyoxigraph ``Store`` methods kgservice needs, answered by a SPARQL 1.1 server."""

    def __init__(self, location: str, timeout: float = 60.0) -> None:
        self.query_url, self.update_url = endpoints(location)
        self.timeout = timeout

    # -- reading -------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        use_default_graph_as_union: bool = False,  # the server's own default graph is the union
        default_graph: Any = None,
        named_graphs: Any = None,
        substitutions: Mapping[ox.Variable, Any] | None = None,
        base_iri: str | None = None,
    ) -> Any:
        """Run a query; SELECT/ASK as pyoxigraph results, CONSTRUCT/DESCRIBE as a list of triples."""
        text = _with_values(sparql, substitutions) if substitutions else sparql
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        form: list[tuple[str, str]] = [("query", text)]
        form += [("default-graph-uri", g.value) for g in _list(default_graph) if isinstance(g, ox.NamedNode)]
        form += [("named-graph-uri", g.value) for g in _list(named_graphs)]
        data = urllib.parse.urlencode(form).encode()
        body, kind = self._post(self.query_url, data, "application/x-www-form-urlencoded", ACCEPT)
        if kind.startswith(RESULTS_JSON) or kind.startswith("application/json"):
            results = ox.parse_query_results(_plain_bnodes(body), format=ox.QueryResultsFormat.JSON)
            return _boolean(results) if operation(sparql) == "ASK" else results
        triples = ox.parse(body, format=_rdf_format(kind))
        return [ox.Triple(q.subject, q.predicate, q.object) for q in triples]

    def quads_for_pattern(self, subject: Any, predicate: Any, obj: Any, graph: Any) -> Iterator[ox.Quad]:
        """Quads of the named graphs matching a pattern (``None`` matches anything)."""
        terms = {"s": subject, "p": predicate, "o": obj, "g": graph}
        bound = {ox.Variable(k): v for k, v in terms.items() if v is not None and not isinstance(v, ox.DefaultGraph)}
        sparql = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s"
        for row in self.query(sparql, substitutions=bound):
            values = {name: bound.get(ox.Variable(name)) or row[name] for name in "spog"}
            yield ox.Quad(values["s"], values["p"], values["o"], values["g"])

    def contains_named_graph(self, graph: ox.NamedNode) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        for row in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            yield row["g"]

    def __len__(self) -> int:
        rows = list(self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return int(rows[0]["n"].value) if rows else 0

    def dump(self, output: IO[bytes], rdf_format: ox.RdfFormat, from_graph: Any = None, **options: Any) -> None:
        """Serialise the named graphs (a dataset format) or one of them (a triple format)."""
        quads = self.quads_for_pattern(None, None, None, from_graph)
        if rdf_format.supports_datasets:
            ox.serialize(quads, output, format=rdf_format, **options)
        else:
            ox.serialize(
                (ox.Triple(q.subject, q.predicate, q.object) for q in quads), output, format=rdf_format, **options
            )

    # -- writing -------------------------------------------------------------------------

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        text = f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql
        self._post(self.update_url, text.encode("utf-8"), "application/sparql-update")

    def remove_graph(self, graph: ox.NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def flush(self) -> None:
        """Nothing to flush here: the server owns its storage."""

    # -- HTTP ----------------------------------------------------------------------------

    def _post(self, url: str, data: bytes, content_type: str, accept: str = ACCEPT) -> tuple[bytes, str]:
        request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(2000).decode("utf-8", "replace").split())
            exc.close()
            if exc.code == 400:
                raise SyntaxError(f"the SPARQL server at {url} refused the request: {detail}") from None
            raise StoreError(f"the SPARQL server at {url} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise StoreError(f"cannot reach the SPARQL server at {url}: {getattr(exc, 'reason', exc)}") from None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]


def _with_values(sparql: str, substitutions: Mapping[ox.Variable, Any]) -> str:
    """The query with its bound variables as a VALUES block opening the first WHERE group."""
    names = " ".join(f"?{v.value}" for v in substitutions)
    terms = " ".join(str(t) for t in substitutions.values())
    head, where, tail = sparql.partition("WHERE {")
    if not where:
        head, where, tail = sparql.partition("{")
        return f"{head}{{ VALUES ({names}) {{ ({terms}) }}{tail}"
    return f"{head}WHERE {{ VALUES ({names}) {{ ({terms}) }}{tail}"


def _plain_bnodes(body: bytes) -> bytes:
    """JSON results with blank node ids any parser takes (Virtuoso writes them as ``nodeID://b10005``)."""
    if b'"bnode"' not in body:
        return body
    document = json.loads(body)
    for row in document.get("results", {}).get("bindings", []):
        for cell in row.values():
            if cell.get("type") == "bnode":
                cell["value"] = re.sub(r"[^A-Za-z0-9_]", "_", cell["value"])
    return json.dumps(document).encode()


def _boolean(results: Any) -> Any:
    """An ASK answer as a boolean, also from a server that answers it as a one-row SELECT (Virtuoso)."""
    if isinstance(results, ox.QueryBoolean):
        return results
    found = any(term is not None and term.value in {"1", "true"} for row in results for term in row)
    document = f'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{str(found).lower()}</boolean></sparql>'
    return ox.parse_query_results(document.encode(), format=ox.QueryResultsFormat.XML)


def _rdf_format(content_type: str) -> ox.RdfFormat:
    media = content_type.split(";")[0].strip()
    return ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
