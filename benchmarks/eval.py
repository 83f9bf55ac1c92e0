"""Evaluate extraction on MEANTIME Apple and the SemEval-2015 TimeLine trial timelines.

Run: ``make eval`` (or ``.venv/bin/python benchmarks/eval.py [MEANTIME_DIR] [--errors]``).

Every MEANTIME article is parsed once (``Extractor.extract_many``) and the extractions are
shared by the sections, each printed as a table and written to
``benchmarks/results/eval.json``:

- entities, events, times: mentions against MEANTIME's gold in each article's annotated
  region (see :mod:`eval_extraction` and :mod:`eval_times`);
- identity: the extractions go through the ingest chain into a temporary store and the
  resolved actor and event IRIs are scored as cross-document clusters against MEANTIME's
  ``instance_id`` (:func:`eval_extraction.score_identity`);
- timelines: the events of the SemEval-2015 task 4 trial gold timelines (over the same
  articles, under other document ids) — are they found, dated and ordered as in gold
  (:func:`score_timelines`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_extraction import (
    Parsed,
    Ratio,
    Row,
    Section,
    best_match,
    resolve_corpus,
    score_entities,
    score_events,
    score_identity,
)
from eval_times import score_times
from meantime import MeantimeDoc, load_meantime
from rich.console import Console
from rich.table import Table

from kgservice.extract.records import ArticleInput, Event, Extraction, Span

HERE = Path(__file__).resolve().parent
EVAL_DATA = HERE.parents[1] / "shared" / "eval"
MEANTIME = EVAL_DATA / "meantime-apple"
TIMELINES = EVAL_DATA / "timeline-trial" / "gold-timelines"
OUTPUT = HERE / "results" / "eval.json"
SECTIONS = ("entities", "events", "times", "identity", "timelines")


# -- corpus ----------------------------------------------------------------------------


def extract_corpus(docs: Sequence[MeantimeDoc], model: str) -> list[Extraction]:
    """Parse every document once, in batches, with the service's extractor."""
    from kgservice.extract.extractor import Extractor

    extractor = Extractor(model)
    articles = [
        ArticleInput(id=f"meantime-{doc.doc_id or n}", text=doc.text, published=doc.dct) for n, doc in enumerate(docs)
    ]
    return list(extractor.extract_many(articles))


# -- timelines -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineRef:
    """One event mention of a gold timeline: ``<position> <date> <doc>-<sentence>-<word>``."""

    target: str
    position: int
    date: str
    doc: str
    sentence: int
    word: str

    @property
    def name(self) -> str:
        """The mention as the timeline file writes it."""
        return f"{self.doc}-{self.sentence}-{self.word}"


