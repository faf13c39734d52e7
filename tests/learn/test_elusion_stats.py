"""The elusion statistics are pinned to known values and to scipy's own exact intervals."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from sichter.errors import UsageError
from sichter.learn.stats import clopper_pearson_upper, elusion, sample_size_for


def test_nothing_relevant_in_300_bounds_the_rate_near_one_percent() -> None:
    upper = clopper_pearson_upper(0, 300)
    assert upper == pytest.approx(1 - 0.05 ** (1 / 300), rel=1e-12)
    assert round(upper * 100, 2) == 0.99


@pytest.mark.parametrize(("k", "n"), [(1, 300), (3, 300), (5, 600), (17, 400), (50, 100)])
def test_upper_bound_matches_scipys_exact_one_sided_interval(k: int, n: int) -> None:
    expected = binomtest(k, n, alternative="less").proportion_ci(0.95, method="exact").high
    assert clopper_pearson_upper(k, n) == pytest.approx(expected, rel=1e-9)


def test_known_value_for_one_in_three_hundred() -> None:
    # Beta(0.95; 2, 299), the textbook one-sided bound: 1.57 %
    assert clopper_pearson_upper(1, 300) == pytest.approx(0.01574, abs=5e-5)


def test_all_relevant_bounds_at_one() -> None:
    assert clopper_pearson_upper(10, 10) == 1.0


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_bound_is_a_rate_above_the_point_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    upper = clopper_pearson_upper(k, n)
    assert k / n < upper <= 1.0


@given(st.integers(1, 500), st.integers(0, 20))
def test_more_relevant_in_the_sample_never_lowers_the_bound(n: int, k: int) -> None:
    k = min(k, n - 1)
    assert clopper_pearson_upper(k + 1, n) >= clopper_pearson_upper(k, n)


def test_elusion_gives_missed_files_and_recall_lower_bound() -> None:
    e = elusion(k=0, n=300, population=10_000, found=900)
    assert e.rate == 0.0
    assert e.missed_upper == pytest.approx(e.rate_upper * 10_000)
    assert e.missed_upper == pytest.approx(99.37, abs=0.01)
    assert e.recall_lower == pytest.approx(900 / (900 + e.missed_upper))
    assert e.recall_estimate == 1.0


def test_elusion_with_relevant_items_in_the_sample() -> None:
    e = elusion(k=6, n=600, population=50_000, found=1_500)
    assert e.rate == pytest.approx(0.01)
    assert e.missed_estimate == pytest.approx(500)
    assert e.recall_estimate == pytest.approx(0.75)
    # a small sample leaves a wide bound: the recall lower bound falls well below the estimate
    assert e.recall_lower is not None and e.recall_lower < 0.65


def test_recall_is_undefined_when_nothing_was_found_and_nothing_can_be_missed() -> None:
    e = elusion(k=0, n=5, population=5, found=0)
    assert e.recall_estimate is None
    assert e.recall_lower == 0.0  # but something might have been missed: nothing is proven


@pytest.mark.parametrize(("k", "n", "population", "found"),
                         [(0, 0, 10, 1), (4, 3, 10, 1), (-1, 3, 10, 1), (0, 20, 10, 1), (0, 5, 10, -1)])
def test_impossible_inputs_are_usage_errors(k: int, n: int, population: int, found: int) -> None:
    with pytest.raises(UsageError):
        elusion(k, n, population, found)


def test_sample_size_for_one_percent_is_299() -> None:
    n = sample_size_for(0.01)
    assert n == 299
    assert clopper_pearson_upper(0, n) < 0.01 <= clopper_pearson_upper(0, n - 1)
    assert math.isclose(clopper_pearson_upper(0, 300), 0.009937, abs_tol=1e-6)
