"""The video stage: keyframes scored like photos, the per-video score as the maximum over
frames with its time, an encrypted contact sheet and the vPDQ hash list.

Registered as video stage ``video``; its result is stored as ``Content.analysis["video"]``:
``duration, width, height, fps, codec, frames: [{t, reason, explicit, youngest_band, faces}],
explicit, explicit_t, youngest_band, youngest_band_t, classes`` (per-class maximum over
frames), ``faces`` (the frames' faces with their time ``t``), ``vpdq: ["frame,quality,pdqhex,t",
...], models, settings, complete``. A video that cannot be read raises an EvidenceError, which the
core records as ``{"error": reason}`` for this content while the batch continues.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from sichter.classify.video_config import VideoSettings
from sichter.errors import SichterError
from sichter.pipeline.stages import register_video_stage
from sichter.triage.age import band_rank

if TYPE_CHECKING:
    from PIL import Image

    from sichter.pipeline.analyse import AnalysisSettings

STAGE = "video"
VERSION = "1"
_MAX_FACES = 64  # faces kept per video (with their frame time), for priority reasons

ScoreFn = Callable[["Image.Image", "AnalysisSettings"], dict[str, Any]]


def youngest_band(bands: Sequence[str | None]) -> str | None:
    """The youngest of the given age bands (None entries, i.e. unscored frames, are skipped)."""
    known = [b for b in bands if b is not None]
    if not known:
        return None
    # "uncertain" ranks before "adult": a video is never called adult-only while one frame
    # might show a minor.
    return min(known, key=band_rank)


def aggregate(frames: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-video scores from per-frame ``{t, explicit, youngest_band}``: the maximum explicit
    score with the time of its (first) frame, and the youngest band with its first time."""
    scored = [f for f in frames if f.get("explicit") is not None]
    out: dict[str, Any] = {"explicit": None, "explicit_t": None,
                           "youngest_band": None, "youngest_band_t": None}
    if scored:
        top = max(scored, key=lambda f: (f["explicit"], -f["t"]))
        out["explicit"], out["explicit_t"] = top["explicit"], top["t"]
    band = youngest_band([f.get("youngest_band") for f in frames])
    if band is not None:
        out["youngest_band"] = band
        out["youngest_band_t"] = min(f["t"] for f in frames if f.get("youngest_band") == band)
    return out


def default_scorer() -> tuple[ScoreFn | None, str | None]:
    """The photo scorer (``sichter.classify.stage.score_image``) or why it is not available."""
    try:
        from sichter.classify.stage import score_image
    except ImportError as exc:
        return None, f"image scoring not available: {exc}"
    return score_image, None


def _add_plugins(seen: dict[str, dict[str, Any]], frame: dict[str, Any]) -> None:
    """Agency plug-ins over a video: each score's maximum over frames, failures counted."""
    for name, out in frame.items():
        agg = seen.setdefault(name, {"scores": {}})
        if not isinstance(out, dict) or out.get("error"):
            agg["failed_frames"] = agg.get("failed_frames", 0) + 1
            agg.setdefault("error", str(out.get("error")) if isinstance(out, dict) else "?")
            continue
        for score, value in (out.get("scores") or {}).items():
            agg["scores"][score] = max(value, agg["scores"].get(score, value))


def analyse_video(open_video: Callable[[], BinaryIO], settings: AnalysisSettings,
                  score: ScoreFn | None = None, cfg: VideoSettings | None = None) -> dict[str, Any]:
    """Scan the video once, score its keyframes with ``score`` (default: the photo scorer)
    and build the stage result, contact sheet under ``_derivatives``."""
    from sichter.classify.video_frames import scan
    from sichter.classify.video_sheet import contact_sheet

    cfg = cfg or VideoSettings.from_options(getattr(settings, "options", None))
    scanned = scan(open_video, cfg, settings.analysis_px, settings.max_pixels)
    note = None
    if score is None:
        score, note = default_scorer()
    frames: list[dict[str, Any]] = []
    models: dict[str, Any] = {}
    classes: dict[str, float] = {}
    faces: list[dict[str, Any]] = []
    plugins: dict[str, dict[str, Any]] = {}
    plugin_error: str | None = None  # the plug-ins could not be loaded
    for key in scanned.keyframes:
        t = round(key.t, 3)
        entry: dict[str, Any] = {"t": t, "reason": key.reason, "explicit": None,
                                 "youngest_band": None}
        if score is not None:
            try:
                result = score(key.image, settings)
            except (SichterError, RuntimeError, ValueError) as exc:
                # One frame's scores are lost (odd input to a model), never the video's.
                entry["error"] = str(exc) or type(exc).__name__
            else:
                entry["explicit"] = result.get("explicit")
                entry["youngest_band"] = result.get("youngest_band")
                if result.get("explicit_source"):
                    entry["explicit_source"] = result["explicit_source"]
                _add_plugins(plugins, result.get("plugins") or {})
                plugin_error = plugin_error or result.get("plugin_error")
                entry["faces"] = len(result.get("faces") or [])
                if "precision_check" in result:
                    entry["precision_check"] = result["precision_check"]
                models.update(result.get("models") or {})
                for name, value in (result.get("classes") or {}).items():
                    classes[name] = max(value, classes.get(name, value))
                faces += [{**f, "t": t} for f in result.get("faces") or []]
        frames.append(entry)
    faces = faces[:_MAX_FACES]
    sheet = contact_sheet([(k.t, k.image) for k in scanned.keyframes], cfg.sheet_columns,
                          cfg.sheet_tile_px)
    out: dict[str, Any] = {
        "duration": scanned.duration, "width": scanned.width, "height": scanned.height,
        "fps": scanned.fps, "codec": scanned.codec, "frames": frames,
        **aggregate(frames),
        "classes": classes,
        "faces": faces,
        "vpdq": [f.line() for f in scanned.vpdq],
        "models": models,
        "settings": {**cfg.model_dump(), "sample_seconds_used": scanned.sample_seconds,
                     "stage_version": VERSION},
        "frames_decoded": scanned.frames_decoded,
        "complete": scanned.complete,
        "_derivatives": {"contact_sheet": ("image/jpeg", sheet)},
    }
    if plugins:
        out["plugins"] = plugins
    if plugin_error:
        out["plugin_error"] = plugin_error
    best = next((f for f in frames if f["t"] == out.get("explicit_t")), None)
    if best and best.get("explicit_source"):
        out["explicit_source"] = best["explicit_source"]
    if scanned.rotation:
        out["display_rotation"] = scanned.rotation  # keyframes and sheet turned as a player shows
    if scanned.incomplete_reason:
        out["incomplete_reason"] = scanned.incomplete_reason
    if note:
        out["scoring_note"] = note
    return out


def video_stage(open_video: Callable[[], BinaryIO], settings: AnalysisSettings) -> dict[str, Any]:
    """The registered stage: ``analyse_video`` with the photo scorer."""
    return analyse_video(open_video, settings)


register_video_stage(STAGE, video_stage)
