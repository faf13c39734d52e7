"""Thresholds and switches of AI triage; part of Settings (``[triage]`` in sichter.toml,
``SICHTER_TRIAGE__<NAME>`` in the environment) and recorded with every scoring run."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sichter.triage.priority import DEFAULT_TIERS, PriorityPolicy


class TriageSettings(BaseModel):
    """What the models run with and how their scores become a priority."""

    model_config = ConfigDict(allow_inf_nan=False)  # no NaN threshold, no infinite margin

    explicit_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="explicit score at or above which an image counts as explicit")
    suggestive_threshold: float = Field(
        0.25, ge=0.0, le=1.0, description="explicit score at or above which a non-explicit "
                                          "photo of a minor is suggested as age difficult")
    priority_spread: int = Field(9, ge=0, le=20, description="points the explicit score adds "
                                                              "within a priority tier")
    priority_tiers: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TIERS),
        description="base priority of each tier (see sichter.triage.priority)")
    face_min_score: float = Field(
        0.3, ge=0.0, le=1.0, description="detector score a face box needs to go to the age stage")
    age_margin: float = Field(
        1.0, ge=0.0, description="years added on both sides of an age interval before banding; "
                                 "an interval that then straddles 14 or 18 is 'uncertain'")
    min_face_px: float = Field(
        32.0, ge=0.0, description="a face smaller than this (shorter side, pixels of the image "
                                  "the age model saw) is 'uncertain' whatever its estimate")
    age_interval: float = Field(
        0.8, gt=0.0, lt=1.0, description="probability mass of the age interval (0.8 = 10th..90th "
                                         "percentile of the model's age distribution)")
    face_detector: str = Field(
        "nudenet", description="where faces come from: 'nudenet' (its face classes), 'dlib' "
                               "(HOG detector) or 'both'")
    embeddings: bool = Field(True, description="compute 128-d face embeddings (dlib) per face")
    detector_letterbox: Literal["rect", "square"] = Field(
        "rect", description="NudeNet input: 'rect' pads to a multiple of 32 (faster), 'square' "
                            "to 320x320 exactly as NudeNet does (see bench/RESULTS.md for the "
                            "measured score drift between them)")
    detector_precision: Literal["fp32", "int8"] = Field(
        "int8", description="NudeNet's arithmetic: 'int8' (a copy quantised on this machine from "
                            "the installed model: half the detector time, scores moved by ~0.04 "
                            "per class on average, checked against fp32 on every case, see "
                            "precision_check) or 'fp32' (the model itself). sichter.classify."
                            "nudenet_int8 and bench/RESULTS.md give the measured drift")
    precision_check: float = Field(
        0.02, ge=0.0, le=1.0, description="int8 only: the fraction of images (chosen by their "
                                          "pixels, reproducibly) also scored by the fp32 model, "
                                          "so every case measures the drift on its own material; "
                                          "0 turns the check off")
    skip_known: bool = Field(
        True, description="known and known-good material takes its status, not model scores")
    plugin_dir: Path | None = Field(
        None, description="directory of agency ONNX classifiers, one sub-directory with a "
                          "manifest.json each")

    @field_validator("plugin_dir", mode="before")
    @classmethod
    def _no_empty_plugin_dir(cls, value: object) -> object:
        # An empty setting (SICHTER_TRIAGE__PLUGIN_DIR=) means none, not the current folder.
        return None if isinstance(value, str) and not value.strip() else value

    def policy(self) -> PriorityPolicy:
        """The priority policy these settings describe (unknown tiers keep their defaults)."""
        return PriorityPolicy(self.explicit_threshold, self.suggestive_threshold,
                              self.priority_spread, {**DEFAULT_TIERS, **self.priority_tiers})

    def recorded(self) -> dict[str, object]:
        """What a triage row records as its thresholds."""
        from sichter.triage.explicit import EXPLICIT_WEIGHTS

        return {**self.policy().record(), "age_margin": self.age_margin,
                "age_interval": self.age_interval, "face_min_score": self.face_min_score,
                "min_face_px": self.min_face_px,
                "face_detector": self.face_detector, "skip_known": self.skip_known,
                "detector_letterbox": self.detector_letterbox,
                "detector_precision": self.detector_precision,
                "precision_check": self.precision_check,
                "explicit_weights": EXPLICIT_WEIGHTS}
