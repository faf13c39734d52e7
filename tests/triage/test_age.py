"""Age bands from intervals: uncertain when an interval straddles 14 or 18."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.triage.age import age_band, interval_from_distribution, youngest_band


@pytest.mark.parametrize(("low", "high", "margin", "band"), [
    (5, 11, 1.0, "under14"),
    (5, 13, 1.0, "uncertain"),   # 13 + 1 reaches 14
    (5, 13, 0.0, "under14"),
    (14.5, 16, 0.0, "14to17"),
    (14.5, 16, 1.0, "uncertain"),
    (19, 40, 1.0, "adult"),
    (17, 40, 0.0, "uncertain"),
])
def test_age_band(low: float, high: float, margin: float, band: str) -> None:
    assert age_band(low, high, margin) == band


def test_youngest_confident_band() -> None:
    assert youngest_band([]) == "none"
    assert youngest_band(["adult", "uncertain"]) == "adult"
    assert youngest_band(["adult", "14to17", "under14"]) == "under14"
    assert youngest_band(["uncertain", "uncertain"]) == "uncertain"


def test_interval_holds_the_central_mass() -> None:
    ages = [0.25, *range(1, 81)]
    probs = [0.0] * 81
    probs[30], probs[35], probs[40] = 0.2, 0.6, 0.2
    assert interval_from_distribution(probs, ages, 0.8) == (30, 40)
    assert interval_from_distribution(probs, ages, 0.5) == (35, 35)


@given(st.lists(st.floats(0, 1), min_size=81, max_size=81).filter(lambda p: sum(p) > 1e-6),
       st.floats(0.05, 0.95), st.floats(0, 5))
def test_interval_is_ordered_and_margin_only_widens_doubt(probs: list[float], mass: float,
                                                         margin: float) -> None:
    ages = [0.25, *range(1, 81)]
    low, high = interval_from_distribution(probs, ages, mass)
    assert 0.25 <= low <= high <= 80
    tight = age_band(low, high, 0.0)
    wide = age_band(low, high, margin)
    assert wide == tight or wide == "uncertain"


def test_a_face_too_small_for_the_age_model_is_uncertain_whatever_its_interval() -> None:
    from sichter.triage.age import face_band

    assert face_band(30, 40, 1.0, size_px=16, min_px=32) == "uncertain"
    assert face_band(30, 40, 1.0, size_px=32, min_px=32) == "adult"
    assert face_band(30, 40, 1.0) == "adult"  # size unknown (scores stored before it was)
    assert face_band(5, 8, 1.0, size_px=10, min_px=32) == "uncertain"
