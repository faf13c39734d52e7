"""The case's current ranking on one 0..1 scale, with a record of where it came from.

Precedence: the continuous-active-learning score of a content (``learned_priority``) where
there is one, else the AI triage priority / 100 (``triage``). A content neither scored is
ranked 0: for the ranking it is as irrelevant as anything can be, which is exactly why the QA
sample must be able to draw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.evidence.sniff import REVIEWABLE_MEDIA
from sichter.store.learning_models import ActiveLearningState, LearnedPriority
from sichter.store.models import Content

# media a reviewer can judge; other files (documents, broken data) are outside the pile


@dataclass
class Ranking:
    scores: dict[int, float]                 # content_id -> 0..1, every reviewable content
    sources: dict[str, int] = field(default_factory=dict)   # how many scores came from where
    provenance: dict[str, Any] = field(default_factory=dict)


def triage_priorities(session: Session, case_id: int) -> dict[int, tuple[int, dict[str, Any]]]:
    """AI triage priority (0..100) and model versions per content, if AI triage is installed."""
    try:
        from sichter.store.ai_models import Triage
    except ImportError:
        return {}
    rows = session.execute(select(Triage.content_id, Triage.priority, Triage.models)
                           .where(Triage.case_id == case_id))
    return {cid: (prio, models or {}) for cid, prio, models in rows}


def case_ranking(session: Session, case_id: int) -> Ranking:
    """Every reviewable content of the case with its current ranking score."""
    contents = session.scalars(select(Content.id).where(Content.case_id == case_id,
                                                        Content.media_type.in_(REVIEWABLE_MEDIA))).all()
    learned = dict(session.execute(select(LearnedPriority.content_id, LearnedPriority.score)
                                   .where(LearnedPriority.case_id == case_id)).all())
    triage = triage_priorities(session, case_id)
    scores: dict[int, float] = {}
    sources = {"learned": 0, "triage": 0, "unscored": 0}
    models: dict[str, Any] = {}
    for cid in contents:
        if cid in learned:
            scores[cid] = float(learned[cid])
            sources["learned"] += 1
        elif cid in triage:
            prio, m = triage[cid]
            scores[cid] = prio / 100.0
            sources["triage"] += 1
            models.update(m)
        else:
            scores[cid] = 0.0
            sources["unscored"] += 1
    provenance: dict[str, Any] = {"triage_models": models}
    state = session.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
    if state is not None and sources["learned"]:
        provenance["active_learning"] = {"round": state.round, "decisions_used": state.decisions_used,
                                         **state.details}
    return Ranking(scores, {k: v for k, v in sources.items() if v}, provenance)
