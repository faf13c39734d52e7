"""QA of the low-priority pile: draw a uniform random sample of what the ranking calls
irrelevant, and, once reviewers have decided it, state what may have been missed.

The sample is stored with n, seed, the pile's size N, the threshold, the ranking's provenance,
who and when, so that anyone can redraw exactly the same items. The web UI shows it as its own
queue (``qa_queue``) in draw order; reviewing in that order keeps any reviewed prefix a uniform
sample too.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter import __version__
from sichter.errors import UsageError
from sichter.learn.decisions import DecisionSource, review_decisions
from sichter.learn.labels import is_relevant
from sichter.learn.ranking import case_ranking
from sichter.learn.stats import Elusion, elusion
from sichter.store.cases import get_case, log, now
from sichter.store.learning_models import QaSample, QaSampleItem

# ranking score (0..1; triage priority / 100) below which the ranking calls an item irrelevant
DEFAULT_THRESHOLD = 0.25


@dataclass(frozen=True)
class SampleInfo:
    id: int
    case: str
    n: int
    requested: int
    seed: int
    population: int
    threshold: float
    created_at: datetime
    created_by: str
    content_ids: list[int]


@dataclass(frozen=True)
class QaResult:
    sample: SampleInfo
    reviewed: int
    relevant_in_sample: int
    found_outside: int
    reviewers: list[str]
    elusion: Elusion | None          # None until at least one sample item has been reviewed


def draw(sessions: sessionmaker[Session], case_name: str, n: int, user: str, seed: int | None = None,
         threshold: float = DEFAULT_THRESHOLD, source: DecisionSource = review_decisions) -> SampleInfo:
    """Draw and store a uniform sample of n unreviewed items ranked below ``threshold``.

    Without a seed one is chosen at random and recorded. Asking for more than the pile holds
    takes the whole pile (the stored n says so).
    """
    if n <= 0:
        raise UsageError("the QA sample size --n must be at least 1")
    if not 0.0 < threshold <= 1.0:
        raise UsageError(f"threshold {threshold} must lie in (0, 1]")
    seed = secrets.randbits(32) if seed is None else seed
    if seed < 0:
        raise UsageError("the seed must not be negative")
    with sessions.begin() as s:
        case = get_case(s, case_name)
        ranking = case_ranking(s, case.id)
        decided = {cid for cid, d in source(s, case.id).items() if d.category is not None}
        pile = sorted(cid for cid, score in ranking.scores.items()
                      if score < threshold and cid not in decided)
        if not pile:
            raise UsageError(f"nothing unreviewed ranks below {threshold} in case {case_name!r}")
        chosen = random.Random(seed).sample(pile, min(n, len(pile)))
        sample = QaSample(case_id=case.id, n=len(chosen), seed=seed, population=len(pile),
                          threshold=threshold,
                          ranking={"sources": ranking.sources, **ranking.provenance, "requested": n},
                          created_at=now(), created_by=user, sichter_version=__version__)
        s.add(sample)
        s.flush()
        s.add_all(QaSampleItem(sample_id=sample.id, content_id=cid, position=i)
                  for i, cid in enumerate(chosen))
        log(s, case.id, user, "qa-sample", {"sample": sample.id, "n": len(chosen), "seed": seed,
                                            "population": len(pile), "threshold": threshold})
        return _info(sample, case.name, chosen)


def _info(sample: QaSample, case_name: str, content_ids: list[int]) -> SampleInfo:
    return SampleInfo(sample.id, case_name, sample.n, int(sample.ranking.get("requested", sample.n)),
                      sample.seed, sample.population, sample.threshold, sample.created_at,
                      sample.created_by, content_ids)


def latest_sample(session: Session, case_id: int, case_name: str,
                  sample_id: int | None = None) -> SampleInfo | None:
    """The newest QA sample of a case (or the one asked for), with its items in draw order."""
    q = select(QaSample).where(QaSample.case_id == case_id)
    q = q.where(QaSample.id == sample_id) if sample_id is not None else q.order_by(QaSample.id.desc())
    sample = session.scalars(q.limit(1)).first()
    if sample is None:
        return None
    ids = list(session.scalars(select(QaSampleItem.content_id).where(QaSampleItem.sample_id == sample.id)
                               .order_by(QaSampleItem.position)))
    return _info(sample, case_name, ids)


def qa_queue(session: Session, case_id: int, source: DecisionSource = review_decisions) -> list[int]:
    """Content ids of the newest QA sample still to review, in draw order (for the web UI)."""
    sample = latest_sample(session, case_id, "")
    if sample is None:
        return []
    decided = {cid for cid, d in source(session, case_id).items() if d.category is not None}
    return [cid for cid in sample.content_ids if cid not in decided]


def result(sessions: sessionmaker[Session], case_name: str, sample_id: int | None = None,
           source: DecisionSource = review_decisions, confidence: float = 0.95) -> QaResult:
    """Elusion rate and bounds from the reviewed part of a QA sample (see ``learn.stats``).

    ``found`` is every relevant decision in the case outside the sample: what review found.
    """
    with sessions() as s:
        case = get_case(s, case_name)
        sample = latest_sample(s, case.id, case.name, sample_id)
        if sample is None:
            raise UsageError(f"case {case_name!r} has no QA sample; draw one with 'sichter qa sample'")
        decisions = source(s, case.id)
        in_sample = set(sample.content_ids)
        labels = {cid: is_relevant(d.category, case.scheme) for cid, d in decisions.items()}
        reviewed = [cid for cid in sample.content_ids if labels.get(cid) is not None]
        k = sum(1 for cid in reviewed if labels[cid])
        found = sum(1 for cid, rel in labels.items() if rel and cid not in in_sample)
        reviewers = sorted({decisions[cid].reviewed_by or "?" for cid in reviewed})
        est = (elusion(k, len(reviewed), sample.population, found, confidence) if reviewed else None)
        return QaResult(sample, len(reviewed), k, found, reviewers, est)
