"""Score actor and event extraction on MEANTIME Apple, and the cross-document identity of both.

This module also holds the pieces every section of ``benchmarks/eval.py`` shares: the
annotated-region filter, span matching, and the score records (:class:`Ratio`,
:class:`Row`, :class:`Section`) that are printed as tables and written as JSON.

Sections:

- :func:`score_entities`: actor mentions against gold entity mentions (relaxed and strict
  P/R/F1, recall per gold type, recall of named mentions, type accuracy);
- :func:`score_events`: event mentions against gold event mentions (P/R/F1, recall per gold
  class, precision per class of ours);
- :func:`score_identity`: B-cubed and cross-document pairwise scores of the IRIs the ingest
  chain gives actors and events (see :func:`resolve_corpus`) against MEANTIME's
  corpus-level ``instance_id`` clusters.

Run: ``.venv/bin/python benchmarks/eval_extraction.py`` (the entity and event sections of
``benchmarks/eval.py``).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from meantime import GoldMention, MeantimeDoc

from kgservice.extract.records import Extraction, Span
from kgservice.graph.mapping import Identities

GOLD_TYPES = ("PER", "ORG", "LOC", "PRO", "FIN")
GOLD_CLASSES = ("OTHER", "SPEECH_COGNITIVE", "GRAMMATICAL", "MIX")
ACTOR_TO_GOLD = {"Person": "PER", "Organization": "ORG", "Place": "LOC"}
NAMED = ("NAM", "PRE.NAM")

Parsed = Sequence[tuple[MeantimeDoc, Extraction]]
T = TypeVar("T")


# -- score records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A proportion kept with its counts, so tables and JSON can show both."""

    num: int
    den: int

    @property
    def value(self) -> float | None:
        """``num / den``, or ``None`` when nothing was counted."""
        return self.num / self.den if self.den else None

    def as_json(self) -> dict[str, Any]:
        """``{"value", "num", "den"}`` with the value rounded to four places."""
        value = self.value
        return {"value": None if value is None else round(value, 4), "num": self.num, "den": self.den}


Score = Ratio | float | None


def f1(precision: Score, recall: Score) -> float | None:
    """The harmonic mean of two scores (``None`` if either is undefined)."""
    p = precision.value if isinstance(precision, Ratio) else precision
    r = recall.value if isinstance(recall, Ratio) else recall
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Row:
    """One line of a section's table; unset cells stay empty (and out of the JSON)."""

    key: str
    label: str
    gold: int | None = None
    pred: int | None = None
    precision: Score = None
    recall: Score = None
    f1: float | None = None
    accuracy: Score = None
    rule_after: bool = False

    def as_json(self) -> dict[str, Any]:
        """The row's set cells, ratios as ``{"value", "num", "den"}``."""
        out: dict[str, Any] = {"label": self.label}
        for name in ("gold", "pred", "precision", "recall", "f1", "accuracy"):
            value = getattr(self, name)
            if isinstance(value, Ratio):
                out[name] = value.as_json()
            elif isinstance(value, float):
                out[name] = round(value, 4)
            elif value is not None:
                out[name] = value
        return out


def prf_row(key: str, label: str, gold: int, pred: int, gold_hit: int, pred_hit: int, rule_after: bool = False) -> Row:
    """A precision/recall/F1 row from counts: ``pred_hit`` of ``pred`` are right, ``gold_hit`` of ``gold`` found."""
    precision, recall = Ratio(pred_hit, pred), Ratio(gold_hit, gold)
    return Row(key, label, gold, pred, precision, recall, f1(precision, recall), rule_after=rule_after)


@dataclass
class Section:
    """One section of the report: a table, its footnotes, extra JSON-only details and an error listing."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The section as written to ``eval.json``."""
        return {
            "title": self.title,
            "rows": {row.key: row.as_json() for row in self.rows},
            "notes": self.notes,
            **self.details,
        }


# -- spans -----------------------------------------------------------------------------


def in_region(doc: MeantimeDoc, start: int) -> bool:
    """Whether a span starting at ``start`` lies in the document's annotated region."""
    return start < (doc.annotated_end or len(doc.text))


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two character spans share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


