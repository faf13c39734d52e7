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