def load_timelines(directory: Path) -> list[TimelineRef]:
    """Read every ``*.txt`` timeline: a target entity line, then tab-separated entries."""
    refs = []
    for path in sorted(directory.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:
            if not line.strip():
                continue
            position, when, *mentions = line.split("\t")
            for mention in mentions:
                doc, sentence, word = mention.split("-", 2)
                refs.append(TimelineRef(lines[0].strip(), int(position), when, doc, int(sentence), word))
    return refs


def _norm(text: str) -> str:
    return re.sub(r"[\s_]", "", text).lower()


def align(doc: MeantimeDoc, sentence: int, word: str) -> tuple[int, int] | None:
    """The character span of ``word`` (``_`` joins words) in a sentence; a gold event mention there first.

    A multi-word event whose words are not adjacent ("took_off" in "took six months off")
    is located by its first word.
    """
    tokens = [t for t in doc.tokens if t.sentence == sentence]
    found = []
    for i in range(len(tokens)):
        for k in range(1, min(5, len(tokens) - i) + 1):
            if _norm("".join(t.text for t in tokens[i : i + k])) == _norm(word):
                found.append((tokens[i].start, tokens[i + k - 1].end))
    if not found and "_" in word:  # a phrasal verb around its object: "took six months off"
        head = _norm(word.split("_")[0])
        found = [(t.start, t.end) for t in tokens if _norm(t.text) == head]
    if not found:
        return None
    annotated = [s for s in found if any(m.start < s[1] and s[0] < m.end for m in doc.events)]
    return (annotated or found)[0]


def map_documents(refs: Sequence[TimelineRef], docs: Sequence[MeantimeDoc]) -> dict[str, int]:
    """Trial document id -> index of the MEANTIME article it is (the trial data uses other ids).

    The article chosen is the one where most of the id's mentions fall on a gold event
    mention, then on any token, then whose creation month matches most gold dates.
    """
    by_doc: dict[str, list[TimelineRef]] = defaultdict(list)
    for ref in refs:
        by_doc[ref.doc].append(ref)
    out = {}
    for trial_id, doc_refs in sorted(by_doc.items()):

        def fit(n: int, doc_refs: list[TimelineRef] = doc_refs) -> tuple[int, int, int]:
            doc = docs[n]
            spans = [align(doc, r.sentence, r.word) for r in doc_refs]
            on_event = sum(s is not None and any(m.start < s[1] and s[0] < m.end for m in doc.events) for s in spans)
            month = doc.dct.isoformat()[:7] if doc.dct else "-"
            return on_event, sum(s is not None for s in spans), sum(r.date.startswith(month) for r in doc_refs)

        best = max(range(len(docs)), key=fit)
        if fit(best)[1]:
            out[trial_id] = best
    return out


def gold_bounds(value: str) -> tuple[str, date, date] | None:
    """A timeline date (``2008-03-XX``, ``2010``, ``XXXX-XX-XX``) as its known prefix and calendar bounds."""
    parts = []
    for part in value.split("-"):
        if not part.isdigit():
            break
        parts.append(int(part))
    if not parts:
        return None
    year = parts[0]
    if len(parts) == 1:
        return f"{year:04d}", date(year, 1, 1), date(year, 12, 31)
    month = parts[1]
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)) if len(parts) == 2 else None
    if last is not None:
        return f"{year:04d}-{month:02d}", date(year, month, 1), last
    day = date(year, month, parts[2])
    return day.isoformat(), day, day


def _our_bounds(event: Event | None) -> tuple[str | None, date, date] | None:
    if event is None or event.time is None:
        return None
    value = event.time.value
    if value.earliest is None or value.latest is None:
        return None
    return value.timex, value.earliest, value.latest


def _date_verdict(ref: TimelineRef, event: Event) -> str:
    """exact, consistent (calendar bounds overlap), wrong (disjoint) or undated (no calendar time of ours)."""
    gold, ours = gold_bounds(ref.date), _our_bounds(event)
    if gold is None or ours is None:
        return "undated"
    if ours[0] == gold[0]:
        return "exact"
    return "consistent" if ours[1] <= gold[2] and gold[1] <= ours[2] else "wrong"


def _order_pairs(timelines: Iterable[list[tuple[int, date, date]]]) -> Counter[str]:
    """Compare gold order with ours for pairs at different gold positions of one timeline.

    Each entry is (gold position, our earliest, our latest date): a pair agrees when our
    bounds put the earlier gold event strictly before the later one, is reversed when they
    put it strictly after, and overlaps otherwise.
    """
    order: Counter[str] = Counter({"agree": 0, "reversed": 0, "overlap": 0})
    for entries in timelines:
        for a, b in combinations(sorted(entries), 2):
            if a[0] == b[0]:
                continue
            order["agree" if a[2] < b[1] else "reversed" if b[2] < a[1] else "overlap"] += 1
    return order


