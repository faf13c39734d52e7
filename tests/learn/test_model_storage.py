"""Models are stored in skops' format: a trained model loads back unchanged, while legacy pickles
and blobs with types outside the trusted list are refused without running anything."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import pytest
import skops.io
from learn_helpers import Decisions, add_contents, review
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_training import _ai, _populate
from typer.testing import CliRunner

from sichter.cli import app
from sichter.errors import UsageError
from sichter.learn import registry, training
from sichter.learn.features import FEATURE_NAMES, feature_vector, load_facts
from sichter.settings import Settings
from sichter.store.cases import now
from sichter.store.learning_models import LearnedModel, LearnedPriority
from sichter.web.services.learning import apply_promoted_model


class TouchOnUnpickle:
    """Unpickling it creates ``marker``: the visible trace of code run by loading a blob."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


class TouchOnConstruct:
    """skops restores it through ``__setstate__``, which creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["marker"]).touch()
        self.__dict__.update(state)


def _legacy_blob(marker: Path) -> bytes:
    """What an older Sichter stored: a joblib pickle of the estimators (here a hostile one)."""
    buf = io.BytesIO()
    joblib.dump({"relevance": TouchOnUnpickle(marker), "category": None,
                 "features": list(FEATURE_NAMES)}, buf)
    return buf.getvalue()


def _store_model(store: sessionmaker[Session], version: str, blob: bytes, active: bool) -> None:
    with store.begin() as s:
        s.add(LearnedModel(
            version=version, kind="relevance", algorithm="legacy", created_at=now(), created_by="old",
            sichter_version="0.0.9", feature_names=list(FEATURE_NAMES), training_cases=["old"],
            fingerprint="0" * 64, n_items=100, n_relevant=30, threshold=0.5, blob=blob,
            active=active, metrics={"cv": {}, "active": None, "triage": {}}))


def test_trained_model_scores_the_same_after_the_round_trip(store, new_case, monkeypatch) -> None:
    decisions = Decisions()
    _populate(store, new_case, decisions)
    case_id = new_case("fresh")
    add_contents(store, case_id, [{"priority": 50, "analysis": _ai(e, ages)}
                                  for e, ages in [(0.9, [12]), (0.05, []), (0.7, [30]), (0.3, [9])]])
    saved: list[Any] = []
    real_dumps = skops.io.dumps

    def keep(obj: Any) -> bytes:
        saved.append(obj)
        return real_dumps(obj)

    monkeypatch.setattr(skops.io, "dumps", keep)
    version = training.train(store, "lead", source=decisions).version
    registry.promote(store, version, "boss")
    with store() as s:
        blob = s.scalar(select(LearnedModel.blob).where(LearnedModel.version == version))
        rows = [feature_vector(f) for f in load_facts(s, case_id)]
        active = registry.active_model(s)
    assert blob is not None and blob.startswith(b"PK\x03\x04")  # a skops archive, not a pickle
    assert active is not None and active.version == version
    [before] = saved
    loaded = active.estimators
    assert loaded["relevance"] is not before["relevance"]  # really read back from the store
    scores = active.score_rows(rows)
    assert scores == [float(p) for p in before["relevance"].predict_proba(rows)[:, 1]]
    assert scores[0] > 0.5 > scores[1]  # explicit with a young face; neither
    assert (loaded["category"].predict_proba(rows) == before["category"].predict_proba(rows)).all()
    assert loaded["features"] == before["features"] == list(FEATURE_NAMES)


def test_legacy_pickle_is_refused_without_being_unpickled(store, new_case, tmp_path) -> None:
    control = tmp_path / "control"
    joblib.load(io.BytesIO(_legacy_blob(control)))
    assert control.exists()  # the payload is live: unpickling it would leave the marker
    marker = tmp_path / "unpickled"
    _store_model(store, "rel-legacy-1", _legacy_blob(marker), active=True)
    with store() as s, pytest.raises(UsageError, match="rel-legacy-1") as refused:
        registry.active_model(s)
    assert "sichter model train" in str(refused.value) and "pickle" in str(refused.value)
    assert not marker.exists()

    # rescoring carries on without the learned model and says why; nothing is written
    case_id = new_case("fresh")
    add_contents(store, case_id, [{"priority": 50, "analysis": _ai(0.9, [12])}])
    applied = apply_promoted_model(store, case_id)
    assert applied.model_version is None and applied.error is not None and "rel-legacy-1" in applied.error
    with store() as s:
        assert s.scalars(select(LearnedPriority).where(LearnedPriority.case_id == case_id)).first() is None

    # retraining, the remedy, is not blocked by the model it replaces
    decisions = Decisions()
    _populate(store, new_case, decisions)
    report = training.train(store, "lead", case_names=["a", "b", "c"], source=decisions)
    assert report.active is None and report.active_unloadable is not None
    assert "rel-legacy-1" in report.active_unloadable
    # and the legacy version cannot be promoted again
    registry.promote(store, report.version, "boss")
    with pytest.raises(UsageError, match="rel-legacy-1.*sichter model train"):
        registry.promote(store, "rel-legacy-1", "boss", force=True)
    assert not marker.exists()


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--home", str(settings.home), "--db", settings.effective_database_url,
                                      *args], env={"SICHTER_USER": "tester"})
    return result.exit_code, " ".join(result.output.split())


def test_command_line_with_a_legacy_model_says_so_and_carries_on(settings: Settings, store,
                                                                 new_case: Callable[[str], int],
                                                                 tmp_path) -> None:
    marker = tmp_path / "unpickled"
    _store_model(store, "rel-legacy-2", _legacy_blob(marker), active=True)
    for name in ("m1", "m2"):
        case_id = new_case(name)
        rel = add_contents(store, case_id, [{"priority": 60, "analysis": _ai(0.9, [12])} for _ in range(12)])
        irr = add_contents(store, case_id, [{"priority": 40, "analysis": _ai(0.1, [])} for _ in range(30)])
        review(store, name, {**{c: "1" for c in rel}, **{c: "0" for c in irr}}, user="anna")

    code, out = _cli(settings, "rescore", "m1")
    assert code == 0, out
    assert "learned model not applied: model rel-legacy-2" in out and "sichter model train" in out
    assert "review queue ordered by: triage" in out

    code, out = _cli(settings, "model", "train", "--cases", "m1,m2")
    assert code == 0, out
    assert "not compared with the active model: model rel-legacy-2" in out
    version = out.split("promote with: sichter model promote ")[1].split()[0]
    code, out = _cli(settings, "model", "promote", version)
    assert code == 0 and f"active model is now {version} (was rel-legacy-2)" in out
    code, out = _cli(settings, "rescore", "m1")
    assert code == 0 and f"applied learned model {version}" in out

    code, out = _cli(settings, "model", "promote", "rel-legacy-2", "--force")
    assert code == 2 and "rel-legacy-2" in out and "sichter model train" in out
    assert not marker.exists()


def test_skops_blob_with_an_untrusted_type_is_refused(store, tmp_path) -> None:
    control = tmp_path / "control"
    hostile = skops.io.dumps({"relevance": TouchOnConstruct(control), "category": None,
                              "features": list(FEATURE_NAMES)})
    untrusted = skops.io.get_untrusted_types(data=hostile)
    assert untrusted == [f"{__name__}.TouchOnConstruct"]
    skops.io.loads(hostile, trusted=untrusted)
    assert control.exists()  # the payload is live: constructing it would leave the marker

    marker = tmp_path / "constructed"
    blob = skops.io.dumps({"relevance": TouchOnConstruct(marker), "category": None,
                           "features": list(FEATURE_NAMES)})
    _store_model(store, "rel-hostile-1", blob, active=True)
    with store() as s, pytest.raises(UsageError, match="rel-hostile-1.*TouchOnConstruct"):
        registry.active_model(s)
    assert not marker.exists()


def test_damaged_skops_blob_is_refused(store) -> None:
    _store_model(store, "rel-damaged-1", b"PK\x03\x04 not really a zip archive", active=True)
    with store() as s, pytest.raises(UsageError, match="rel-damaged-1 cannot be read"):
        registry.active_model(s)
