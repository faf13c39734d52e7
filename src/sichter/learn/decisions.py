"""Where reviewer decisions come from. The review workspace owns them; learning only reads.

``DecisionSource`` is the small interface every learning service takes, so that tests (and a
later, different review store) can hand decisions in directly. The default adapter asks the
review workspace (``sichter.web.services.decisions.current_decisions``) and, where that
service is not installed, reads its ``review_state`` table; with neither there are none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ReviewedItem:
    """The current decision on one content: category code in the case's scheme, who, when."""

    content_id: int
    category: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


DecisionSource = Callable[[Session, int], Mapping[int, ReviewedItem]]


def review_decisions(session: Session, case_id: int) -> dict[int, ReviewedItem]:
    """The current decision per content of a case, from the review workspace."""
    try:
        from sichter.web.services.decisions import current_decisions
    except ImportError:
        return _from_review_state(session, case_id)
    out: dict[int, ReviewedItem] = {}
    for content_id, d in current_decisions(session, case_id).items():
        out[content_id] = ReviewedItem(
            content_id, getattr(d, "category", None),
            getattr(d, "reviewed_by", None) or getattr(d, "user", None),
            getattr(d, "reviewed_at", None) or getattr(d, "decided_at", None))
    return out


def decided_count(session: Session, case_id: int) -> int:
    """How many contents of the case carry a decision now: one indexed count, cheap enough to
    ask on every decision request (what ``review_decisions`` would yield, without loading it)."""
    try:
        from sichter.store.review_models import ReviewState
    except ImportError:
        return 0
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(ReviewState).where(
        ReviewState.case_id == case_id, ReviewState.category.is_not(None))) or 0)


def _from_review_state(session: Session, case_id: int) -> dict[int, ReviewedItem]:
    try:
        from sichter.store.review_models import ReviewState
    except ImportError:
        return {}
    rows = session.scalars(select(ReviewState).where(ReviewState.case_id == case_id))
    return {r.content_id: ReviewedItem(r.content_id, r.category, r.reviewed_by, r.reviewed_at)
            for r in rows}


def from_mapping(decisions: Mapping[int, ReviewedItem]) -> DecisionSource:
    """A source that always answers with ``decisions`` (tests, imports of external labels)."""
    return lambda _session, _case_id: decisions