def score_timelines(parsed: Parsed, refs: Sequence[TimelineRef]) -> Section:
    """Gold timeline events: found by an event of ours, dated like gold, and ordered like gold."""
    docs = [doc for doc, _ in parsed]
    mapping = map_documents(refs, docs)
    found: dict[str, Counter[bool]] = defaultdict(Counter)
    verdicts: Counter[str] = Counter()
    unaligned: list[str] = []
    errors: list[str] = []
    dated: dict[str, list[tuple[int, date, date]]] = defaultdict(list)
    for ref in refs:
        n = mapping.get(ref.doc)
        span = align(docs[n], ref.sentence, ref.word) if n is not None else None
        if n is None or span is None:
            unaligned.append(ref.name)
            found[ref.target][False] += 1
            continue
        events: list[tuple[Span, Event]] = [(m, e) for e in parsed[n][1].events for m in e.mentions]
        match = best_match(span, events)
        found[ref.target][match is not None] += 1
        if match is None:
            errors.append(f"{ref.target[:20]:20} MISSED {ref.name} ({ref.date})")
            continue
        if gold_bounds(ref.date) is None:
            continue
        verdict = _date_verdict(ref, match[1])
        verdicts[verdict] += 1
        if verdict != "exact":
            time_text = match[1].time.span.text if match[1].time else None
            errors.append(f"{ref.target[:20]:20} DATE {verdict} {ref.name} gold {ref.date} ours {time_text!r}")
        ours = _our_bounds(match[1])
        if ours is not None:
            dated[ref.target].append((ref.position, ours[1], ours[2]))
    order = _order_pairs(dated.values())
    total = sum(sum(c.values()) for c in found.values())
    hit = sum(c[True] for c in found.values())
    judged = sum(verdicts.values())
    pairs = sum(order.values())
    rows = [Row("found", "gold timeline events found (an event of ours overlaps)", total, recall=Ratio(hit, total))]
    targets = sorted(found)
    for n, target in enumerate(targets):
        counts = found[target]
        slug = re.sub(r"\W+", "_", target.lower())
        rows.append(
            Row(
                f"found_{slug}",
                f"  {target}",
                counts[True] + counts[False],
                recall=Ratio(counts[True], counts[True] + counts[False]),
                rule_after=n == len(targets) - 1,
            )
        )
    labels = {
        "exact": "same value",
        "consistent": "other value, calendar bounds overlap",
        "wrong": "calendar bounds disjoint",
        "undated": "no calendar time of ours",
    }
    for n, (verdict, text) in enumerate(labels.items()):
        rows.append(
            Row(
                f"date_{verdict}",
                f"date of found, gold-dated events: {text}",
                judged,
                accuracy=Ratio(verdicts[verdict], judged),
                rule_after=n == len(labels) - 1,
            )
        )
    for outcome, text in (("agree", "in gold's order"), ("reversed", "reversed"), ("overlap", "not ordered by us")):
        rows.append(
            Row(f"order_{outcome}", f"pairs of dated events: {text}", pairs, accuracy=Ratio(order[outcome], pairs))
        )
    return Section(
        key="timelines",
        title="Timelines: SemEval-2015 task 4 trial gold timelines",
        rows=rows,
        notes=[
            "Whole articles are scored: the timelines' events lie anywhere in them, not only in MEANTIME's"
            " annotated region. A mention counts once per timeline it is on.",
            f"Trial document ids mapped to MEANTIME articles by word positions: {len(mapping)} ids;"
            f" {len(unaligned)} mentions not located ({', '.join(unaligned) or 'none'}).",
            "Not the official TimeLine score (temporal awareness of each target entity's timeline): that needs the"
            " target's events picked first, and the targets are mostly products (iPhone 4, iPod, iTunes store) that"
            " have no actor IRI of their own here; the gold events are scored directly.",
            "Order: pairs of events at different gold positions of one timeline that both carry a calendar time of"
            " ours; agree if our bounds put them in gold's order, not ordered if the bounds overlap.",
        ],
        details={"document_map": {trial: docs[n].name for trial, n in sorted(mapping.items())}},
        errors=errors,
    )


# -- report ----------------------------------------------------------------------------

COLUMNS = (
    ("gold", "Gold"),
    ("pred", "Ours"),
    ("precision", "P"),
    ("recall", "R"),
    ("f1", "F1"),
    ("accuracy", "Share"),
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Ratio):
        score = value.value
        return f"{score:.3f} ({value.num}/{value.den})" if score is not None else f"— (0/{value.den})"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def table(section: Section) -> Table:
    """The section as a rich table with only the columns it uses, footnotes as the caption."""
    used = [(key, head) for key, head in COLUMNS if any(getattr(row, key) is not None for row in section.rows)]
    out = Table(
        title=section.title,
        caption="\n".join(f"* {note}" for note in section.notes),
        caption_justify="left",
        title_justify="left",
    )
    out.add_column("Measure")
    for _, head in used:
        out.add_column(head, justify="right")
    for row in section.rows:
        out.add_row(row.label, *(_cell(getattr(row, key)) for key, _ in used), end_section=row.rule_after)
    return out


