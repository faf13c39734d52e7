"""Features from stored model outputs: fixed order, neutral when facts are missing, robust
to whatever an older or foreign stage left in ``Content.analysis``."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sichter.learn.features import FEATURE_NAMES, ContentFacts, feature_vector


def _facts(analysis: dict, **kw) -> ContentFacts:
    base = {"content_id": 1, "media_type": "image", "width": 640, "height": 480, "size": 1000,
            "exif": None, "analysis": analysis}
    return ContentFacts(**{**base, **kw})


def _named(facts: ContentFacts) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, feature_vector(facts), strict=True))


def test_scores_faces_and_known_status_become_named_features() -> None:
    ai = {"explicit": 0.8, "classes": {"FACE_FEMALE": 0.7, "BELLY_EXPOSED": 0.4},
          "faces": [{"score": 0.9, "age": 30, "age_low": 26}, {"score": 0.6, "age": 12, "age_low": 9}],
          "face_count": 2, "youngest_band": "under14"}
    f = _named(_facts({"ai": ai}, triage_priority=80, known_status="known",
                      exif={"Make": "Canon"}))
    assert f["explicit"] == 0.8 and f["class:FACE_FEMALE"] == 0.7 and f["class:ANUS_EXPOSED"] == 0.0
    assert f["face_count"] == 2 and f["face_max_score"] == 0.9
    assert f["min_age"] == 12 and f["min_age_low"] == 9 and f["band:under14"] == 1.0
    assert f["known"] == 1.0 and f["known_good"] == 0.0 and f["triage_priority"] == 0.8
    assert f["has_camera"] == 1.0 and f["ai_missing"] == 0.0


def test_missing_ai_output_is_neutral_and_flagged() -> None:
    f = _named(_facts({}))
    assert f["explicit"] == 0.0 and f["face_count"] == 0 and f["band:none"] == 1.0
    assert f["ai_missing"] == 1.0 and f["triage_missing"] == 1.0


@given(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["explicit", "classes", "faces", "age", "score",
                                                       "face_count", "youngest_band", "FACE_MALE"]),
                                      inner, max_size=4), max_leaves=12))
def test_any_stored_analysis_gives_finite_features(junk: object) -> None:
    try:
        vec = feature_vector(_facts({"ai": junk}))
    except (TypeError, ValueError) as exc:  # a contract breach must be visible, not silent
        raise AssertionError(f"feature_vector failed on {junk!r}: {exc}") from exc
    assert len(vec) == len(FEATURE_NAMES)
    assert all(math.isfinite(v) for v in vec)
