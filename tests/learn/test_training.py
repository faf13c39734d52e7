"""Training a relevance model on reviewer decisions, the registry, promotion and scoring."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from learn_helpers import Decisions, add_contents
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.errors import UsageError
from sichter.learn import registry, training
from sichter.learn.active import category_suggestions, relevance_scores
from sichter.store.learning_models import LearnedModel


def _ai(explicit: float, ages: list[float]) -> dict:
    faces = [{"score": 0.9, "age": a, "age_low": a - 3, "age_high": a + 3,
              "age_band": "adult" if a >= 21 else "under14" if a < 11 else "uncertain"} for a in ages]
    return {"ai": {"explicit": explicit, "classes": {"FACE_FEMALE": 0.9 if ages else 0.0},
                   "faces": faces, "face_count": len(faces), "models": {"nudenet": "3.4.2"}}}


def _populate(store: sessionmaker[Session], new_case: Callable[[str], int], decisions: Decisions,
              names: tuple[str, ...] = ("a", "b", "c"), n: int = 60, seed: int = 0,
              flip: bool = False) -> dict[str, list[int]]:
    """Cases where relevance follows the facts: explicit with a face. ``flip`` lies about it."""
    rng = random.Random(seed)
    out = {}
    for name in names:
        case_id = new_case(name)
        rows, truth = [], []
        for i in range(n):
            relevant = i % 3 == 0
            explicit = rng.uniform(0.6, 1.0) if relevant else rng.uniform(0.0, 0.5)
            ages = [rng.uniform(8, 40)] if relevant or rng.random() < 0.5 else []
            rows.append({"priority": rng.randint(0, 100), "analysis": _ai(explicit, ages)})
            # relevant: category 1 (child abuse material) when the face looks young, else 2
            truth.append(("1" if ages and ages[0] < 18 else "2") if relevant else "0")
        ids = add_contents(store, case_id, rows)
        for cid, category in zip(ids, truth, strict=True):
            decisions.decide(cid, ("0" if category != "0" else "1") if flip and rng.random() < 0.5
                             else category)
        out[name] = ids
    return out


def test_train_registers_a_cross_validated_model_grouped_by_case(store, new_case) -> None:
    decisions = Decisions()
    _populate(store, new_case, decisions)
    report = training.train(store, "lead", source=decisions)
    assert report.grouped and report.cases == ["a", "b", "c"]
    assert report.items == 180 and report.relevant == 60
    assert report.metrics["roc_auc"] > 0.95
    assert report.metrics["saved_95"] > 0.5
    assert report.category_accuracy is not None and report.category_accuracy > 0.8
    # the AI triage order (random priorities here) is reported side by side and is no better
    assert report.triage is not None and report.triage["roc_auc"] < 0.7
    with store() as s:
        row = s.scalar(select(LearnedModel).where(LearnedModel.version == report.version))
    assert row is not None and not row.active and row.created_by == "lead"
    assert row.fingerprint == report.fingerprint and row.metrics["cv"]["effort_95"] is not None


def test_fingerprint_names_the_training_set(store, new_case) -> None:
    decisions = Decisions()
    ids = _populate(store, new_case, decisions)
    fp1 = training.train(store, "lead", source=decisions).fingerprint
    with store() as s:
        assert training.collect(s, None, decisions).fingerprint() == fp1
        decisions.decide(ids["a"][1], "2")
        assert training.collect(s, None, decisions).fingerprint() != fp1
        assert training.collect(s, ["a", "b"], decisions).fingerprint() != fp1


def test_promoted_model_scores_a_case(store, new_case) -> None:
    decisions = Decisions()
    _populate(store, new_case, decisions)
    case_id = new_case("fresh")
    likely, unlikely = add_contents(store, case_id, [{"priority": 50, "analysis": _ai(0.9, [12])},
                                                     {"priority": 50, "analysis": _ai(0.05, [])}])
    with store() as s:
        assert relevance_scores(s, case_id) is None
    version = training.train(store, "lead", source=decisions).version
    assert registry.promote(store, version, "boss") is None
    with store() as s:
        scores = relevance_scores(s, case_id)
        active = registry.active_model(s)
    assert active is not None and active.version == version
    assert scores is not None and set(scores) == {likely, unlikely}
    assert scores[likely] > 0.5 > scores[unlikely]
    with store() as s:
        categories = category_suggestions(s, case_id)
    assert categories is not None and categories[likely][0] == "1"  # explicit with a 12-year-old face


def test_worse_model_is_refused_unless_forced(store, new_case) -> None:
    good_decisions = Decisions()
    _populate(store, new_case, good_decisions)
    good = training.train(store, "lead", source=good_decisions).version
    registry.promote(store, good, "boss")
    noisy = Decisions()
    _populate(store, new_case, noisy, names=("d", "e", "f"), seed=1, flip=True)
    bad = training.train(store, "lead", case_names=["d", "e", "f"], source=noisy)
    assert bad.active is not None and bad.active["version"] == good
    with pytest.raises(UsageError, match="worse than the active"):
        registry.promote(store, bad.version, "boss")
    assert registry.promote(store, bad.version, "boss", force=True) == good
    with store() as s:
        assert [m.version for m in registry.list_models(s) if m.active] == [bad.version]


def test_too_few_decisions_is_a_usage_error(store, new_case) -> None:
    case_id = new_case("tiny")
    ids = add_contents(store, case_id, [{"priority": 10} for _ in range(6)])
    decisions = Decisions()
    for cid in ids:
        decisions.decide(cid, "0")
    with pytest.raises(UsageError, match="at least 5 relevant"):
        training.train(store, "lead", source=decisions)
    with pytest.raises(UsageError, match="no case"):
        training.train(store, "lead", case_names=["nope"], source=decisions)
