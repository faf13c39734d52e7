"""Priority: a pure function from measured scores and known-material status to a priority
(0–100), a suggested category in the case's scheme, and the reasons that drove both.

Default order (tier bases in ``PriorityPolicy.tiers``; within a tier the explicit score
adds up to ``spread`` points, so more explicit ranks first):

==========================  ====  =========================================
tier                        base  when
==========================  ====  =========================================
explicit_under14              90  explicit ≥ threshold, youngest band under14
explicit_14to17               80  explicit, youngest band 14to17
known                         75  known categorised material (takes its category)
explicit_uncertain            70  explicit, faces but no confident band
explicit_no_face              60  explicit, no face seen (age unknown)
explicit_adult                50  explicit, adult faces only
minor_not_explicit            40  not explicit, a face under 18 or uncertain
unanalysed                    30  no usable scores (decode or model error)
adult_not_explicit            10  not explicit, adult faces only
nothing                        0  no person, nothing explicit
not_media                      0  neither image nor video (documents, databases ...)
known_good                     0  in a known-good set (and never above 0)
==========================  ====  =========================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sichter.evidence.sniff import REVIEWABLE_MEDIA
from sichter.triage import categories as cat
from sichter.triage.age import NONE, UNCERTAIN

DEFAULT_TIERS: dict[str, int] = {
    "explicit_under14": 90, "explicit_14to17": 80, "known": 75, "explicit_uncertain": 70,
    "explicit_no_face": 60, "explicit_adult": 50, "minor_not_explicit": 40, "unanalysed": 30,
    "adult_not_explicit": 10, "nothing": 0, "not_media": 0, "known_good": 0,
}


@dataclass(frozen=True)
class FaceScore:
    age: float
    age_low: float
    age_high: float
    age_band: str
    box: Sequence[float] = ()
    px: float | None = None  # shorter side of the face in the pixels the age model saw
    too_small: bool = False  # px below triage.min_face_px: uncertain whatever the estimate


@dataclass(frozen=True)
class Scores:
    """What the models measured about one content (None: no usable measurement)."""

    explicit: float | None
    classes: Mapping[str, float] = field(default_factory=dict)
    faces: Sequence[FaceScore] = ()
    youngest_band: str = NONE
    error: str | None = None  # why the models gave no scores (model missing, scoring failed)
    explicit_source: str | None = None  # an agency plug-in that raised the explicit score
    explicit_at: str | None = None  # where in a video or multi-frame image ("at 12 s", "frame 3")


@dataclass(frozen=True)
class Known:
    """Known-material status as matching reports it (status known / known_good / error /
    unknown; category a code in ``scheme``)."""

    status: str = "unknown"
    category: str | None = None
    scheme: str | None = None
    hashset: str | None = None


@dataclass(frozen=True)
class PriorityPolicy:
    explicit_threshold: float = 0.5
    suggestive_threshold: float = 0.25
    spread: int = 9
    tiers: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TIERS))

    def record(self) -> dict[str, Any]:
        return {"explicit_threshold": self.explicit_threshold,
                "suggestive_threshold": self.suggestive_threshold, "spread": self.spread,
                "tiers": dict(self.tiers)}


@dataclass(frozen=True)
class Judgment:
    priority: int
    suggested_category: str
    tier: str
    reasons: list[dict[str, Any]]


def prioritise(scores: Scores | None, known: Known, scheme: str,
               policy: PriorityPolicy = PriorityPolicy(), media_type: str = "image") -> Judgment:
    """The priority, suggested category (in ``scheme``) and reasons of one content of
    ``media_type`` (what sniffing its bytes found: image, video, text, ...)."""
    if known.status == "known_good":
        return Judgment(policy.tiers["known_good"], cat.category_code(cat.NON_PERTINENT, scheme),
                        "known_good", [{"reason": "known_good", "hashset": known.hashset,
                                        "text": f"in known-good set {known.hashset}"}])
    if known.status == "known":
        same_scheme = known.scheme in (None, scheme)
        category = known.category or "" if same_scheme else f"{known.scheme}:{known.category}"
        return Judgment(policy.tiers["known"], category, "known", [
            {"reason": "known", "hashset": known.hashset, "category": known.category,
             "scheme": known.scheme,
             "text": f"known material in {known.hashset}, category {known.category} "
                     f"({known.scheme})"}])
    if media_type not in REVIEWABLE_MEDIA and known.status != "error" and (
            scores is None or scores.explicit is None):
        # Not a picture the models could look at, and not a broken one either: below every
        # photo in the order, not among the unanalysed images a person must look at.
        return Judgment(policy.tiers["not_media"], cat.category_code(cat.UNCATEGORISED, scheme),
                        "not_media", [{"reason": "not_media",
                                       "text": f"not an image or video ({media_type})"}])
    if scores is None or scores.explicit is None:
        text = ("could not be read or decoded" if known.status == "error"
                else f"no model scores: {scores.error}" if scores is not None and scores.error
                else "no model scores")
        return Judgment(policy.tiers["unanalysed"], cat.category_code(cat.UNCATEGORISED, scheme),
                        "unanalysed", [{"reason": "unanalysed", "text": text}])
    explicit = scores.explicit
    is_explicit = explicit >= policy.explicit_threshold
    band = scores.youngest_band
    bands = {f.age_band for f in scores.faces}
    reasons: list[dict[str, Any]] = []
    if is_explicit:
        top = sorted(((v, k) for k, v in scores.classes.items() if v > 0), reverse=True)[:3]
        reasons.append({"reason": "explicit", "score": explicit,
                        "threshold": policy.explicit_threshold,
                        "classes": {k: v for v, k in top},
                        "text": f"explicit {explicit:.2f} ≥ {policy.explicit_threshold:g}"
                                + _where(scores)}
                       | ({"source": scores.explicit_source} if scores.explicit_source else {})
                       | ({"at": scores.explicit_at} if scores.explicit_at else {}))
    for f in sorted(scores.faces, key=lambda f: f.age):
        reasons.append({"reason": "face", "age": f.age, "age_low": f.age_low,
                        "age_high": f.age_high, "age_band": f.age_band, "box": list(f.box),
                        "text": f"face aged {f.age:.0f} ({f.age_low:g}–{f.age_high:g}): "
                                f"{f.age_band}" + _small(f)})
    tier, meaning = _tier(is_explicit, explicit, band, bands, policy)
    priority = policy.tiers[tier] + round(policy.spread * min(1.0, max(0.0, explicit)))
    reasons.insert(0, {"reason": "tier", "tier": tier, "text": tier.replace("_", " ")})
    return Judgment(min(100, max(0, priority)), cat.category_code(meaning, scheme), tier, reasons)


def _where(scores: Scores) -> str:
    said = [f"from {scores.explicit_source}"] if scores.explicit_source else []
    said += [scores.explicit_at] if scores.explicit_at else []
    return f" ({', '.join(said)})" if said else ""


def _small(face: FaceScore) -> str:
    """Why a face with a confident-looking interval is nonetheless uncertain."""
    return f" (face only {face.px:.0f} px: too small to estimate an age)" if face.too_small else ""


def _tier(is_explicit: bool, explicit: float, band: str, bands: set[str],
          policy: PriorityPolicy) -> tuple[str, str]:
    if is_explicit:
        if band == "under14":
            return "explicit_under14", cat.CHILD
        if band == "14to17":
            return "explicit_14to17", cat.JUVENILE
        if band == UNCERTAIN or UNCERTAIN in bands:
            return "explicit_uncertain", cat.AGE_DIFFICULT
        if band == NONE:
            return "explicit_no_face", cat.AGE_DIFFICULT
        return "explicit_adult", cat.COMPARISON
    if bands & {"under14", "14to17", UNCERTAIN}:
        suggestive = explicit >= policy.suggestive_threshold
        return "minor_not_explicit", cat.AGE_DIFFICULT if suggestive else cat.NON_PERTINENT
    if band == "adult":
        return "adult_not_explicit", cat.NON_PERTINENT
    return "nothing", cat.NON_PERTINENT
