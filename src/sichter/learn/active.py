"""The active learned model applied to a case: what ``sichter rescore`` calls.

``relevance_scores(session, case_id)`` returns {content_id: probability of relevance} for
every reviewable content of the case, or None when no learned model has been promoted.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sichter.learn.features import feature_vector, load_facts
from sichter.learn.registry import active_model


def relevance_scores(session: Session, case_id: int) -> dict[int, float] | None:
    model = active_model(session)
    if model is None:
        return None
    facts = load_facts(session, case_id)
    scores = model.score_rows([feature_vector(f) for f in facts])
    return {f.content_id: s for f, s in zip(facts, scores, strict=True)}


def active_version(session: Session) -> str | None:
    """Version of the active learned model, for the provenance of scores made with it."""
    model = active_model(session)
    return None if model is None else model.version


def category_suggestions(session: Session, case_id: int) -> dict[int, tuple[str, float]] | None:
    """The active model's most likely relevant category per content, in the case's scheme.

    {content_id: (category code, probability among the scheme's categories)}; None when no
    learned model is active or it learned no categories of this scheme.
    """
    import numpy as np
    from sqlalchemy import select
    from threadpoolctl import threadpool_limits

    from sichter.store.models import Case

    model = active_model(session)
    if model is None or model.estimators.get("category") is None:
        return None
    scheme = session.scalar(select(Case.scheme).where(Case.id == case_id))
    clf = model.estimators["category"]
    cols = [i for i, c in enumerate(clf.classes_) if str(c).startswith(f"{scheme}:")]
    if not cols:
        return None
    facts = load_facts(session, case_id)
    if not facts:
        return {}
    width = len(model.feature_names)
    with threadpool_limits(1):
        proba = clf.predict_proba(np.asarray([feature_vector(f)[:width] for f in facts], dtype=float))
    out: dict[int, tuple[str, float]] = {}
    for f, row in zip(facts, proba[:, cols], strict=True):
        best = int(row.argmax())
        total = float(row.sum()) or 1.0
        out[f.content_id] = (str(clf.classes_[cols[best]]).split(":", 1)[1], float(row[best]) / total)
    return out
