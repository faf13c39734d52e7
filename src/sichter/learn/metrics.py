"""How good a ranking is for reviewers. Pure functions over scores and true labels.

Review effort at recall r: the fraction of all items a reviewer must look at, in the ranking's
order (highest score first), to have seen r of the relevant ones; "saved" is 1 - effort.
Ties are broken against the ranking (relevant items last among equal scores), so a constant
ranking gets no credit for luck.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def effort_at_recall(scores: Sequence[float], labels: Sequence[bool], recall: float) -> float | None:
    """Fraction of items reviewed in score order until ``recall`` of the relevant are found."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(1 for y in labels if y)
    if positives == 0 or not scores:
        return None
    need = math.ceil(recall * positives - 1e-9)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], labels[i]))
    seen = 0
    for reviewed, i in enumerate(order, start=1):
        seen += labels[i]
        if seen >= need:
            return reviewed / len(scores)
    return 1.0


def items_to_recall(order_labels: Sequence[bool], recall: float) -> int | None:
    """Items reviewed, in the given order, until ``recall`` of the relevant are found."""
    positives = sum(1 for y in order_labels if y)
    if positives == 0:
        return None
    need = math.ceil(recall * positives - 1e-9)
    seen = 0
    for reviewed, y in enumerate(order_labels, start=1):
        seen += y
        if seen >= need:
            return reviewed
    return len(order_labels)


def ranking_metrics(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> dict[str, Any]:
    """ROC-AUC, precision and recall at ``threshold``, review effort and saving at 95/99 % recall."""
    from sklearn.metrics import roc_auc_score

    y = [bool(v) for v in labels]
    both = 0 < sum(y) < len(y)
    flagged = [s >= threshold for s in scores]
    tp = sum(1 for f, t in zip(flagged, y, strict=True) if f and t)
    out: dict[str, Any] = {
        "items": len(y), "relevant": sum(y), "threshold": threshold,
        "roc_auc": float(roc_auc_score(y, scores)) if both else None,
        "precision": tp / sum(flagged) if sum(flagged) else None,
        "recall": tp / sum(y) if sum(y) else None,
    }
    for r in (0.95, 0.99):
        effort = effort_at_recall(scores, y, r)
        out[f"effort_{round(r * 100)}"] = effort
        out[f"saved_{round(r * 100)}"] = None if effort is None else 1.0 - effort
    return out
