"""Export fields of the review: the reviewer's ``category`` (overwrites the contract's null),
``reviewed_by`` and ``reviewed_at``. Registered through the stage hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sichter.pipeline.stages import register_export_fields

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def review_fields(session: Session, case_id: int, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    from sichter.web.services.decisions import current_decisions

    decided = current_decisions(session, case_id, content_ids)
    return {cid: {"category": decided[cid].category if cid in decided else None,
                  "reviewed_by": decided[cid].reviewed_by if cid in decided else None,
                  "reviewed_at": decided[cid].reviewed_at.isoformat() if cid in decided else None}
            for cid in content_ids}


register_export_fields("review", review_fields)
