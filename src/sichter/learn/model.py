"""The estimators: a calibrated relevance model and an optional category model (scikit-learn).

Gradient-boosted trees handle the interactions that matter here (explicit *and* young) without
feature scaling; sigmoid calibration turns their scores into probabilities that a threshold
and the QA pile can be stated in. Kept small so that a retrain in a case takes seconds.
"""

from __future__ import annotations

from typing import Any

ALGORITHM = "HistGradientBoostingClassifier(max_iter=120, max_leaf_nodes=15) + sigmoid calibration"


def relevance_estimator(n_items: int, n_minority: int) -> Any:
    """A calibrated binary classifier; calibration folds shrink with scarce positives."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    trees = HistGradientBoostingClassifier(max_iter=120, max_leaf_nodes=15, learning_rate=0.1,
                                           min_samples_leaf=max(2, min(20, n_items // 50)),
                                           random_state=0)
    folds = max(2, min(3, n_minority))
    return CalibratedClassifierCV(trees, method="sigmoid", cv=folds)


def fit(estimator: Any, rows: Any, labels: Any) -> Any:
    """Fit on one thread: OpenMP threads fighting ingest workers for two cores cost 20x."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return estimator.fit(np.asarray(rows, dtype=float), np.asarray(labels))


def category_estimator() -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=80, max_leaf_nodes=15, random_state=0)


def positive_proba(estimator: Any, rows: Any) -> list[float]:
    """Probability of the relevant class for each row."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        proba = estimator.predict_proba(np.asarray(rows, dtype=float))
    classes = list(estimator.classes_)
    if True not in classes and 1 not in classes:
        return [0.0] * len(proba)
    col = classes.index(True) if True in classes else classes.index(1)
    return [float(p) for p in proba[:, col]]
