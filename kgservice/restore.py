"""Restoring dumps: TriG and N-Quads files (gzipped or not) put their named graphs back.

A dump is first read whole into a scratch store on disk (a large dump is never held in
memory, and a file that does not parse changes nothing); then each of its graphs replaces
the graph of the same name in the store, one transaction per graph, the ontology graph
included. Graphs the dump does not hold are left alone. So ``kgservice export`` followed by
``kgservice ingest dump.nq`` on another machine moves a store (backup and migration).
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from kgservice.errors import InputError
from kgservice.store import GraphStore, syntax_message

BATCH = 20_000  # quads read into the scratch store at once
FLUSH_EVERY = 100_000  # quads written between flushes: Oxigraph holds unflushed writes in memory

DUMP_FORMATS: dict[str, ox.RdfFormat] = {
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig.gz": ox.RdfFormat.TRIG,
    ".nq.gz": ox.RdfFormat.N_QUADS,
}


def dump_format_of(path: Path) -> ox.RdfFormat | None:
    """The RDF format of a dump file by its name (``.trig``, ``.nq``, optionally ``.gz``), else ``None``."""
    name = path.name.lower()
    for suffix, rdf_format in DUMP_FORMATS.items():
        if name.endswith(suffix):
            return rdf_format
    return None


def find_dumps(paths: Iterable[Path]) -> list[Path]:
    """The dump files among ``paths``: files named as dumps, and those inside folders (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and dump_format_of(p)))
        elif dump_format_of(path):
            found.append(path)
    return found


@dataclass(frozen=True)
class Restored:
    """What one dump file put back."""

    graphs: int
    quads: int


@dataclass
class RestoreSummary:
    """Counts of the dumps restored in one run, and the files that failed with their reasons."""

    files: int = 0
    graphs: int = 0
    quads: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)

    def line(self) -> str:
        """One summary line."""
        return (
            f"restored {self.graphs} graph{'s' * (self.graphs != 1)} ({self.quads} quads) "
            f"from {self.files} dump file{'s' * (self.files != 1)}, {len(self.failures)} failed"
        )


def restore_all(store: GraphStore, paths: Iterable[Path]) -> RestoreSummary:
    """Restore every dump file; a bad file is reported and the others are still restored."""
    summary = RestoreSummary()
    for path in paths:
        try:
            restored = restore_file(store, path)
        except InputError as exc:
            summary.failures.append((path, exc.message))
            continue
        summary.files += 1
        summary.graphs += restored.graphs
        summary.quads += restored.quads
    return summary


def restore_file(store: GraphStore, path: Path) -> Restored:
    """Replace each graph the dump at ``path`` holds (the default graph too, if it has triples)."""
    rdf_format = dump_format_of(path)
    if rdf_format is None:
        raise InputError("not a dump: expected .trig, .nq, .trig.gz or .nq.gz")
    with tempfile.TemporaryDirectory(prefix="kgservice-restore-") as scratch_dir:
        scratch = ox.Store(scratch_dir)
        _load(scratch, path, rdf_format)
        graphs = quads = unflushed = 0
        for name in _graph_names(scratch):
            triples = (q.triple for q in scratch.quads_for_pattern(None, None, None, name))
            written = store.replace_graph_triples(name.value if isinstance(name, ox.NamedNode) else None, triples)
            graphs, quads, unflushed = graphs + 1, quads + written, unflushed + written
            if unflushed >= FLUSH_EVERY:
                store.flush()
                unflushed = 0
        del scratch  # closes the scratch store before its folder is removed
    return Restored(graphs, quads)


def _load(scratch: ox.Store, path: Path, rdf_format: ox.RdfFormat) -> None:
    """Read the whole dump into ``scratch``; a clear error if it is missing, not gzip or not RDF."""
    try:
        with _open(path) as stream:
            quads = ox.parse(stream, rdf_format)
            while batch := list(itertools.islice(quads, BATCH)):
                scratch.bulk_extend(batch)  # in batches: Store.bulk_load held ~1 GB for 1M quads
    except FileNotFoundError:
        raise InputError("no such file") from None
    except SyntaxError as exc:
        raise InputError(f"not valid {rdf_format.name}: {syntax_message(exc)}") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read the dump: {exc}") from None


@contextlib.contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield cast(IO[bytes], stream)
    else:
        with path.open("rb") as stream:
            yield stream


def _graph_names(scratch: ox.Store) -> list[ox.NamedNode | ox.DefaultGraph]:
    """The scratch store's named graphs, and the default graph first when it holds triples."""
    names: list[ox.NamedNode | ox.DefaultGraph] = []
    for name in scratch.named_graphs():
        if not isinstance(name, ox.NamedNode):
            raise InputError(f"a graph is named by a blank node ({name}); only graphs named by IRIs can be restored")
        names.append(name)
    if next(iter(scratch.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        names.insert(0, ox.DefaultGraph())
    return names
