"""Query answers as bytes, cut at the row limit: Oxigraph's own serialisers, never silent truncation.

SELECT answers are written by Oxigraph (``QuerySolutions.serialize``) into a :class:`RowSink`,
which keeps the first ``limit`` rows and stops the serialiser as soon as one more row has
come, so a huge answer is neither evaluated nor held past the limit.

Counting rows must cost next to nothing, since every answer pays for it. Oxigraph writes
8 KiB chunks. While the answer is no longer than ``limit`` of the format's shortest rows,
it cannot hold more than ``limit`` rows, and nothing is counted. Past that size, the sink
counts a byte pattern that every row brings (:attr:`Layout.mark`): ``,{`` before each JSON
row object but the first, ``<result>`` in XML, a line end in TSV and CSV. That is an upper
bound on the rows (the JSON and CSV patterns can also occur inside a literal; XML escapes
``<`` and TSV escapes line breaks, so theirs are exact). While it stays within the limit,
nothing can have been cut: the chunks go out as Oxigraph wrote them. Past it, the sink finds
the rows exactly (:attr:`Layout.ends`, which knows the format's strings and quoting), cuts
after row ``limit``, closes the document, and stops the serialiser at the next row.

ASK answers and CONSTRUCT/DESCRIBE graphs are small or already counted by the caller; they
are written here too (:func:`boolean`, :func:`graph`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
}


# -- where rows are, format by format ---------------------------------------------------------


def _json_ends(data: bytes, pos: int) -> Iterator[int]:
    """Ends of the complete row objects in ``data`` from ``pos`` (just after ``[`` or after a row's ``}``)."""
    text = data[pos:].decode("utf-8", "ignore")  # a character cut by the chunk's end belongs to a later row
    decode, at, done = _DECODER.raw_decode, 0, 0
    while at < len(text) and text[at] in ",{":
        try:
            _, end = decode(text, at + 1 if text[at] == "," else at)
        except ValueError:  # the row goes on in the next chunk
            return
        done += len(text[at:end].encode("utf-8"))
        at = end
        yield pos + done


def _xml_ends(data: bytes, pos: int) -> Iterator[int]:
    end = data.find(b"</result>", pos)
    while end >= 0:
        yield end + len(b"</result>")
        end = data.find(b"</result>", end + 1)


def _line_ends(newline: bytes, quoted: bool) -> Callable[[bytes, int], Iterator[int]]:
    """Ends of rows that end with ``newline``; in CSV a line end between quotes is inside a value."""

    def ends(data: bytes, pos: int) -> Iterator[int]:
        start, end = pos, data.find(newline, pos)
        while end >= 0:
            if not quoted or data.count(b'"', start, end) % 2 == 0:  # "" is an escaped quote: parity holds
                start = end + len(newline)
                yield start
            end = data.find(newline, end + len(newline))

    return ends


@dataclass(frozen=True)
class Layout:
    """How one results format lays out rows, for :class:`RowSink`."""

    mark: bytes  #: a byte pattern that occurs at least once per row, bar ``missed`` rows
    missed: int  #: rows without a mark (negative: marks in the header)
    shortest: int  #: the fewest bytes a row takes (an empty row), so ``limit`` rows need more than ``limit * shortest``
    first: Callable[[bytes], int]  #: offset of the first row; -1 while the header is not all there
    ends: Callable[[bytes, int], Iterator[int]]  #: offsets just after each complete row, from a row boundary
    close: bytes  #: what ends the document after the last row


def _after(marker: bytes) -> Callable[[bytes], int]:
    def first(data: bytes) -> int:
        at = data.find(marker)
        return at + len(marker) if at >= 0 else -1

    return first


_DECODER = json.JSONDecoder()
LAYOUTS: dict[str, Layout] = {
    # every row but the first follows ",{"; variable names hold no '"', so the header ends at the first "bindings":[
    "json": Layout(b",{", 1, 3, _after(b'"bindings":['), _json_ends, b"]}}"),
    "xml": Layout(b"<result>", 0, len("<result></result>"), _after(b"<results>"), _xml_ends, b"</results></sparql>"),
    "csv": Layout(b"\r\n", -1, 2, _after(b"\r\n"), _line_ends(b"\r\n", quoted=True), b""),
    "tsv": Layout(b"\n", -1, 1, _after(b"\n"), _line_ends(b"\n", quoted=False), b""),
}


class Enough(Exception):
    """Raised by :class:`RowSink` to stop Oxigraph's serialiser: the rows to send, and one more, have come."""


class RowSink:
    """A binary file for Oxigraph's results serialiser that keeps the first ``limit`` rows.

    :meth:`answer` gives the bytes to send and whether rows were cut. Until the answer is
    longer than ``limit`` shortest rows, nothing is counted; then the marks are; past the
    limit, rows are found exactly (see the module's docstring).
    """

    def __init__(self, fmt: str, limit: int) -> None:
        self.layout = LAYOUTS[fmt]
        self.limit = max(0, limit)
        self.chunks: list[bytes] = []
        self.size = 0
        self.marks: int | None = None  # None: not counted yet (the answer is too short to pass the limit)
        self.tail = b""  # the last bytes, where a mark may begin that the next chunk ends
        self.overlap = len(self.layout.mark) - 1
        # exact counting, once the marks pass the limit
        self.exact = False
        self.kept = 0  # bytes in chunks before `pending`
        self.pending = b""  # from the end of the last complete row
        self.rows = 0
        self.cut: int | None = None  # bytes to send when rows were cut

    def write(self, chunk: bytes) -> int:
        """Take one chunk; raise :class:`Enough` once row ``limit + 1`` has come."""
        if self.exact:
            self.pending += chunk
            self._scan()
            return len(chunk)
        self.chunks.append(chunk)
        self.size += len(chunk)
        mark, overlap = self.layout.mark, self.overlap
        if self.marks is not None:
            self.marks += (self.tail + chunk[:overlap]).count(mark) + chunk.count(mark)
            recent = self.tail + chunk[-overlap:] if overlap else b""
        elif self.size > self.limit * self.layout.shortest:
            recent = b"".join(self.chunks)
            self.chunks = [recent]
            self.marks = recent.count(mark) + self.layout.missed
        else:
            return len(chunk)
        self.tail = recent[-overlap:] if overlap else b""
        if self.marks > self.limit:
            self._start_exact()
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the bytes are kept until :meth:`answer`."""

    def answer(self, finished: bool) -> tuple[bytes, bool]:
        """The bytes to send and whether rows were cut (``finished``: the serialiser wrote everything)."""
        body = b"".join([*self.chunks, self.pending])
        if finished:  # Enough was not raised: no row past the limit came
            return body, False
        assert self.cut is not None, "Enough is raised after row limit + 1 only"
        return body[: self.cut] + self.layout.close, True

    def _start_exact(self) -> None:
        data = b"".join(self.chunks)
        first = self.layout.first(data)
        if first < 0:  # the header goes on in the next chunk
            self.chunks = [data]
            return
        self.exact = True
        self.chunks, self.pending, self.kept = [data[:first]], data[first:], first
        if self.limit == 0:
            self.cut = first
        self._scan()

    def _scan(self) -> None:
        """Count the complete rows in ``pending``; note the cut after row ``limit``; stop after one more."""
        done = 0
        for end in self.layout.ends(self.pending, 0):
            self.rows += 1
            if self.rows == self.limit:
                self.cut = self.kept + end
            elif self.rows > self.limit:
                raise Enough
            done = end
        if done:
            self.chunks.append(self.pending[:done])
            self.pending = self.pending[done:]
            self.kept += done


def solutions(results: ox.QuerySolutions, fmt: str, limit: int) -> tuple[bytes, bool]:
    """A SELECT answer in ``fmt`` (``json``, ``xml``, ``csv``, ``tsv``): its first ``limit`` rows, and whether more were cut."""
    sink = RowSink(fmt, limit)
    try:
        results.serialize(sink, RESULT_FORMATS[fmt])  # type: ignore[arg-type]
    except Enough:
        return sink.answer(finished=False)
    return sink.answer(finished=True)


def boolean(value: bool, fmt: str) -> bytes:
    """An ASK answer (CSV and TSV as a one-column table, ``_askResult``, like Jena and RDF4J)."""
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{word}</boolean></sparql>\n"
        ).encode()
    header = "_askResult" if fmt == "csv" else "?_askResult"
    return f"{header}\r\n{word}\r\n".encode()


def graph(triples: Iterable[ox.Triple], fmt: str, limit: int, prefixes: dict[str, str]) -> tuple[bytes, bool]:
    """A CONSTRUCT/DESCRIBE answer in ``fmt`` (``ttl``, ``nt``, ``jsonld``, ``rdf``): its first ``limit`` triples."""
    taken = list(itertools.islice(triples, limit + 1))  # one more than sent tells whether it was cut
    return _graph(taken[:limit], fmt, prefixes), len(taken) > limit


def _graph(triples: list[ox.Triple], fmt: str, prefixes: dict[str, str]) -> bytes:
    serialised = ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=prefixes if fmt in {"ttl", "rdf"} else None)
    return serialised or b""
