"""Export fields of the learning stage: the continuous-active-learning score of a content.

Adds ``learned_priority`` (0..1, None when no active-learning round scored it; reviewed items
are not re-scored) and ``learned_round`` (which round made it) to every export record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sichter.pipeline.stages import register_export_fields

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def learned_fields(session: Session, case_id: int, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    from sqlalchemy import select

    from sichter.store.learning_models import LearnedPriority

    rows = session.execute(select(LearnedPriority.content_id, LearnedPriority.score, LearnedPriority.round)
                           .where(LearnedPriority.case_id == case_id,
                                  LearnedPriority.content_id.in_(content_ids)))
    found = {cid: {"learned_priority": round(score, 4), "learned_round": rnd} for cid, score, rnd in rows}
    empty = {"learned_priority": None, "learned_round": None}
    return {cid: found.get(cid, empty) for cid in content_ids}


register_export_fields("learned_priority", learned_fields)
