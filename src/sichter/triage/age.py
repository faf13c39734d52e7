"""Age bands from an age estimate's interval (pure functions).

Bands: ``under14``, ``14to17``, ``adult``; ``uncertain`` when the interval, widened by the
margin on both sides, straddles 14 or 18 (published age-estimator errors on minors are
2.7–4 years MAE, so an estimate alone never decides a band). An image's band is its
youngest *confident* face; with faces but none confident it is ``uncertain``; without a
face ``none``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

CHILD_LIMIT = 14.0
ADULT_LIMIT = 18.0
BANDS_BY_AGE = ("under14", "14to17", "adult")
NONE = "none"
UNCERTAIN = "uncertain"
# Youngest first, an uncertain face (it may be a minor) before adults: the order in which a
# video's frames and an image's many faces are ranked (an image's own band is its youngest
# *confident* face, ``youngest_band``).
YOUNGEST_FIRST = ("under14", "14to17", UNCERTAIN, "adult", NONE)


def age_band(age_low: float, age_high: float, margin: float = 0.0) -> str:
    """The band of an age interval [age_low, age_high] widened by ``margin`` years each side."""
    low, high = min(age_low, age_high) - margin, max(age_low, age_high) + margin
    if high < CHILD_LIMIT:
        return "under14"
    if low >= CHILD_LIMIT and high < ADULT_LIMIT:
        return "14to17"
    if low >= ADULT_LIMIT:
        return "adult"
    return UNCERTAIN


def band_rank(band: str) -> int:
    """A band's place in ``YOUNGEST_FIRST`` (unknown bands last)."""
    return YOUNGEST_FIRST.index(band) if band in YOUNGEST_FIRST else len(YOUNGEST_FIRST)


def too_small(size_px: float | None, min_px: float) -> bool:
    """Whether a face measured fewer than ``min_px`` pixels (its shorter side) in the image
    the age model saw; faces stored before the size was recorded are not."""
    return size_px is not None and size_px < min_px


def face_band(age_low: float, age_high: float, margin: float, size_px: float | None = None,
              min_px: float = 0.0) -> str:
    """A face's band: ``age_band``, but ``uncertain`` when it is ``too_small``: the age model
    reads a 64 px chip, and a face enlarged from a thumbnail gives a confident-looking
    estimate of nothing (a 16 px astronaut came out 'adult, 24-24')."""
    if too_small(size_px, min_px):
        return UNCERTAIN
    return age_band(age_low, age_high, margin)


def youngest_band(bands: Iterable[str]) -> str:
    """The youngest confident band among faces; ``uncertain`` if none is confident; ``none``
    without faces."""
    seen = list(bands)
    if not seen:
        return NONE
    for band in BANDS_BY_AGE:
        if band in seen:
            return band
    return UNCERTAIN


def interval_from_distribution(probabilities: Sequence[float], ages: Sequence[float],
                               mass: float = 0.8) -> tuple[float, float]:
    """The central interval holding ``mass`` of a discrete age distribution (e.g. 0.8 → the
    10th to 90th percentile), from the class probabilities and the age of each class."""
    total = float(sum(probabilities))
    if total <= 0:
        raise ValueError("age distribution has no mass")
    tail = (1.0 - mass) / 2.0
    low_at, high_at = tail * total, (1.0 - tail) * total
    cumulative = 0.0
    low = high = float(ages[-1])
    found_low = False
    for p, age in zip(probabilities, ages, strict=True):
        cumulative += float(p)
        if not found_low and cumulative >= low_at:
            low, found_low = float(age), True
        if cumulative >= high_at:
            high = float(age)
            break
    return low, high