def best_match(span: tuple[int, int], candidates: Iterable[tuple[Span, T]]) -> tuple[Span, T] | None:
    """The candidate span that best matches ``span``: the same span, else the largest overlap, else the later one."""
    best, best_key = None, None
    for cand in candidates:
        sp = cand[0]
        if not overlaps(span, (sp.start, sp.end)):
            continue
        key = ((sp.start, sp.end) == span, min(span[1], sp.end) - max(span[0], sp.start), sp.start)
        if best_key is None or key > best_key:
            best, best_key = cand, key
    return best


def _gold_span(m: GoldMention) -> tuple[int, int]:
    return m.start, m.end


def _counts(gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]], strict: bool) -> tuple[int, int]:
    """(gold spans found, predicted spans right), relaxed (overlap) or strict (same span)."""
    if strict:
        gold_set, pred_set = set(gold), set(pred)
        return sum(g in pred_set for g in gold), sum(p in gold_set for p in pred)
    return sum(any(overlaps(g, p) for p in pred) for g in gold), sum(any(overlaps(p, g) for g in gold) for p in pred)


@dataclass
class _Tally:
    """Gold/predicted span counts summed over documents (spans never cross documents)."""

    gold: int = 0
    pred: int = 0
    gold_hit: int = 0
    pred_hit: int = 0

    def add(self, gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]], strict: bool = False) -> None:
        """Count one document's gold and predicted spans."""
        gold_hit, pred_hit = _counts(gold, pred, strict)
        self.gold += len(gold)
        self.pred += len(pred)
        self.gold_hit += gold_hit
        self.pred_hit += pred_hit

    def row(self, key: str, label: str, rule_after: bool = False) -> Row:
        """A precision/recall/F1 row."""
        return prf_row(key, label, self.gold, self.pred, self.gold_hit, self.pred_hit, rule_after)

    def recall_row(self, key: str, label: str, rule_after: bool = False) -> Row:
        """A recall-only row (gold spans found)."""
        return Row(key, label, gold=self.gold, recall=Ratio(self.gold_hit, self.gold), rule_after=rule_after)

    def precision_row(self, key: str, label: str, rule_after: bool = False) -> Row:
        """A precision-only row (predicted spans right)."""
        return Row(key, label, pred=self.pred, precision=Ratio(self.pred_hit, self.pred), rule_after=rule_after)


# -- entities --------------------------------------------------------------------------


