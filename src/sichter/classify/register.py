"""Registers the AI stages with the pipeline (listed in pipeline.stages.STAGE_MODULES).

The post-ingest and export hooks import triage_run (and with it SQLAlchemy) only when they
run, in the main process: every analysis worker imports this module, and that import alone
was a quarter of a second of its start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sichter.classify.stage import STAGE, image_stage
from sichter.pipeline.stages import register_export_fields, register_image_stage, register_post_ingest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from sichter.settings import Settings


def _triage(settings: Settings, sessions: sessionmaker[Session], case_id: int) -> list[str]:
    from sichter.classify.triage_run import post_ingest

    return post_ingest(settings, sessions, case_id)


def _export(session: Session, case_id: int, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    from sichter.classify.triage_run import export_fields

    return export_fields(session, case_id, content_ids)


register_image_stage(STAGE, image_stage)
register_post_ingest("triage", _triage)
register_export_fields("triage", _export)
