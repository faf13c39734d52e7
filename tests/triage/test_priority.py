"""The priority policy on recorded detector outputs (numbers only, never images)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.triage.age import age_band, youngest_band
from sichter.triage.explicit import explicit_score
from sichter.triage.priority import FaceScore, Known, PriorityPolicy, Scores, prioritise

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "recorded_scores.json").read_text())
CASES = {c["name"]: c for c in RECORDED["cases"]}


def scores_of(case: dict[str, Any], margin: float = 1.0) -> Scores:
    faces = [FaceScore(f["age"], f["age_low"], f["age_high"],
                       age_band(f["age_low"], f["age_high"], margin)) for f in case["faces"]]
    return Scores(explicit_score(case["classes"]), case["classes"], faces,
                  youngest_band(f.age_band for f in faces))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("scheme", ["vics-us", "dhs", "de"])
def test_recorded_outputs_get_their_tier_and_category(name: str, scheme: str) -> None:
    case = CASES[name]
    judgment = prioritise(scores_of(case), Known(), scheme)
    assert judgment.tier == case["expect_tier"]
    assert judgment.suggested_category == case["expect_category"][scheme]
    assert 0 <= judgment.priority <= 100


def test_default_order_child_then_juvenile_then_adult_then_nothing() -> None:
    order = ["explicit_child", "explicit_juvenile", "explicit_uncertain", "explicit_no_face",
             "explicit_adult", "child_not_explicit", "adult_portrait", "landscape"]
    priorities = [prioritise(scores_of(CASES[n]), Known(), "vics-us").priority for n in order]
    assert priorities == sorted(priorities, reverse=True)
    assert len(set(priorities)) == len(priorities)


def test_reasons_name_the_detections_and_faces_that_drove_the_priority() -> None:
    judgment = prioritise(scores_of(CASES["explicit_child"]), Known(), "vics-us")
    kinds = [r["reason"] for r in judgment.reasons]
    assert kinds == ["tier", "explicit", "face"]
    assert judgment.reasons[1]["classes"]["FEMALE_GENITALIA_EXPOSED"] == 0.81
    assert judgment.reasons[2]["age_band"] == "under14"


def test_known_good_is_lowest_whatever_the_scores() -> None:
    judgment = prioritise(scores_of(CASES["explicit_child"]), Known("known_good", hashset="nsrl"),
                          "vics-us")
    assert judgment.priority == 0
    assert judgment.suggested_category == "0"


def test_known_material_takes_its_category() -> None:
    judgment = prioritise(scores_of(CASES["landscape"]),
                          Known("known", "1", "vics-us", "agency-set"), "vics-us")
    assert judgment.suggested_category == "1"
    assert judgment.tier == "known"
    assert judgment.reasons[0]["hashset"] == "agency-set"


def test_known_category_in_another_scheme_keeps_that_scheme_visible() -> None:
    judgment = prioritise(None, Known("known", "A", "caid-uk", "uk-set"), "vics-us")
    assert judgment.suggested_category == "caid-uk:A"


def test_unreadable_content_is_not_silently_lowest() -> None:
    judgment = prioritise(None, Known("error"), "vics-us")
    assert judgment.tier == "unanalysed"
    assert judgment.priority > prioritise(scores_of(CASES["landscape"]), Known(), "vics-us").priority


def test_a_model_failure_is_named_in_the_reason() -> None:
    from sichter.triage.priority import Scores

    judgment = prioritise(Scores(None, error="AI models unavailable: no detector"), Known(),
                          "vics-us")
    assert judgment.tier == "unanalysed"
    assert judgment.reasons[0]["text"] == "no model scores: AI models unavailable: no detector"
    assert prioritise(None, Known(), "vics-us").reasons[0]["text"] == "no model scores"


def test_threshold_from_policy_decides_what_counts_as_explicit() -> None:
    scores = scores_of(CASES["explicit_adult"])  # explicit ≈ 0.83
    assert prioritise(scores, Known(), "vics-us", PriorityPolicy(explicit_threshold=0.9)).tier \
        == "adult_not_explicit"


def test_explicit_score_formula() -> None:
    assert explicit_score({}) == 0.0
    assert explicit_score({"FACE_FEMALE": 0.99, "FEET_EXPOSED": 0.9}) == 0.0
    assert explicit_score({"FEMALE_GENITALIA_EXPOSED": 0.8}) == 0.8
    assert explicit_score({"BUTTOCKS_EXPOSED": 0.5}) == 0.4
    # two independent detections add up (noisy-OR) but never exceed 1
    assert explicit_score({"FEMALE_GENITALIA_EXPOSED": 0.5, "ANUS_EXPOSED": 0.5}) == 0.75


@given(st.dictionaries(st.sampled_from(["FEMALE_GENITALIA_EXPOSED", "BUTTOCKS_EXPOSED",
                                        "FACE_MALE", "FEMALE_BREAST_EXPOSED"]),
                       st.floats(0, 1)))
def test_explicit_score_is_in_unit_interval_and_monotone(classes: dict[str, float]) -> None:
    score = explicit_score(classes)
    assert 0.0 <= score <= 1.0
    raised = {k: min(1.0, v + 0.1) for k, v in classes.items()}
    assert explicit_score(raised) >= score


def test_documents_and_other_non_media_rank_below_every_photo_not_among_unanalysed_images() -> None:
    text = prioritise(None, Known(), "vics-us", media_type="text")
    assert text.tier == "not_media" and text.priority == 0
    assert "not an image or video (text)" in text.reasons[0]["text"]
    for photo in ("adult_portrait", "landscape"):
        assert text.priority <= prioritise(scores_of(CASES[photo]), Known(), "vics-us").priority
    # A broken image, or any file that could not be read, still needs a person's eyes.
    assert prioritise(None, Known(), "vics-us", media_type="image").tier == "unanalysed"
    assert prioritise(None, Known("error"), "vics-us", media_type="other").tier == "unanalysed"
    # Known material is known whatever it is.
    assert prioritise(None, Known("known", "1", "vics-us", "set"), "vics-us",
                      media_type="other").tier == "known"


def test_the_explicit_reason_says_where_and_which_model() -> None:
    from dataclasses import replace

    scores = replace(scores_of(CASES["explicit_child"]), explicit_source="plugin:agency",
                     explicit_at="at 12 s")
    reason = prioritise(scores, Known(), "vics-us").reasons[1]
    assert reason["reason"] == "explicit" and reason["source"] == "plugin:agency"
    assert reason["text"].endswith("(from plugin:agency, at 12 s)") and reason["at"] == "at 12 s"
