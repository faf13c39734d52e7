"""Keeps the review queue current after each ingest. Listed last in ``STAGE_MODULES``: post-ingest
stages run in that order, so the hash-match and triage results of this ingest are in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sichter.pipeline.stages import register_post_ingest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from sichter.settings import Settings


def refresh_after_ingest(settings: Settings, sessions: sessionmaker[Session], case_id: int) -> None:
    """Rebuild the case's queue: triage rescored every content, so every row may have moved."""
    from sichter.web.services.queue import refresh_queue

    with sessions.begin() as s:
        refresh_queue(s, case_id)


register_post_ingest("review_queue", refresh_after_ingest)
