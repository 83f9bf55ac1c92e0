"""Answers cut at the row limit (:mod:`kgservice.results`): every format, every limit, every chunking.

Oxigraph writes the bytes; the sink only decides where to cut. The reference is Oxigraph's
own answer in full: a cut answer must parse, hold exactly its first ``limit`` rows and say
it was cut exactly when rows were left out. Literals are chosen to look like row
boundaries in each format (``},{"``, ``</result>``, quoted line ends) and to hold
characters of several bytes, which a chunk boundary can split.
"""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgservice import results

FORMATS = ("json", "xml", "csv", "tsv")
TRICKY = [
    'x,{"y}},{"z',
    "[{}],{}",
    "</result><result>",
    'line 1\r\nline 2\n,"quoted"\t',
    '"",""\r\n"',
    "é 😀 日本",
    '\\\\"\\',
    "",
]


def store_with(values: list[str]) -> ox.Store:
    store = ox.Store()
    for i, value in enumerate(values):
        subject = ox.NamedNode(f"http://example.org/s{i:05}")
        store.add(ox.Quad(subject, ox.NamedNode("http://example.org/v"), ox.Literal(value)))
        if i % 3 == 0:
            store.add(ox.Quad(subject, ox.NamedNode("http://example.org/l"), ox.Literal(value, language="en")))
        if i % 4 == 1:
            store.add(ox.Quad(subject, ox.NamedNode("http://example.org/b"), ox.BlankNode(f"b{i}")))
    return store


# ?l and ?b are often unbound; ?n is a typed literal; the last rows have nothing bound at all
QUERY = """
SELECT ?s ?v ?l ?b ?n WHERE {
  { ?s <http://example.org/v> ?v OPTIONAL { ?s <http://example.org/l> ?l } OPTIONAL { ?s <http://example.org/b> ?b }
    BIND(STRLEN(?v) AS ?n) }
  UNION { VALUES ?nothing { 1 2 } }
} ORDER BY DESC(?s)
"""


def rows(body: bytes, fmt: str) -> list[tuple[object, ...]]:
    """The rows of an answer, parsed by Oxigraph (CSV, which it does not read, by the csv module)."""
    if fmt == "csv":
        return [tuple(row) for row in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))][1:]
    parsed = ox.parse_query_results(body, format=results.RESULT_FORMATS[fmt])
    assert isinstance(parsed, ox.QuerySolutions)
    return [tuple(solution[v] for v in parsed.variables) for solution in parsed]


def cut(store: ox.Store, fmt: str, limit: int) -> tuple[bytes, bool]:
    answer = store.query(QUERY)
    assert isinstance(answer, ox.QuerySolutions)
    return results.solutions(answer, fmt, limit)


def full(store: ox.Store, fmt: str) -> bytes:
    answer = store.query(QUERY)
    assert isinstance(answer, ox.QuerySolutions)
    return answer.serialize(format=results.RESULT_FORMATS[fmt]) or b""


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_limit_keeps_the_first_rows_and_says_so(fmt: str) -> None:
    store = store_with(TRICKY)
    everything = full(store, fmt)
    expected = rows(everything, fmt)
    assert len(expected) == len(TRICKY) + 2
    for limit in range(len(expected) + 2):
        body, truncated = cut(store, fmt, limit)
        assert rows(body, fmt) == expected[:limit], limit
        assert truncated == (limit < len(expected)), limit
        if not truncated:
            assert body == everything  # untouched: as Oxigraph wrote it


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_of_many_chunks_are_cut_exactly(fmt: str) -> None:
    # long literals of multi-byte characters: Oxigraph's 8 KiB chunks end inside them
    values = [("é😀" * (i % 50)) + TRICKY[i % len(TRICKY)] for i in range(3000)]
    store = store_with(values)
    expected = rows(full(store, fmt), fmt)
    for limit in (0, 1, 777, 2999, 3001, 3002, 5000):
        body, truncated = cut(store, fmt, limit)
        assert rows(body, fmt) == expected[:limit], limit
        assert truncated == (limit < len(expected)), limit


def feed(fmt: str, data: bytes, limit: int, size: int) -> tuple[bytes, bool]:
    """Write ``data`` into a sink in chunks of ``size`` bytes, as a serialiser would."""
    sink = results.RowSink(fmt, limit)
    try:
        for start in range(0, len(data), size):
            sink.write(data[start : start + size])
    except results.Enough:
        return sink.answer(finished=False)
    return sink.answer(finished=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_any_chunk_boundary(fmt: str) -> None:
    store = store_with(TRICKY[:5])
    data = full(store, fmt)
    expected = rows(data, fmt)
    for size in range(1, 40):
        for limit in range(len(expected) + 1):
            body, truncated = feed(fmt, data, limit, size)
            assert rows(body, fmt) == expected[:limit], (size, limit)
            assert truncated == (limit < len(expected)), (size, limit)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.text(alphabet=st.sampled_from('{}[],"\\\r\n\t<>/&;:é😀ab'), max_size=12), max_size=12),
    limit=st.integers(min_value=0, max_value=14),
    size=st.integers(min_value=1, max_value=64),
)
def test_random_literals(values: list[str], limit: int, size: int) -> None:
    store = store_with(values)
    for fmt in FORMATS:
        data = full(store, fmt)
        expected = rows(data, fmt)
        body, truncated = feed(fmt, data, limit, size)
        assert rows(body, fmt) == expected[:limit], fmt
        assert truncated == (limit < len(expected)), fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_rows_count(fmt: str) -> None:
    """Rows with nothing bound are the shortest a format has: the cheap checks must still count them."""
    values, empty = " ".join(str(i) for i in range(50)), "()" * 50
    for query in (
        f"SELECT ?unbound WHERE {{ VALUES ?x {{ {values} }} }}",
        f"SELECT * WHERE {{ VALUES () {{ {empty} }} }}",
    ):
        for limit in (0, 1, 16, 49, 50):
            answer = ox.Store().query(query)
            assert isinstance(answer, ox.QuerySolutions)
            body, truncated = results.solutions(answer, fmt, limit)
            assert len(rows(body, fmt)) == limit and truncated == (limit < 50), (query, limit)


@pytest.mark.parametrize("fmt", FORMATS)
def test_counting_starts_mid_row_on_small_chunks(fmt: str) -> None:
    """Counting begins once the answer could pass the limit, which can be inside a mark split over chunks.

    Empty rows all have the same length, so the header's length (the variable's name) decides
    where in a row counting begins: every length up to the longest row is tried.
    """
    values = " ".join(map(str, range(60)))
    for name in ("u" * n for n in range(1, 18)):
        answer = ox.Store().query(f"SELECT ?{name} WHERE {{ VALUES ?x {{ {values} }} }}")
        assert isinstance(answer, ox.QuerySolutions)
        data = answer.serialize(format=results.RESULT_FORMATS[fmt]) or b""
        for size in (1, 2, 3, 5):
            for limit in (58, 59, 60):
                body, truncated = feed(fmt, data, limit, size)
                assert len(rows(body, fmt)) == limit and truncated == (limit < 60), (name, size, limit)


def test_graphs_are_cut_at_the_limit() -> None:
    triples = [
        ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(str(i)))
        for i in range(5)
    ]
    for limit in range(7):
        body, truncated = results.graph(iter(triples), "nt", limit, {})
        assert [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)] == triples[:limit]
        assert truncated == (limit < 5)
