"""``sichter model train``: a relevance (and category) model from reviewer decisions across
cases, evaluated by cross-validation grouped by case, registered with metrics and a
fingerprint of its training set, side by side with the active model and the AI triage order.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter import __version__
from sichter.errors import UsageError
from sichter.learn import model as est
from sichter.learn.decisions import DecisionSource, review_decisions
from sichter.learn.features import FEATURE_NAMES, feature_vector, load_facts
from sichter.learn.labels import is_relevant
from sichter.learn.metrics import ranking_metrics
from sichter.store.cases import now
from sichter.store.learning_models import LearnedModel
from sichter.store.models import Case, Content

log = logging.getLogger(__name__)

MIN_PER_CLASS = 5
DEFAULT_THRESHOLD = 0.5


@dataclass
class TrainingSet:
    rows: list[list[float]] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    triage: list[float] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """SHA-256 over (case, content SHA-256, decided category), order-independent."""
        return hashlib.sha256("\n".join(sorted(self.keys)).encode()).hexdigest()


@dataclass(frozen=True)
class TrainReport:
    version: str
    cases: list[str]
    items: int
    relevant: int
    fingerprint: str
    grouped: bool
    metrics: dict[str, Any]
    active: dict[str, Any] | None       # the active model, scored on the same items
    triage: dict[str, Any] | None       # AI triage priority order on the same items
    category_accuracy: float | None
    active_unloadable: str | None = None  # why the active model could not be scored alongside


def collect(session: Session, case_names: list[str] | None, source: DecisionSource) -> TrainingSet:
    """Every labelled content of the named cases (default: all cases) as features and labels."""
    q = select(Case).order_by(Case.name)
    if case_names:
        q = q.where(Case.name.in_(case_names))
    cases = list(session.scalars(q))
    missing = set(case_names or []) - {c.name for c in cases}
    if missing:
        raise UsageError(f"no case named {', '.join(sorted(missing))} (see 'sichter case list')")
    ts = TrainingSet()
    for case in cases:
        decisions = source(session, case.id)
        labelled = {cid: d.category for cid, d in decisions.items()
                    if is_relevant(d.category, case.scheme) is not None}
        if not labelled:
            continue
        sha = dict(session.execute(select(Content.id, Content.sha256)
                                   .where(Content.id.in_(list(labelled)))).all())
        for facts in load_facts(session, case.id, labelled):
            category = labelled[facts.content_id] or ""
            ts.rows.append(feature_vector(facts))
            ts.labels.append(bool(is_relevant(category, case.scheme)))
            ts.categories.append(f"{case.scheme}:{category}")
            ts.groups.append(case.name)
            ts.triage.append((facts.triage_priority or 0) / 100.0)
            ts.keys.append(f"{case.name}\t{sha[facts.content_id]}\t{category}")
    return ts


def _folds(ts: TrainingSet) -> tuple[list[tuple[Any, Any]], bool]:
    import numpy as np
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    y = np.asarray(ts.labels)
    n_groups = len(set(ts.groups))
    if n_groups >= 2:
        return list(GroupKFold(n_splits=min(5, n_groups)).split(ts.rows, y, ts.groups)), True
    k = max(2, min(5, int(min(y.sum(), (~y).sum()))))
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(ts.rows, y)), False


def cross_validated_scores(ts: TrainingSet) -> tuple[list[float], bool]:
    """Out-of-fold relevance probabilities: each case is scored by a model that never saw it."""
    import numpy as np

    X, y = np.asarray(ts.rows, dtype=float), np.asarray(ts.labels)
    oof = np.full(len(y), float("nan"))
    folds, grouped = _folds(ts)
    for train_idx, test_idx in folds:
        yt = y[train_idx]
        if yt.all() or not yt.any():
            # a fold without both classes cannot learn; its best guess is the base rate
            oof[test_idx] = float(yt.mean())
            continue
        m = est.relevance_estimator(len(train_idx), int(min(yt.sum(), (~yt).sum())))
        est.fit(m, X[train_idx], yt)
        oof[test_idx] = est.positive_proba(m, X[test_idx])
    return [float(v) for v in oof], grouped


def _category_model(ts: TrainingSet) -> tuple[Any | None, float | None]:
    """A category model over the relevant items when two categories have enough examples."""
    import numpy as np
    from sklearn.model_selection import cross_val_score

    idx = [i for i, rel in enumerate(ts.labels) if rel]
    cats = [ts.categories[i] for i in idx]
    counts = {c: cats.count(c) for c in set(cats)}
    if len([c for c, n in counts.items() if n >= MIN_PER_CLASS]) < 2:
        return None, None
    X = np.asarray([ts.rows[i] for i in idx], dtype=float)
    model = est.category_estimator()
    folds = max(2, min(5, min(counts.values())))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        accuracy = float(cross_val_score(model, X, cats, cv=folds).mean())
    return est.fit(model, X, cats), accuracy


def train(sessions: sessionmaker[Session], user: str, case_names: list[str] | None = None,
          source: DecisionSource = review_decisions,
          threshold: float = DEFAULT_THRESHOLD) -> TrainReport:
    """Train, evaluate and register a new model version (not active until promoted)."""
    import numpy as np
    import skops.io

    from sichter.learn.registry import UnloadableModel, active_model

    unloadable: str | None = None
    with sessions() as s:
        ts = collect(s, case_names, source)
        try:
            active = active_model(s)
        except UnloadableModel as exc:  # retraining is the remedy: the old model must not block it
            log.warning("%s", exc)
            active, unloadable = None, str(exc)
    n_rel = sum(ts.labels)
    if n_rel < MIN_PER_CLASS or len(ts.labels) - n_rel < MIN_PER_CLASS:
        raise UsageError(f"training needs at least {MIN_PER_CLASS} relevant and {MIN_PER_CLASS} "
                         f"not relevant decisions; found {n_rel} and {len(ts.labels) - n_rel}")
    oof, grouped = cross_validated_scores(ts)
    metrics = ranking_metrics(oof, ts.labels, threshold)
    metrics["grouped_by_case"] = grouped
    active_metrics = None
    if active is not None:
        active_metrics = ranking_metrics(active.score_rows(ts.rows), ts.labels, active.threshold)
        active_metrics["version"] = active.version
    triage_metrics = ranking_metrics(ts.triage, ts.labels, 0.5)
    X, y = np.asarray(ts.rows, dtype=float), np.asarray(ts.labels)
    relevance = est.fit(est.relevance_estimator(len(y), int(min(y.sum(), (~y).sum()))), X, y)
    category, cat_acc = _category_model(ts)
    blob = skops.io.dumps({"relevance": relevance, "category": category, "features": list(FEATURE_NAMES)})
    fp = ts.fingerprint()
    created = now()
    version = f"rel-{created:%Y%m%dT%H%M%S}-{fp[:8]}"
    cases = sorted(set(ts.groups))
    with sessions.begin() as s:
        if s.scalar(select(LearnedModel.id).where(LearnedModel.version == version)) is not None:
            raise UsageError(f"model {version} exists already (same training set, same second)")
        s.add(LearnedModel(
            version=version, kind="relevance", algorithm=est.ALGORITHM, created_at=created,
            created_by=user, sichter_version=__version__, feature_names=list(FEATURE_NAMES),
            training_cases=cases, fingerprint=fp, n_items=len(y), n_relevant=n_rel,
            threshold=threshold, blob=blob, active=False,
            metrics={"cv": metrics, "active": active_metrics, "triage": triage_metrics,
                     "category_accuracy": cat_acc}))
    return TrainReport(version, cases, len(y), n_rel, fp, grouped, metrics, active_metrics,
                       triage_metrics, cat_acc, unloadable)