def score_entities(parsed: Parsed) -> Section:
    """Actor mentions against gold entity mentions in each annotated region."""
    relaxed, strict = _Tally(), _Tally()
    by_type: dict[str, _Tally] = defaultdict(_Tally)
    named: dict[tuple[bool, bool], _Tally] = defaultdict(_Tally)  # (PER/ORG/LOC only?, strict?)
    confusion: Counter[tuple[str, str]] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    errors: list[str] = []
    for doc, extraction in parsed:
        gold = [m for m in doc.entities if in_region(doc, m.start)]
        pred = [(m, a.type) for a in extraction.actors for m in a.mentions if in_region(doc, m.start)]
        gold_spans, pred_spans = [_gold_span(m) for m in gold], [(m.start, m.end) for m, _ in pred]
        relaxed.add(gold_spans, pred_spans)
        strict.add(gold_spans, pred_spans, strict=True)
        for gold_type in {*GOLD_TYPES, *(m.type or "none" for m in gold)}:
            by_type[gold_type].add([_gold_span(m) for m in gold if (m.type or "none") == gold_type], pred_spans)
        names = [m for m in gold if m.attrs.get("syntactic_type") in NAMED]
        for ours_only in (True, False):
            spans = [_gold_span(m) for m in names if not ours_only or m.type in ACTOR_TO_GOLD.values()]
            named[ours_only, False].add(spans, pred_spans)
            named[ours_only, True].add(spans, pred_spans, strict=True)
        for m in names:
            match = best_match(_gold_span(m), pred)
            if match is None:
                missed[m.text, m.type or "none"] += 1
                errors.append(f"{doc.name[:30]:30} MISSED NAME {m.text!r} {m.type}")
            elif m.type is not None and m.type in ACTOR_TO_GOLD.values():
                confusion[m.type, match[1]] += 1
        for span, actor_type in pred:
            if not any(overlaps((span.start, span.end), g) for g in gold_spans):
                errors.append(f"{doc.name[:30]:30} UNMATCHED {span.text!r} {actor_type}")
    typed = sum(confusion.values())
    type_ok = sum(n for (gold_type, ours), n in confusion.items() if ACTOR_TO_GOLD.get(ours) == gold_type)
    rows = [
        relaxed.row("relaxed", "mentions, relaxed (any overlap)"),
        strict.row("strict", "mentions, strict (same span)", rule_after=True),
    ]
    types = [t for t in GOLD_TYPES if t in by_type] + sorted(set(by_type) - set(GOLD_TYPES))
    rows += [by_type[t].recall_row(f"recall_{t}", f"recall of gold {t} mentions (relaxed)") for t in types]
    rows[-1] = replace(rows[-1], rule_after=True)
    for ours_only, scope in ((True, "PER/ORG/LOC"), (False, "all types")):
        for is_strict, how in ((False, "relaxed"), (True, "strict")):
            key = f"named_recall_{'ours' if ours_only else 'all'}_{how}"
            rows.append(named[ours_only, is_strict].recall_row(key, f"named (NAM, PRE.NAM) recall, {scope}, {how}"))
    rows.append(
        Row(
            "named_type_accuracy",
            "type accuracy of found PER/ORG/LOC names",
            accuracy=Ratio(type_ok, typed),
        )
    )
    return Section(
        key="entities",
        title="Entities: actor mentions vs. MEANTIME entity mentions",
        rows=rows,
        notes=[
            "MEANTIME leaves many names unannotated (it has only five entity types: conferences are events there,"
            " currencies are not entities), so a right actor mention can count as wrong: precision is a lower bound.",
            "Type accuracy: Person=PER, Organization=ORG, Place=LOC (Group never counts as right); the gold"
            " mention is paired with the same span, else the predicted mention overlapping it most.",
        ],
        details={
            "type_confusion": [
                {"gold": g, "ours": o, "count": n} for (g, o), n in sorted(confusion.items(), key=lambda i: -i[1])
            ],
            "missed_named": [{"text": t, "type": ty, "count": n} for (t, ty), n in missed.most_common()],
        },
        errors=errors,
    )


# -- events ----------------------------------------------------------------------------


def score_events(parsed: Parsed) -> Section:
    """Event mentions against gold event mentions in each annotated region."""
    relaxed, strict = _Tally(), _Tally()
    by_class: dict[str, _Tally] = defaultdict(_Tally)
    by_ours: dict[str, _Tally] = defaultdict(_Tally)
    errors: list[str] = []
    for doc, extraction in parsed:
        gold = [m for m in doc.events if in_region(doc, m.start)]
        pred = [(m, e.cls) for e in extraction.events for m in e.mentions if in_region(doc, m.start)]
        gold_spans, pred_spans = [_gold_span(m) for m in gold], [(m.start, m.end) for m, _ in pred]
        relaxed.add(gold_spans, pred_spans)
        strict.add(gold_spans, pred_spans, strict=True)
        for cls in {*GOLD_CLASSES, *(m.type or "none" for m in gold)}:
            by_class[cls].add([_gold_span(m) for m in gold if (m.type or "none") == cls], pred_spans)
        for cls in {c for _, c in pred}:
            by_ours[cls].add(gold_spans, [(m.start, m.end) for m, c in pred if c == cls])
        for span, cls in pred:
            if not any(overlaps((span.start, span.end), g) for g in gold_spans):
                errors.append(f"{doc.name[:30]:30} UNMATCHED EVENT {span.text!r} {cls}")
    rows = [
        relaxed.row("relaxed", "mentions, relaxed (any overlap)"),
        strict.row("strict", "mentions, strict (same span)", rule_after=True),
    ]
    classes = [c for c in GOLD_CLASSES if c in by_class] + sorted(set(by_class) - set(GOLD_CLASSES))
    for n, cls in enumerate(classes):
        rows.append(
            by_class[cls].recall_row(f"recall_{cls}", f"recall of gold {cls}", rule_after=n == len(classes) - 1)
        )
    for cls in sorted(by_ours, key=lambda c: (-by_ours[c].pred, c)):
        rows.append(by_ours[cls].precision_row(f"precision_{cls}", f"precision of our {cls}"))
    return Section(
        key="events",
        title="Events: event mentions vs. MEANTIME event mentions",
        rows=rows,
        notes=[
            "A mention of ours is right if it overlaps any gold event mention, whatever its class.",
            "MEANTIME annotates nearly every event verb and noun, grammatical ones too ('is', 'has', 'began'); we extract"
            " a few classes of events, so recall is low by design.",
        ],
        errors=errors,
    )


