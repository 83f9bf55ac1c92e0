"""A remote SPARQL 1.1 server as the store: ``KG_STORE=sparql+http://host:port/query``.

:class:`RemoteStore` offers the part of ``pyoxigraph.Store`` that :class:`kgservice.store.GraphStore`
uses, over the SPARQL 1.1 Protocol (queries as form POSTs, updates as
``application/sparql-update``), so every layer above the store (ingest, timeline, the
endpoint, exports) runs unchanged on Oxigraph server, Fuseki, GraphDB, Virtuoso or
Neptune. Answers are read with pyoxigraph's parsers, so they arrive as the same terms.

Contract with the server:

- its **default graph is the union of all named graphs** for queries (Virtuoso: by default;
  Fuseki: ``tdb2:unionDefaultGraph true``; Oxigraph server: each query asks for it with the
  ``union-default-graph`` parameter, which other servers ignore, so ``oxigraph serve`` needs
  no flag, and without ``--union-default-graph`` it also takes updates with ``WITH`` or
  ``USING``, which it refuses in that mode);
- the update endpoint is the query URL with a last path segment ``query`` replaced by
  ``update`` (Oxigraph server, Fuseki), else the same URL (Virtuoso, GraphDB's
  ``/repositories/x`` needs ``…/statements``: give it as ``?update=<url>`` on the store URL).

Bound variables are written into the query as a ``VALUES`` block (a server knows no
SEP-0007 substitution); a base IRI as a ``BASE`` line. Each request has a time limit;
the same limit goes to the server as ``timeout`` (milliseconds: Virtuoso's parameter, which
other servers ignore), so a query the service gave up on does not run on there forever.
A server's 400 is a ``SyntaxError`` (as pyoxigraph reports one); anything else, a partial
answer (Virtuoso's "anytime" results) or an answer that does not parse, a
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
#: what a CONSTRUCT or DESCRIBE is asked for: Virtuoso answers the mixed ``ACCEPT`` with a
#: results table of ?s ?p ?o, which is no graph
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
BOOLEANS = {"0": "false", "1": "true"}
#: the ORDER BY of a quad pattern with these terms bound, as Oxigraph's indexes (SPOG,
#: POSG, OSPG, GSPO) return it
INDEX_ORDER: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset("s"), "?p ?o ?g"),
    (frozenset("p"), "?o ?s ?g"),
    (frozenset("o"), "?s ?p ?g"),
    (frozenset(), "?g ?s ?p ?o"),
)


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
        use_default_graph_as_union: bool = False,
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
        if use_default_graph_as_union:
            form.append(("union-default-graph", ""))  # Oxigraph server's parameter; others ignore it
        form.append(("timeout", str(round(self.timeout * 1000))))  # Virtuoso's limit, in ms; others ignore it
        data = urllib.parse.urlencode(form).encode()
        form_of = operation(sparql)
        accept = ACCEPT_GRAPH if form_of in {"CONSTRUCT", "DESCRIBE"} else ACCEPT
        body, kind = self._post(self.query_url, data, "application/x-www-form-urlencoded", accept)
        try:
            if kind.startswith(RESULTS_JSON) or kind.startswith("application/json"):
                return _results(_plain_terms(body), form_of == "ASK")
            triples = ox.parse(_canonical_booleans(body), format=_rdf_format(kind))
            return [ox.Triple(q.subject, q.predicate, q.object) for q in triples]
        except (SyntaxError, ValueError) as exc:  # not the query's fault: the answer is broken
            raise StoreError(
                f"the SPARQL server at {self.query_url} sent an answer that does not parse: {exc}"
            ) from None

    def quads_for_pattern(self, subject: Any, predicate: Any, obj: Any, graph: Any) -> Iterator[ox.Quad]:
        """Quads of the named graphs matching a pattern (``None`` matches anything).

        In the order of the Oxigraph index the pattern would use (callers rely on it: copies
        of a triple in several graphs come out next to each other when the predicate is given).
        """
        terms = {"s": subject, "p": predicate, "o": obj, "g": graph}
        bound = {ox.Variable(k): v for k, v in terms.items() if v is not None and not isinstance(v, ox.DefaultGraph)}
        order = next(o for known, o in INDEX_ORDER if {v.value for v in bound} >= known)
        sparql = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} ORDER BY {order}"
        # read to the end here: pyoxigraph's results must be dropped on the thread that made
        # them, and a dump's caller may close this iterator from another (the body is in memory anyway)
        rows = [tuple(row) for row in self.query(sparql, substitutions=bound)]
        for row in rows:
            s, p, o, g = (bound.get(ox.Variable(name)) or row[i] for i, name in enumerate("spog"))
            yield ox.Quad(s, p, o, g)

    def contains_named_graph(self, graph: ox.NamedNode) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        # GROUP BY, not DISTINCT: Virtuoso answers ``SELECT DISTINCT ?g`` from its list of
        # graphs, private ones included, instead of from the quads the endpoint may read
        for row in self.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
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
            # a little longer than the server's own limit, so that its answer (or error) arrives first
            with urllib.request.urlopen(request, timeout=self.timeout + 5) as response:
                body = response.read()
                if response.headers.get("X-SQL-State", "").startswith("S1TAT"):  # Virtuoso's "anytime" answer
                    raise StoreError(
                        f"the SPARQL server at {url} stopped the query at its time limit and sent a partial "
                        f"answer, which is not used: {response.headers.get('X-SQL-Message', '')[:200]}"
                    )
                return body, response.headers.get("Content-Type", "")
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


def _results(body: bytes, ask: bool) -> Any:
    """A JSON results document as pyoxigraph's results, read once to the end first.

    pyoxigraph reads results lazily: without this pass, an answer broken half-way (a server
    that hits its time limit after the first rows, as Oxigraph server does) would raise
    ``SyntaxError`` in the middle of the caller's loop, taken there for a query error.
    """
    first = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(first, ox.QuerySolutions):
        for _ in first:
            pass
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return _boolean(results) if ask else results


def _plain_terms(body: bytes) -> bytes:
    """JSON results with the terms as written: Virtuoso's blank node ids (``nodeID://b10005``) made
    parseable, its booleans (``"0"``, ``"1"``: it keeps them as numbers) in their canonical form."""
    if b'"bnode"' not in body and XSD_BOOLEAN.encode() not in body:
        return body
    document = json.loads(body)
    for row in document.get("results", {}).get("bindings", []):
        for cell in row.values():
            if cell.get("type") == "bnode":
                cell["value"] = re.sub(r"[^A-Za-z0-9_]", "_", cell["value"])
            elif cell.get("datatype") == XSD_BOOLEAN and cell.get("value") in BOOLEANS:
                cell["value"] = BOOLEANS[cell["value"]]
    return json.dumps(document).encode()


def _canonical_booleans(body: bytes) -> bytes:
    """N-Triples (or Turtle) with Virtuoso's ``"0"``/``"1"`` booleans written ``"false"``/``"true"``."""
    for number, word in BOOLEANS.items():
        body = body.replace(f'"{number}"^^<{XSD_BOOLEAN}>'.encode(), f'"{word}"^^<{XSD_BOOLEAN}>'.encode())
    return body


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
