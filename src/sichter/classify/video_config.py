"""Settings of the video stage (``[video]`` in sichter.toml, ``SICHTER_VIDEO__<NAME>``).

They are recorded with every run (they travel in ``AnalysisSettings.options``) and copied
into each video's stage result, so a score says which sampling produced it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class VideoSettings(BaseModel):
    """How keyframes are chosen and how much work one video may cost."""

    sample_seconds: float = Field(
        5.0, gt=0.0, description="at least one keyframe every this many seconds (stretched "
                                 "when a long video would exceed max_frames)")
    scene_threshold: float = Field(
        0.12, gt=0.0, le=1.0, description="mean absolute change of a 32x32 grey frame (0-1) "
                                          "from the previous one that counts as a scene cut")
    min_scene_seconds: float = Field(
        0.5, ge=0.0, description="scene cuts closer than this to the previous keyframe are "
                                 "ignored (flicker, strobe)")
    max_frames: int = Field(32, ge=1, le=1000, description="keyframes scored per video")
    time_budget_s: float = Field(
        60.0, gt=0.0, description="wall-clock seconds of decoding per video; a longer video is "
                                  "analysed up to that point and marked incomplete")
    vpdq_seconds_per_hash: float = Field(
        1.0, ge=0.0, description="vPDQ sampling (the reference default, 1 frame/s; 0 = every frame)")
    sheet_columns: int = Field(4, ge=1, le=16, description="contact sheet tiles per row")
    sheet_tile_px: int = Field(192, ge=32, le=1024, description="contact sheet tile width")

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> VideoSettings:
        """The ``video`` section of a run's recorded settings; defaults when absent."""
        return cls.model_validate((options or {}).get("video") or {})
