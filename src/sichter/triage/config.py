"""Thresholds and switches of AI triage; part of Settings (``[triage]`` in sichter.toml,
``SICHTER_TRIAGE__<NAME>`` in the environment) and recorded with every scoring run."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class TriageSettings(BaseModel):
    """What the models run with and how their scores become a priority."""

    explicit_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="explicit score at or above which an image counts as explicit")
    face_min_score: float = Field(
        0.3, ge=0.0, le=1.0, description="detector score a face box needs to go to the age stage")
    age_margin: float = Field(
        1.0, ge=0.0, description="years added on both sides of an age interval before banding; "
                                 "an interval that then straddles 14 or 18 is 'uncertain'")
    age_interval: float = Field(
        0.8, gt=0.0, lt=1.0, description="probability mass of the age interval (0.8 = 10th..90th "
                                         "percentile of the model's age distribution)")
    face_detector: str = Field(
        "nudenet", description="where faces come from: 'nudenet' (its face classes), 'dlib' "
                               "(HOG detector) or 'both'")
    embeddings: bool = Field(True, description="compute 128-d face embeddings (dlib) per face")
    skip_known: bool = Field(
        True, description="known and known-good material takes its status, not model scores")
    plugin_dir: Path | None = Field(
        None, description="directory of agency ONNX classifiers, one sub-directory with a "
                          "manifest.json each")
