"""The per-case summary of the int8 detector checked against fp32, on recorded detector
outputs: what counts as a disagreement a reviewer would notice, and what is only drift."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.triage.precision import checks_in, summarise

THRESHOLDS = (0.25, 0.5)


def check(fp32: float, int8: float, faces: tuple[int, int] = (0, 0),
          classes: tuple[dict[str, float], dict[str, float]] | None = None) -> dict:
    fp32_classes, int8_classes = classes or ({}, {})
    return {"reference": "nudenet-3.4.2/320n.onnx#c15d8273adad",
            "fp32": {"explicit": fp32, "classes": fp32_classes, "face_detections": faces[0]},
            "int8": {"explicit": int8, "classes": int8_classes, "face_detections": faces[1]}}


def test_small_drift_is_measured_but_raises_no_warning() -> None:
    summary = summarise([check(0.01, 0.012), check(0.3, 0.31), check(0.7, 0.66)], THRESHOLDS)
    assert summary.checked == 3
    assert summary.explicit_diff_max == pytest.approx(0.04)
    assert summary.explicit_diff_mean == pytest.approx((0.002 + 0.01 + 0.04) / 3)
    assert summary.crossings == {"0.25": 0, "0.5": 0}
    assert summary.warning() is None


def test_a_score_across_a_threshold_or_a_face_found_by_one_precision_only_is_a_warning() -> None:
    summary = summarise([check(0.48, 0.53), check(0.2, 0.1), check(0.0, 0.0, faces=(1, 0))],
                        THRESHOLDS)
    assert summary.crossings == {"0.25": 0, "0.5": 1}
    assert summary.face_changes == 1
    warning = summary.warning()
    assert warning is not None
    assert "3 images" in warning and "1 across the explicit threshold 0.5" in warning
    assert "1 with a different number of faces" in warning and "fp32" in warning


def test_classes_gained_and_lost_count_labels_one_precision_found_and_the_other_did_not() -> None:
    summary = summarise([check(0.0, 0.0, classes=({"FACE_FEMALE": 0.6, "FEET_EXPOSED": 0.25},
                                                  {"FACE_FEMALE": 0.58, "BELLY_EXPOSED": 0.21}))],
                        THRESHOLDS)
    assert (summary.detections_gained, summary.detections_lost) == (1, 1)
    assert summary.class_diff_max == pytest.approx(0.25)
    assert summary.record()["class_diff_max"] == 0.25


def test_checks_are_found_on_photos_and_on_video_frames() -> None:
    photo = {"ai": {"explicit": 0.1, "precision_check": check(0.1, 0.1)}}
    video = {"video": {"frames": [{"t": 0.0, "precision_check": check(0.2, 0.3)},
                                  {"t": 5.0, "explicit": 0.1}, "not a frame"]}}
    assert len(checks_in(photo)) == 1 and len(checks_in(video)) == 1
    assert checks_in(None) == [] and checks_in({"ai": {"error": "models unavailable"}}) == []


scores = st.floats(0.0, 1.0, allow_nan=False)


@given(st.lists(st.tuples(scores, scores), max_size=40))
def test_summary_invariants(pairs: list[tuple[float, float]]) -> None:
    summary = summarise([check(a, b) for a, b in pairs], THRESHOLDS)
    assert summary.checked == len(pairs)
    assert 0.0 <= summary.explicit_diff_mean <= summary.explicit_diff_max + 1e-12
    for t in THRESHOLDS:
        expected = sum((a >= t) != (b >= t) for a, b in pairs)
        assert summary.crossings[str(t)] == expected
    assert (summary.warning() is None) == (sum(summary.crossings.values()) == 0)
