"""Review effort and the ranking metrics a trained model is judged by."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.learn.metrics import effort_at_recall, items_to_recall, ranking_metrics


def test_perfect_ranking_needs_only_the_relevant_items() -> None:
    scores = [0.9, 0.8, 0.1, 0.05] + [0.0] * 96
    labels = [True, True, False, False] + [False] * 96
    assert effort_at_recall(scores, labels, 0.95) == pytest.approx(0.02)
    m = ranking_metrics(scores, labels, threshold=0.5)
    assert m["roc_auc"] == 1.0 and m["precision"] == 1.0 and m["recall"] == 1.0
    assert m["saved_95"] == pytest.approx(0.98)


def test_reversed_ranking_reviews_everything() -> None:
    scores = [0.1, 0.2, 0.9, 0.8]
    labels = [True, True, False, False]
    assert effort_at_recall(scores, labels, 0.95) == 1.0


def test_ties_get_no_credit() -> None:
    assert effort_at_recall([0.5] * 10, [True] + [False] * 9, 0.95) == 1.0


def test_items_to_recall_counts_in_review_order() -> None:
    assert items_to_recall([False, True, False, True, False], 0.95) == 4
    assert items_to_recall([False, False], 0.95) is None


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=200))
def test_effort_is_a_fraction_and_grows_with_recall(pairs: list[tuple[float, bool]]) -> None:
    scores = [p[0] for p in pairs]
    labels = [p[1] for p in pairs]
    e95 = effort_at_recall(scores, labels, 0.95)
    e99 = effort_at_recall(scores, labels, 0.99)
    if not any(labels):
        assert e95 is None
    else:
        assert e95 is not None and e99 is not None
        assert sum(labels) / len(labels) * 0.95 <= e95 + 1e-9
        assert 0 < e95 <= e99 <= 1