# -- cross-document identity -----------------------------------------------------------


def resolve_corpus(parsed: Parsed) -> list[Identities]:
    """The IRIs the ingest chain gives each document's actors and events.

    Every extraction goes through :class:`kgservice.ingest.Ingester` into a temporary store,
    oldest article first (as a news feed would arrive), so each one is resolved against the
    articles stored before it, exactly as the service does.
    """
    from kgservice.ingest import Ingester
    from kgservice.resolve import resolve
    from kgservice.settings import load_settings
    from kgservice.store import GraphStore

    out: dict[int, Identities] = {}
    with tempfile.TemporaryDirectory(prefix="kgservice-eval-") as tmp:
        settings = load_settings({"KG_STORE": str(Path(tmp) / "kg")})
        with GraphStore(settings.store) as store:
            ingester = Ingester(store, settings)
            order = sorted(range(len(parsed)), key=lambda i: (parsed[i][0].dct or date.min, parsed[i][0].name))
            for i in order:
                extraction = parsed[i][1]
                out[i] = resolve(extraction, store, ingester.minter)
                ingester.store_extraction(extraction)
    return [out[i] for i in range(len(parsed))]


@dataclass(frozen=True)
class _Item:
    """A gold mention paired with a predicted mention: its document, gold cluster and predicted IRI."""

    doc: int
    gold: str
    ours: str


def _pairs_across(members: Iterable[int]) -> int:
    """Pairs of items from different documents, given each item's document."""
    per_doc = Counter(members)
    total = sum(per_doc.values())
    return (total * (total - 1) - sum(n * (n - 1) for n in per_doc.values())) // 2


@dataclass(frozen=True)
class _Scope:
    """Which gold mentions one block of identity rows clusters, and how they are paired with ours."""

    key: str
    label: str
    kind: str  # "entity" | "event"
    types: tuple[str, ...] | None = None  # gold types kept (None: all)
    strict: bool = False  # pair only with a mention of ours of the same span


SCOPES = (
    _Scope("entity", "entities", "entity"),
    _Scope("entity_ours", "entities PER/ORG/LOC", "entity", types=tuple(ACTOR_TO_GOLD.values())),
    _Scope("entity_strict", "entities, same span", "entity", strict=True),
    _Scope("event", "events", "event"),
)


