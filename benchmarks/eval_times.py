"""Score the extracted temporal expressions (``Extraction.times``) on MEANTIME Apple.

Predicted spans are matched to the gold TIMEX3 spans by character offsets (strict: same
span; relaxed: overlap), one to one, exact spans first and then by largest overlap; type
and value accuracy are measured on those pairs.  Only the annotated region of each
article (title, date line and the first body sentences) is scored.  The date line itself
is the DCT and is scored like any other TIMEX3 unless ``dct=False`` (``--no-dct``).

Run: ``.venv/bin/python benchmarks/eval_times.py [--no-dct] [--errors]`` (the time
section of ``benchmarks/eval.py``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_extraction import Parsed, Ratio, Row, Section, in_region, prf_row
from meantime import GoldTimex, MeantimeDoc

from kgservice.extract.records import TimeExpr


@dataclass
class Score:
    """Running counts over all documents."""

    gold: int = 0
    pred: int = 0
    strict: int = 0
    relaxed_gold: int = 0
    relaxed_pred: int = 0
    pairs: int = 0
    value_ok: int = 0
    type_ok: int = 0
    errors: list[str] = field(default_factory=list)


def _overlaps(a: TimeExpr, g: GoldTimex) -> bool:
    return a.span.start < g.end and g.start < a.span.end


def _pairs(preds: list[TimeExpr], golds: list[GoldTimex]) -> list[tuple[TimeExpr, GoldTimex]]:
    """One-to-one overlap matching, exact spans first, then by largest overlap."""
    scored = []
    for p in preds:
        for g in golds:
            if _overlaps(p, g):
                exact = p.span.start == g.start and p.span.end == g.end
                overlap = min(p.span.end, g.end) - max(p.span.start, g.start)
                scored.append((not exact, -overlap, id(p), id(g), p, g))
    used_p, used_g, out = set(), set(), []
    for _, _, ip, ig, p, g in sorted(scored, key=lambda s: s[:2]):
        if ip not in used_p and ig not in used_g:
            used_p.add(ip)
            used_g.add(ig)
            out.append((p, g))
    return out


def score_doc(doc: MeantimeDoc, preds: list[TimeExpr], score: Score, dct: bool) -> None:
    """Add one document's counts to ``score``."""
    golds = [g for g in doc.timexes if (dct or g.function != "CREATION_TIME") and in_region(doc, g.start)]
    if not dct:
        preds = [p for p in preds if not any(g.function == "CREATION_TIME" and _overlaps(p, g) for g in doc.timexes)]
    preds = [p for p in preds if in_region(doc, p.span.start)]
    score.gold += len(golds)
    score.pred += len(preds)
    score.relaxed_gold += sum(any(_overlaps(p, g) for p in preds) for g in golds)
    score.relaxed_pred += sum(any(_overlaps(p, g) for g in golds) for p in preds)
    for p, g in _pairs(preds, golds):
        score.strict += p.span.start == g.start and p.span.end == g.end
        score.pairs += 1
        score.value_ok += p.value.timex == g.value
        score.type_ok += p.type == g.type
        if p.value.timex != g.value or p.type != g.type:
            score.errors.append(
                f"{doc.name[:30]:30} {g.text!r:32} gold {g.type}:{g.value}"
                f"  pred {p.span.text!r} {p.type}:{p.value.timex}"
            )
    for g in golds:
        if not any(_overlaps(p, g) for p in preds):
            score.errors.append(f"{doc.name[:30]:30} MISSED {g.text!r} {g.type}:{g.value}")
    for p in preds:
        if not any(_overlaps(p, g) for g in golds):
            score.errors.append(f"{doc.name[:30]:30} SPURIOUS {p.span.text!r} {p.type}:{p.value.timex}")


def score_times(parsed: Parsed, dct: bool = True) -> Section:
    """Extracted times against gold TIMEX3s in each annotated region."""
    score = Score()
    for doc, extraction in parsed:
        score_doc(doc, list(extraction.times), score, dct)
    return Section(
        key="times",
        title=f"Times: extracted expressions vs. MEANTIME TIMEX3 ({'with' if dct else 'without'} the DCT line)",
        rows=[
            prf_row("relaxed", "relaxed (overlap)", score.gold, score.pred, score.relaxed_gold, score.relaxed_pred),
            prf_row("strict", "strict (same span)", score.gold, score.pred, score.strict, score.strict),
            Row("type_accuracy", "type accuracy on matched pairs", accuracy=Ratio(score.type_ok, score.pairs)),
            Row("value_accuracy", "value accuracy on matched pairs", accuracy=Ratio(score.value_ok, score.pairs)),
        ],
        notes=["Pairs are matched one to one: same span first, then by largest overlap."],
        errors=score.errors,
    )


def main(argv: list[str] | None = None) -> int:
    """Print the time section of ``benchmarks/eval.py`` (accepts ``--no-dct`` and ``--errors``)."""
    from eval import main as run

    return run(["--section", "times", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