def run(
    meantime: Path, timelines: Path, sections: Sequence[str], dct: bool = True
) -> tuple[list[Section], dict[str, Any]]:
    """Parse the corpus once and score the requested sections; return them and the run's metadata."""
    from kgservice.settings import load_settings

    started = time.perf_counter()
    docs = load_meantime(meantime)
    if not docs:
        raise SystemExit(f"no MEANTIME articles in {meantime}")
    model = load_settings().spacy_model
    extractions = extract_corpus(docs, model)
    parsed = list(zip(docs, extractions, strict=True))
    parse_seconds = time.perf_counter() - started
    scorers: dict[str, Callable[[], Section]] = {
        "entities": lambda: score_entities(parsed),
        "events": lambda: score_events(parsed),
        "times": lambda: score_times(parsed, dct),
        "identity": lambda: score_identity(parsed, resolve_corpus(parsed)),
        "timelines": lambda: score_timelines(parsed, load_timelines(timelines)),
    }
    results = [scorers[name]() for name in sections if name != "timelines" or timelines.is_dir()]
    meta = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "documents": len(docs),
        "meantime": str(meantime),
        "timelines": str(timelines) if "timelines" in sections and timelines.is_dir() else None,
        "model": extractions[0].model if extractions else model,
        "model_version": extractions[0].model_version if extractions else "",
        "dct_scored": dct,
        "parse_seconds": round(parse_seconds, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
    return results, meta


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation, print one table per section and write the JSON results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("meantime", nargs="?", type=Path, default=MEANTIME, help="MEANTIME CAT XML directory")
    ap.add_argument("--timelines", type=Path, default=TIMELINES, help="gold timelines directory (skipped if absent)")
    ap.add_argument("--section", action="append", choices=SECTIONS, help="only these sections (repeatable)")
    ap.add_argument("--no-dct", action="store_true", help="do not score the date line as a TIMEX3")
    ap.add_argument("--errors", action="store_true", help="list every mismatch after the tables")
    ap.add_argument(
        "--output",
        type=Path,
        help="where to write the JSON results (default: results/eval.json, or results/eval-<sections>.json)",
    )
    args = ap.parse_args(argv)
    sections = list(dict.fromkeys(args.section or SECTIONS))
    if args.output is None:
        partial = sections != list(SECTIONS)
        args.output = OUTPUT.with_name(f"eval-{'-'.join(sections)}.json") if partial else OUTPUT
    results, meta = run(args.meantime, args.timelines, sections, dct=not args.no_dct)
    console = Console(width=max(Console().width, 130))
    for section in results:
        console.print(table(section))
        console.print()
    if args.errors:
        for section in results:
            if section.errors:
                console.rule(f"{section.key}: mismatches")
                for line in section.errors:
                    console.print(line, markup=False, highlight=False)
        if any(s.key == "entities" for s in results):
            _print_missed_names(console, next(s for s in results if s.key == "entities"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, **{section.key: section.as_json() for section in results}}
    args.output.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(
        f"{meta['documents']} articles, parsed in {meta['parse_seconds']:.1f} s, "
        f"{meta['seconds']:.1f} s in all; results in {args.output}",
        highlight=False,
    )
    return 0


def _print_missed_names(console: Console, entities: Section, top: int = 15) -> None:
    missed = entities.details.get("missed_named", [])
    out = Table(title=f"Most often missed gold names (NAM, PRE.NAM), top {top}", title_justify="left")
    for head in ("Mention", "Type", "Missed"):
        out.add_column(head, justify="right" if head == "Missed" else "left")
    for entry in missed[:top]:
        out.add_row(entry["text"], entry["type"], str(entry["count"]))
    console.print(out)


if __name__ == "__main__":
    sys.exit(main())
