"""Evaluation statistics an agency runs on its own labels."""

from __future__ import annotations

import pytest

from sichter.triage.evaluate import Labelled, effort_saved, evaluate, roc_auc


def test_roc_auc_perfect_random_and_ties() -> None:
    assert roc_auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert roc_auc([0.1, 0.2, 0.9, 0.8], [True, True, False, False]) == 0.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    assert roc_auc([0.5, 0.6], [True, True]) is None


def test_review_saved_counts_ties_pessimistically() -> None:
    # 2 positives among 10 at the top: reviewing 2 of 10 reaches full recall
    pri = [90, 80] + [10] * 8
    pos = [True, True] + [False] * 8
    assert effort_saved(pri, pos, 0.99) == pytest.approx(0.8)
    # a positive tied with negatives is found last among them
    assert effort_saved([50, 50, 50, 50], [False, True, False, False], 0.95) == 0.0


def test_evaluate_report() -> None:
    items = [
        Labelled("a" * 64, True, 30.0, "4", 0.9, 31.0, "adult", 59),
        Labelled("b" * 64, False, 12.0, "0", 0.1, 10.0, "under14", 41),
        Labelled("c" * 64, False, None, "0", 0.6, None, "none", 5),
    ]
    report = evaluate(items, 0.5)
    assert report["explicit_roc_auc"] == 1.0
    assert report["precision"] == 0.5 and report["recall"] == 1.0
    assert report["age_mae"] == pytest.approx(1.5)
    assert report["band_confusion"]["adult"]["adult"] == 1
    assert report["band_confusion"]["under14"]["under14"] == 1
    assert report["band_confusion"]["none"]["none"] == 1
    assert report["review_saved_at_95_recall"] == pytest.approx(2 / 3)


def test_labelled_files_the_models_could_not_score_are_reported_and_queued() -> None:
    items = [
        Labelled("a" * 64, True, 30.0, "4", 0.9, 31.0, "adult", 59),
        Labelled("b" * 64, False, None, "0", 0.1, None, "none", 1),
        # broken files: no score, in the review queue as 'unanalysed' (priority 30)
        Labelled("c" * 64, True, 10.0, "1", None, None, "none", 30),
        Labelled("d" * 64, True, 12.0, "1", None, None, "none", 30),
    ]
    report = evaluate(items, 0.5)
    assert report["recall"] == 1.0 and report["explicit_labelled"] == 2  # of the scored files
    assert report["explicit_unscored"] == 2 and report["explicit_positives_unscored"] == 2
    assert report["recall_counting_unscored_as_missed"] == pytest.approx(1 / 3)
    # Reaching every positive in the queue means reviewing the unanalysed ones too.
    assert report["review_saved_at_99_recall"] == pytest.approx(1 / 4)
