"""The registry of trained models: list, load the active one, promote a version.

A model is promoted only by a person (``sichter model promote``) and never when it is worse
than the active one unless forced: worse means a lower ROC-AUC or more review effort at 95 %
recall, compared on the new model's cross-validation items where the active model was scored
side by side at training time, else on each model's own recorded figures.

Models are stored in skops' format, never as pickles: the store may be a shared database, and
unpickling a row would run whatever code its writer put there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sichter.errors import UsageError
from sichter.store.cases import now
from sichter.store.learning_models import LearnedModel

# Beyond skops' default trusted types (scikit-learn estimators, numpy arrays, builtins) these are
# all that CalibratedClassifierCV over HistGradientBoostingClassifier needs (found with
# skops.io.get_untrusted_types on trained models, with and without early stopping). The list is
# explicit so that a blob holding any other type is refused rather than constructed.
TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
SKOPS_MAGIC = b"PK\x03\x04"  # skops writes a zip archive; older versions wrote joblib pickles


class UnloadableModel(UsageError):
    """A stored model that cannot be loaded safely; retraining writes one that can."""


@dataclass(frozen=True)
class ActiveModel:
    version: str
    threshold: float
    feature_names: tuple[str, ...]
    estimators: Any

    def score_rows(self, rows: list[list[float]]) -> list[float]:
        from sichter.learn.features import FEATURE_NAMES
        from sichter.learn.model import positive_proba

        if not rows:
            return []
        width = len(self.feature_names)
        if tuple(FEATURE_NAMES[:width]) != self.feature_names:
            raise UsageError(f"model {self.version} was trained on other features; retrain it")
        return positive_proba(self.estimators["relevance"], [r[:width] for r in rows])


@lru_cache(maxsize=4)
def _load(version: str, blob: bytes) -> Any:
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    retrain = "retrain with 'sichter model train' and promote the new version"
    if not blob.startswith(SKOPS_MAGIC):
        raise UnloadableModel(f"model {version} was saved by an older Sichter as a pickle, which is "
                              f"not loaded because it could run any code; {retrain}")
    try:
        return skops.io.loads(blob, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise UnloadableModel(f"model {version} holds types Sichter does not load ({exc}); "
                              f"{retrain}") from exc
    except Exception as exc:  # a damaged archive: whatever skops raises, the model is unusable
        raise UnloadableModel(f"model {version} cannot be read ({exc}); {retrain}") from exc


def active_model(session: Session) -> ActiveModel | None:
    """The promoted model, None when none is; raises UnloadableModel when it cannot be loaded."""
    row = session.scalars(select(LearnedModel).where(LearnedModel.active.is_(True))).first()
    if row is None:
        return None
    return ActiveModel(row.version, row.threshold, tuple(row.feature_names), _load(row.version, row.blob))


def list_models(session: Session) -> list[LearnedModel]:
    return list(session.scalars(select(LearnedModel).order_by(LearnedModel.created_at,
                                                              LearnedModel.id)))


def _worse(candidate: LearnedModel, active: LearnedModel) -> list[str]:
    cv = candidate.metrics.get("cv") or {}
    side = candidate.metrics.get("active") or {}
    ref = side if side.get("version") == active.version else (active.metrics.get("cv") or {})
    reasons = []
    if (cv.get("roc_auc") is not None and ref.get("roc_auc") is not None
            and cv["roc_auc"] < ref["roc_auc"]):
        reasons.append(f"ROC-AUC {cv['roc_auc']:.3f} < {ref['roc_auc']:.3f}")
    if (cv.get("effort_95") is not None and ref.get("effort_95") is not None
            and cv["effort_95"] > ref["effort_95"]):
        reasons.append(f"review effort at 95 % recall {cv['effort_95']:.1%} > {ref['effort_95']:.1%}")
    return reasons


def promote(sessions: sessionmaker[Session], version: str, user: str, force: bool = False) -> str | None:
    """Make ``version`` the active model; returns the version it replaced."""
    with sessions.begin() as s:
        cand = s.scalar(select(LearnedModel).where(LearnedModel.version == version))
        if cand is None:
            raise UsageError(f"no model version {version!r} (see 'sichter model list')")
        active = s.scalars(select(LearnedModel).where(LearnedModel.active.is_(True))).first()
        if active is not None and active.id == cand.id:
            raise UsageError(f"model {version} is already active")
        _load(cand.version, cand.blob)  # an unloadable model would only fail later, at rescore
        if active is not None and not force:
            reasons = _worse(cand, active)
            if reasons:
                raise UsageError(f"model {version} is worse than the active {active.version}: "
                                 f"{'; '.join(reasons)} (use --force to promote anyway)")
        s.execute(update(LearnedModel).where(LearnedModel.active.is_(True)).values(active=False))
        cand.active = True
        cand.promoted_at = now()
        cand.promoted_by = user
        return active.version if active is not None else None