def _cluster_rows(scope: _Scope, items: list[_Item], gold_mentions: dict[str, list[int]]) -> tuple[list[Row], int]:
    """B-cubed, cross-document pairwise and exact-cluster rows for one scope, and the count of complete clusters.

    ``items`` are the matched gold mentions; ``gold_mentions`` maps every gold cluster to
    the document of each of its mentions, matched or not. A cross-document cluster is
    recovered exactly when its matched mentions span two or more documents and are exactly
    the matched mentions of one IRI; complete when, besides, none of its mentions was missed.
    """
    gold: dict[Hashable, list[int]] = defaultdict(list)
    ours: dict[Hashable, list[int]] = defaultdict(list)
    joint: dict[Hashable, list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        gold[item.gold].append(n)
        ours[item.ours].append(n)
        joint[item.gold, item.ours].append(n)
    b3_p: float | None = None
    b3_r: float | None = None
    if items:
        b3_p = sum(len(joint[i.gold, i.ours]) / len(ours[i.ours]) for i in items) / len(items)
        b3_r = sum(len(joint[i.gold, i.ours]) / len(gold[i.gold]) for i in items) / len(items)

    def across(clusters: dict[Hashable, list[int]]) -> int:
        return sum(_pairs_across(items[n].doc for n in members) for members in clusters.values())

    gold_pairs, our_pairs, both = across(gold), across(ours), across(joint)
    cross = sorted(key for key, docs in gold_mentions.items() if len(set(docs)) > 1)
    exact = complete = 0
    for key in cross:
        members = gold.get(key, [])
        iris = {items[n].ours for n in members}
        if len({items[n].doc for n in members}) > 1 and len(iris) == 1 and len(ours[iris.pop()]) == len(members):
            exact += 1
            complete += len(members) == len(gold_mentions[key])
    pair_p, pair_r = Ratio(both, our_pairs), Ratio(both, gold_pairs)
    what = scope.label
    rows = [
        Row(
            f"{scope.key}_bcubed",
            f"{what}: B-cubed over matched mentions",
            len(items),
            None,
            b3_p,
            b3_r,
            f1(b3_p, b3_r),
        ),
        Row(
            f"{scope.key}_pairwise",
            f"{what}: pairwise, cross-document pairs",
            gold_pairs,
            our_pairs,
            pair_p,
            pair_r,
            f1(pair_p, pair_r),
        ),
        Row(
            f"{scope.key}_clusters_exact",
            f"{what}: cross-document clusters recovered exactly",
            len(cross),
            recall=Ratio(exact, len(cross)),
            rule_after=True,
        ),
    ]
    return rows, complete


def _gold_and_ours(
    doc: MeantimeDoc, extraction: Extraction, ids: Identities, kind: str
) -> tuple[list[GoldMention], list[tuple[Span, str]]]:
    """The gold mentions in the annotated region and our mentions with their IRIs, for entities or events."""
    if kind == "entity":
        gold = [m for m in doc.entities if in_region(doc, m.start)]
        return gold, [(s, str(ids.actors[a.id])) for a in extraction.actors for s in a.mentions]
    gold = [m for m in doc.events if in_region(doc, m.start)]
    return gold, [(s, str(ids.events[e.id])) for e in extraction.events for s in e.mentions]


def score_identity(parsed: Parsed, identities: Sequence[Identities]) -> Section:
    """B-cubed and cross-document pairwise scores of resolved actor and event IRIs against gold instances."""
    section = Section(key="identity", title="Cross-document identity: resolved IRIs vs. MEANTIME instance_id")
    for scope in SCOPES:
        items: list[_Item] = []
        gold_mentions: dict[str, list[int]] = defaultdict(list)
        for n, ((doc, extraction), ids) in enumerate(zip(parsed, identities, strict=True)):
            gold, pred = _gold_and_ours(doc, extraction, ids, scope.kind)
            for m in gold:
                if scope.types is not None and m.type not in scope.types:
                    continue
                key = m.instance_id or f"{doc.doc_id}/{m.instance or m.m_id}"
                gold_mentions[key].append(n)
                match = best_match(_gold_span(m), pred)
                if match is not None and (not scope.strict or (match[0].start, match[0].end) == _gold_span(m)):
                    items.append(_Item(n, key, match[1]))
        rows, complete = _cluster_rows(scope, items, gold_mentions)
        section.rows += rows
        matched = Ratio(len(items), sum(len(docs) for docs in gold_mentions.values()))
        section.details[scope.key] = {
            "matched_mentions": matched.as_json(),
            "clusters_complete": Ratio(complete, rows[-1].gold or 0).as_json(),
        }
        section.notes.append(f"{scope.label}: {matched.num} of {matched.den} gold mentions are matched.")
    section.notes += [
        "A gold mention (annotated region) is matched to the mention of ours it overlaps most (same span only, for"
        " 'same span'); its gold cluster is the instance's corpus-level instance_id (an event instance without"
        " one is a cluster of its own document), ours the IRI the ingest chain resolved. Oldest article first.",
        "B-cubed counts every pair, within and across documents; pairwise counts only pairs from different documents.",
        "Exact: the cluster's matched mentions span 2+ documents and are exactly one IRI's matched mentions.",
    ]
    return section


def main(argv: list[str] | None = None) -> int:
    """Print the entity and event sections of ``benchmarks/eval.py``."""
    from eval import main as run

    return run(["--section", "entities", "--section", "events", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
