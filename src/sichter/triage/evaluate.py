"""Accuracy on an agency's own labelled data (pure statistics; ``sichter evaluate``).

Labels per content: ``explicit`` (0/1), ``age`` (years, of the youngest person; blank when
no person) and ``category``. Predictions: the explicit score, the youngest face's age
estimate and band, and the priority. Reported: explicit ROC-AUC (Mann–Whitney, ties count
half) and precision/recall at the threshold; age MAE and the band confusion matrix; and how
much review a priority-ordered queue saves at 95 % and 99 % recall of explicit items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sichter.triage.age import age_band

BANDS = ("under14", "14to17", "adult", "uncertain", "none")


@dataclass(frozen=True)
class Labelled:
    sha256: str
    explicit: bool | None
    age: float | None
    category: str | None
    score: float | None           # predicted explicit score
    predicted_age: float | None   # youngest face's estimate
    predicted_band: str           # youngest_band
    priority: int | None


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float | None:
    """Probability that a random positive scores above a random negative (None if a class
    is missing)."""
    pos = [s for s, p in zip(scores, positives, strict=True) if p]
    neg = [s for s, p in zip(scores, positives, strict=True) if not p]
    if not pos or not neg:
        return None
    ranked = sorted((s, i) for i, s in enumerate(scores))
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    pos_rank_sum = sum(r for r, p in zip(ranks, positives, strict=True) if p)
    return (pos_rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def effort_saved(priorities: Sequence[float], positives: Sequence[bool], recall: float) -> float | None:
    """Share of items a reviewer need not look at when reviewing in priority order (ties in
    the worst order) until ``recall`` of the positives is found."""
    total = sum(positives)
    if total == 0 or not priorities:
        return None
    order = sorted(zip(priorities, positives, strict=True), key=lambda x: (-x[0], x[1]))
    need = math.ceil(recall * total - 1e-9)
    found = 0
    for reviewed, (_, positive) in enumerate(order, start=1):
        found += positive
        if found >= need:
            return 1.0 - reviewed / len(order)
    return 0.0


def true_band(age: float | None) -> str:
    return "none" if age is None else age_band(age, age, 0.0)


def evaluate(items: Sequence[Labelled], threshold: float) -> dict[str, Any]:
    """The evaluation report (JSON-able)."""
    ex = [i for i in items if i.explicit is not None and i.score is not None]
    positives = [bool(i.explicit) for i in ex]
    predicted = [i.score >= threshold for i in ex if i.score is not None]
    tp = sum(p and t for p, t in zip(predicted, positives, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, positives, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, positives, strict=True))
    aged = [i for i in items if i.age is not None and i.predicted_age is not None]
    confusion = {t: dict.fromkeys(BANDS, 0) for t in BANDS}
    for i in items:
        confusion[true_band(i.age)][i.predicted_band if i.predicted_band in BANDS else "none"] += 1
    # Labelled files the models could not score (unreadable, broken): not in the score
    # metrics, but reported, and in the review queue (as 'unanalysed') like every file.
    unscored = [i for i in items if i.explicit is not None and i.score is None]
    missed = sum(bool(i.explicit) for i in unscored)
    queue = [i for i in items if i.explicit is not None and i.priority is not None]
    qp = [float(i.priority) for i in queue if i.priority is not None]
    qpos = [bool(i.explicit) for i in queue]
    return {
        "items": len(items), "explicit_labelled": len(ex), "explicit_positives": sum(positives),
        "threshold": threshold,
        "explicit_roc_auc": roc_auc([i.score for i in ex if i.score is not None], positives),
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "explicit_unscored": len(unscored), "explicit_positives_unscored": missed,
        "recall_counting_unscored_as_missed": (tp / (tp + fn + missed) if tp + fn + missed
                                               else None),
        "age_items": len(aged),
        "age_mae": (sum(abs(i.age - i.predicted_age) for i in aged  # type: ignore[operator]
                        ) / len(aged)) if aged else None,
        "band_confusion": confusion,
        "review_saved_at_95_recall": effort_saved(qp, qpos, 0.95),
        "review_saved_at_99_recall": effort_saved(qp, qpos, 0.99),
    }
