"""Terminal output of the CLI: the ingest progress bar and summary, result tables, the timeline."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from kgservice.errors import KGError


@dataclass
class IngestSummary:
    """Counts of one ingest run, and the files that failed with their reasons."""

    outcomes: dict[str, int] = field(default_factory=lambda: {"added": 0, "replaced": 0, "unchanged": 0})
    triples: int = 0
    skipped: int = 0  # already stored with the same content hash: not extracted again
    failures: list[tuple[Path, str]] = field(default_factory=list)

    def line(self) -> str:
        """One summary line."""
        done = sum(self.outcomes.values())
        parts = ", ".join(f"{n} {k}" for k, n in self.outcomes.items())
        skipped = f", {self.skipped} skipped (already stored)" if self.skipped else ""
        return (
            f"ingested {done} article{'s' * (done != 1)} ({parts}){skipped}, {len(self.failures)} failed; "
            f"{self.triples} triples"
        )


class RateColumn(ProgressColumn):
    """Articles per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} articles/s", style="progress.data.speed")


def ingest_with_progress(
    store: Any, settings: Any, inputs: Iterable[tuple[Path, Any]], replace: bool, jobs: int = 1
) -> IngestSummary:
    """Ingest (file, articles-or-error) pairs with a progress bar on stderr.

    Articles already stored with the same content hash are skipped without extracting
    them. The rest are extracted (in ``jobs`` worker processes when ``jobs`` > 1) and
    resolved and mapped here in input order, and written in batches
    (:meth:`kgservice.ingest.Ingester.store_extractions`); the bar counts an article once
    it is written. Then the link graphs are brought up to date, whatever the run stored.
    """
    from kgservice.bulk import parallel_extractions, serial_extractions
    from kgservice.ingest import Ingester

    items = list(inputs)
    summary = IngestSummary()
    ingester = Ingester(store, settings)
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    total = sum(1 if isinstance(articles, str) else len(articles) for _, articles in items)
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("ingesting", total=total)
        todo: list[tuple[Path, Any]] = []
        for path, articles in items:
            if isinstance(articles, str):
                summary.failures.append((path, articles))
                progress.advance(task)
                continue
            for article in articles:
                if ingester.is_stored(article):
                    summary.skipped += 1
                    progress.advance(task)
                else:
                    todo.append((path, article))
        pending = [article for _, article in todo]
        if jobs > 1 and len(pending) > 1:
            extractions = parallel_extractions(pending, settings.spacy_model, jobs, lambda: ingester.extractor)
        else:
            extractions = serial_extractions(pending, lambda: ingester.extractor)
        paths = (path for path, _ in todo)
        for path, outcome in ingester.store_extractions(zip(paths, extractions, strict=True), replace):
            if isinstance(outcome, KGError):
                summary.failures.append((path, outcome.message))
            else:
                summary.outcomes[outcome.outcome] += 1
                summary.triples += outcome.triples
            progress.advance(task)
    from kgservice.links import refresh_links

    # every run, even one that stored nothing: a run killed after its last article left the links behind
    refresh_links(store, settings)
    return summary


def print_answer(answer: Any, fmt: str) -> None:
    """Print a query answer (:class:`kgservice.guard.QueryAnswer`): as served for JSON/CSV and graphs, else a table."""
    if fmt in ("json", "csv") or answer.form == "CONSTRUCT":
        sys.stdout.write(answer.body.decode("utf-8"))
        if not answer.body.endswith(b"\n"):
            sys.stdout.write("\n")
        return
    result = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
    console = Console()
    if isinstance(result, ox.QueryBoolean):
        console.print("yes" if result else "no")
        return
    table = Table(*(v.value for v in result.variables))
    for row in result:
        table.add_row(
            *["" if term is None else str(term) if isinstance(term, ox.Triple) else term.value for term in row]
        )
    console.print(table)


def print_timeline(events: list[dict[str, Any]]) -> None:
    """Print timeline events, one per line: date, status, label, participants."""
    console = Console()
    if not events:
        console.print("no events")
        return
    table = Table("when", "status", "event", "who", "sources")
    for event in events:
        who = ", ".join(p.get("label") or p["id"] for p in event.get("participants", []))
        when = event.get("date") or _when(event)
        table.add_row(when, event["status"], event["label"], who, str(len(event.get("sources", []))))
    console.print(table)


def _when(event: dict[str, Any]) -> str:
    earliest, latest = event.get("earliest"), event.get("latest")
    if earliest and latest and earliest != latest:
        return f"{earliest} – {latest}"
    if earliest:
        return str(earliest)
    if latest:
        return f"by {latest}"
    return "undated"
