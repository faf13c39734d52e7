"""Registers the AI stages with the pipeline (listed in pipeline.stages.STAGE_MODULES)."""

from __future__ import annotations

from sichter.classify.stage import STAGE, image_stage
from sichter.classify.triage_run import export_fields, post_ingest
from sichter.pipeline.stages import register_export_fields, register_image_stage, register_post_ingest

register_image_stage(STAGE, image_stage)
register_post_ingest("triage", post_ingest)
register_export_fields("triage", export_fields)
