"""Features per content, from facts already stored: AI outputs, known-match status, metadata.

Pure: ``feature_vector(facts)`` maps one ``ContentFacts`` to a fixed-order list of floats
named by ``FEATURE_NAMES``. The order is part of a trained model (stored with it), so add new
features only at the end. ``load_facts`` is the one place that reads them from the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.classify.nudenet_onnx import LABELS
from sichter.store.models import Content

# The detector's classes; per-class maxima live in analysis["ai"]["classes"].
DETECTOR_CLASSES = LABELS
BANDS = ("under14", "14to17", "adult", "uncertain", "none")

FEATURE_NAMES: tuple[str, ...] = (
    "explicit",
    *(f"class:{c}" for c in DETECTOR_CLASSES),
    "face_count", "face_max_score", "min_age", "min_age_low",
    *(f"band:{b}" for b in BANDS),
    "known", "known_good", "triage_priority", "triage_missing",
    "log_pixels", "aspect", "log_size", "has_exif", "has_camera", "is_video", "ai_missing",
)


@dataclass(frozen=True)
class ContentFacts:
    """What is known about one content before anyone reviews it."""

    content_id: int
    media_type: str
    width: int | None
    height: int | None
    size: int
    exif: dict[str, Any] | None
    analysis: dict[str, Any]
    triage_priority: int | None = None
    known_status: str | None = None


def _num(value: Any, default: float = 0.0) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if math.isfinite(out) else default


def feature_vector(facts: ContentFacts) -> list[float]:
    """The features of one content in ``FEATURE_NAMES`` order; missing facts become neutral."""
    raw = facts.analysis.get("ai") if isinstance(facts.analysis, dict) else None
    ai: dict[str, Any] = raw if isinstance(raw, dict) else {}
    classes: dict[str, Any] = ai["classes"] if isinstance(ai.get("classes"), dict) else {}
    raw_faces = ai.get("faces")
    faces = [f for f in raw_faces if isinstance(f, dict)] if isinstance(raw_faces, list) else []
    ages = [_num(f.get("age"), 99.0) for f in faces if f.get("age") is not None]
    lows = [_num(f.get("age_low"), 99.0) for f in faces if f.get("age_low") is not None]
    band = ai.get("youngest_band")
    if not isinstance(band, str) or band not in BANDS:
        band = "none" if not faces else "uncertain"
    w, h = facts.width or 0, facts.height or 0
    exif = facts.exif or {}
    vec = [_num(ai.get("explicit"))]
    vec += [_num(classes.get(c)) for c in DETECTOR_CLASSES]
    vec += [_num(ai.get("face_count", len(faces))),
            max((_num(f.get("score")) for f in faces), default=0.0),
            min(ages, default=99.0), min(lows, default=99.0)]
    vec += [1.0 if band == b else 0.0 for b in BANDS]
    vec += [1.0 if facts.known_status == "known" else 0.0,
            1.0 if facts.known_status == "known_good" else 0.0,
            (facts.triage_priority or 0) / 100.0, 1.0 if facts.triage_priority is None else 0.0]
    vec += [math.log1p(w * h), (w / h) if w and h else 1.0, math.log1p(max(facts.size, 0)),
            1.0 if exif else 0.0, 1.0 if any(k in exif for k in ("Make", "Model")) else 0.0,
            1.0 if facts.media_type == "video" else 0.0, 0.0 if ai else 1.0]
    return vec


def load_facts(session: Session, case_id: int, content_ids: Iterable[int] | None = None,
               ) -> list[ContentFacts]:
    """Facts of the reviewable contents of a case (all of them, or the ones named)."""
    from sichter.evidence.sniff import REVIEWABLE_MEDIA

    q = select(Content).where(Content.case_id == case_id, Content.media_type.in_(REVIEWABLE_MEDIA))
    if content_ids is not None:
        q = q.where(Content.id.in_(list(content_ids)))
    triage = _triage(session, case_id)
    out = []
    for c in session.scalars(q.order_by(Content.id)):
        prio, status = triage.get(c.id, (None, None))
        out.append(ContentFacts(c.id, c.media_type, c.width, c.height, c.size, c.exif,
                                c.analysis or {}, prio, status))
    return out


def _triage(session: Session, case_id: int) -> dict[int, tuple[int, str]]:
    try:
        from sichter.store.ai_models import Triage
    except ImportError:
        return {}
    rows = session.execute(select(Triage.content_id, Triage.priority, Triage.known_status)
                           .where(Triage.case_id == case_id))
    return {cid: (prio, status) for cid, prio, status in rows}
