"""Score actor and event extraction on MEANTIME Apple (relaxed span overlap).

Run: ``.venv/bin/python benchmarks/eval_extraction.py``. Prints mention precision, recall
and F1 for actors (against gold entity mentions) and events (against gold event mentions).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from meantime import load_meantime

from kgservice.extract.extractor import Extractor
from kgservice.extract.records import ArticleInput
from kgservice.settings import load_settings

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "meantime-apple"


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two character spans share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


def score(gold: list[tuple[int, int]], predicted: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Relaxed precision, recall and F1."""
    hit_p = sum(any(overlaps(p, g) for g in gold) for p in predicted)
    hit_g = sum(any(overlaps(g, p) for p in predicted) for g in gold)
    precision = hit_p / len(predicted) if predicted else 0.0
    recall = hit_g / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(directory: Path = EVAL) -> dict[str, tuple[float, float, float]]:
    """Actor and event mention scores over every MEANTIME document."""
    extractor = Extractor(load_settings().spacy_model)
    gold_a, pred_a, gold_e, pred_e = [], [], [], []
    for n, doc in enumerate(load_meantime(directory)):
        end = doc.annotated_end or len(doc.text)
        article = ArticleInput(id=f"m{n}", text=doc.text, published=doc.dct or date(2000, 1, 1))
        extraction = extractor.extract(article)
        shift = n * 10_000_000
        gold_a += [(m.start + shift, m.end + shift) for m in doc.entities if m.end <= end]
        gold_e += [(m.start + shift, m.end + shift) for m in doc.events if m.end <= end]
        pred_a += [(m.start + shift, m.end + shift) for a in extraction.actors for m in a.mentions if m.end <= end]
        pred_e += [(m.start + shift, m.end + shift) for e in extraction.events for m in e.mentions if m.end <= end]
    return {"actors": score(gold_a, pred_a), "events": score(gold_e, pred_e)}


def main() -> None:
    """Print the scores."""
    for kind, (p, r, f) in evaluate().items():
        print(f"{kind:7s} P={p:.3f} R={r:.3f} F1={f:.3f}")


if __name__ == "__main__":
    main()
