"""How far the int8 detector's scores were from the fp32 model's on a case's own images.

The int8 copy of the detector (sichter.classify.nudenet_int8) is calibrated on benign photos,
the only ones there may be where it is made; on material that drives its activations beyond
that range its scores may drift further than bench/RESULTS.md measured. So a small share of
every case's images (``triage.precision_check``) is also scored by the fp32 model, and this
pure summary says, per case, how far apart the two were — on the material that matters, which
no developer can ever test on — and whether the difference changed anything a reviewer sees:
an explicit score on the other side of a threshold, or a face found by one and not the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PrecisionSummary:
    checked: int = 0
    explicit_diff_max: float = 0.0
    explicit_diff_mean: float = 0.0
    class_diff_max: float = 0.0
    crossings: dict[str, int] = field(default_factory=dict)
    face_changes: int = 0
    detections_gained: int = 0
    detections_lost: int = 0
    failed: int = 0  # checks the fp32 model could not make (the int8 scores stand)

    def record(self) -> dict[str, Any]:
        return {"checked": self.checked, "explicit_diff_max": round(self.explicit_diff_max, 4),
                "explicit_diff_mean": round(self.explicit_diff_mean, 4),
                "class_diff_max": round(self.class_diff_max, 4), "crossings": self.crossings,
                "face_changes": self.face_changes, "detections_gained": self.detections_gained,
                "detections_lost": self.detections_lost, "failed": self.failed}

    def warning(self) -> str | None:
        """What a reviewer should hear when the two precisions disagreed where it matters."""
        crossed = sum(self.crossings.values())
        if not crossed and not self.face_changes:
            return None
        parts = [f"{n} across the explicit threshold {t}" for t, n in self.crossings.items() if n]
        if self.face_changes:
            parts.append(f"{self.face_changes} with a different number of faces")
        return (f"int8 detector checked against fp32 on {self.checked} images of this case: "
                + "; ".join(parts) + f" (explicit score difference up to "
                f"{self.explicit_diff_max:.3f}). For fp32 scores ingest the evidence into a new "
                "case with triage.detector_precision = 'fp32'")


def summarise(checks: Iterable[Mapping[str, Any]], thresholds: Sequence[float]) -> PrecisionSummary:
    """The summary of ``precision_check`` records (sichter.classify.stage) at the explicit
    ``thresholds`` the priority uses."""
    out = PrecisionSummary(crossings={str(t): 0 for t in thresholds})
    total = 0.0
    for check in checks:
        if check.get("error"):
            out.failed += 1
            continue
        fp32, int8 = check.get("fp32") or {}, check.get("int8") or {}
        a, b = float(fp32.get("explicit") or 0.0), float(int8.get("explicit") or 0.0)
        out.checked += 1
        total += abs(a - b)
        out.explicit_diff_max = max(out.explicit_diff_max, abs(a - b))
        for t in thresholds:
            if (a >= t) != (b >= t):
                out.crossings[str(t)] += 1
        ca, cb = fp32.get("classes") or {}, int8.get("classes") or {}
        for name in set(ca) | set(cb):
            out.class_diff_max = max(out.class_diff_max,
                                     abs(float(ca.get(name, 0.0)) - float(cb.get(name, 0.0))))
        out.detections_gained += len(set(cb) - set(ca))
        out.detections_lost += len(set(ca) - set(cb))
        out.face_changes += fp32.get("face_detections", 0) != int8.get("face_detections", 0)
    out.explicit_diff_mean = total / out.checked if out.checked else 0.0
    return out


def checks_in(analysis: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The precision checks stored in one content's analysis (a photo's, a video's frames')."""
    found: list[Mapping[str, Any]] = []
    ai, video = (analysis or {}).get("ai"), (analysis or {}).get("video")
    if isinstance(ai, Mapping) and isinstance(ai.get("precision_check"), Mapping):
        found.append(ai["precision_check"])
    if isinstance(ai, Mapping):  # an animated image's later frames
        found += [f["precision_check"] for f in ai.get("image_frames") or []
                  if isinstance(f, Mapping) and isinstance(f.get("precision_check"), Mapping)]
    if isinstance(video, Mapping):
        found += [f["precision_check"] for f in video.get("frames") or []
                  if isinstance(f, Mapping) and isinstance(f.get("precision_check"), Mapping)]
    return found
