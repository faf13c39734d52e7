"""Elusion statistics for the QA sample of the low-priority pile. Pure functions, no I/O.

An elusion test reviews a uniform random sample of ``n`` items drawn from the ``N`` items the
ranking called irrelevant (and nobody reviewed). With ``k`` relevant items in the sample the
exact one-sided upper confidence bound on the relevant rate is Clopper–Pearson's
``Beta.ppf(confidence, k + 1, n - k)``; for ``k == 0`` that is ``1 - (1 - confidence)^(1/n)``
(0 in 300 at 95 % -> 0.99 %). Upper bound on missed files = bound × N; implied recall lower
bound = found / (found + missed upper bound). Sources: docs/domain.md, "Measured recall".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import beta

from sichter.errors import UsageError


def clopper_pearson_upper(k: int, n: int, confidence: float = 0.95) -> float:
    """Exact one-sided upper bound on a binomial rate after ``k`` successes in ``n`` trials."""
    if n <= 0:
        raise UsageError("a QA sample needs at least one reviewed item")
    if not 0 <= k <= n:
        raise UsageError(f"found {k} relevant in a sample of {n}: must be between 0 and n")
    if not 0.0 < confidence < 1.0:
        raise UsageError(f"confidence {confidence} must lie strictly between 0 and 1")
    if k == n:
        return 1.0
    if k == 0:
        # closed form, exact; also what beta.ppf gives, but without its numerical noise
        return float(1.0 - (1.0 - confidence) ** (1.0 / n))
    return float(beta.ppf(confidence, k + 1, n - k))


@dataclass(frozen=True)
class Elusion:
    """What an elusion test says about the relevant files left in the unreviewed pile."""

    n: int                     # items in the sample that were reviewed
    k: int                     # of them judged relevant
    population: int            # N: size of the pile the sample was drawn from
    found: int                 # relevant files found by review outside the pile
    confidence: float
    rate: float                # elusion rate k / n (point estimate)
    rate_upper: float          # Clopper–Pearson upper bound on the rate
    missed_estimate: float     # rate × N
    missed_upper: float        # rate_upper × N
    recall_estimate: float | None      # found / (found + missed_estimate)
    recall_lower: float | None         # found / (found + missed_upper)


def elusion(k: int, n: int, population: int, found: int, confidence: float = 0.95) -> Elusion:
    """The elusion rate, its exact upper bound, missed files and the implied recall bound.

    ``found`` counts the relevant files reviewers found outside the sampled pile; recall is
    ``None`` when nothing relevant was found and nothing can be missed (0 / 0).
    """
    if population < n:
        raise UsageError(f"a sample of {n} cannot come from a pile of {population}")
    if found < 0:
        raise UsageError("the number of relevant files found cannot be negative")
    upper = clopper_pearson_upper(k, n, confidence)
    rate = k / n
    missed_est = rate * population
    missed_up = upper * population
    return Elusion(n, k, population, found, confidence, rate, upper, missed_est, missed_up,
                   _recall(found, missed_est), _recall(found, missed_up))


def _recall(found: int, missed: float) -> float | None:
    if found + missed <= 0:
        return None
    return found / (found + missed)


def sample_size_for(rate_upper: float, confidence: float = 0.95) -> int:
    """Smallest n such that finding nothing relevant bounds the rate below ``rate_upper``."""
    if not 0.0 < rate_upper < 1.0:
        raise UsageError("the target bound must lie strictly between 0 and 1")
    return math.ceil(math.log(1.0 - confidence) / math.log(1.0 - rate_upper))
