"""Case figures for the overview screen, the API and the HTML report: progress and decisions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sichter.evidence.sniff import REVIEWABLE_MEDIA
from sichter.store.models import Content
from sichter.store.review_models import ReviewDecision, ReviewState
from sichter.web.services.triage_view import triage_table


@dataclass
class ReviewerStats:
    user: str
    decisions: int
    items: int
    first: str | None
    last: str | None


@dataclass
class Overview:
    contents: int
    media: int
    reviewed: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_suggested: dict[str, int] = field(default_factory=dict)
    by_band: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    reviewers: list[ReviewerStats] = field(default_factory=list)

    @property
    def progress(self) -> float:
        return self.reviewed / self.media if self.media else 0.0


def overview(session: Session, case_id: int) -> Overview:
    media = Content.media_type.in_(REVIEWABLE_MEDIA)
    contents = session.scalar(select(func.count()).where(Content.case_id == case_id)) or 0
    n_media = session.scalar(select(func.count()).where(Content.case_id == case_id, media)) or 0
    category_rows = session.execute(
        select(ReviewState.category, func.count()).where(ReviewState.case_id == case_id,
                                                         ReviewState.category.is_not(None))
        .group_by(ReviewState.category))
    # The query already leaves out NULL categories; the test only tells the type checker.
    by_category = {k: int(v) for k, v in category_rows if k is not None}
    ov = Overview(contents, n_media, sum(by_category.values()), by_category=by_category)
    t = triage_table(session)
    if t is not None:
        for name, attr in (("known_status", "by_status"), ("suggested_category", "by_suggested"),
                           ("youngest_band", "by_band")):
            if name in t.c:
                c = func.coalesce(func.nullif(t.c[name], ""), "–")  # "" = uncategorised
                q = select(c, func.count()).where(t.c.case_id == case_id).group_by(c)
                if name != "known_status":  # bands and categories are about pictures
                    q = q.join(Content, Content.id == t.c.content_id).where(media)
                setattr(ov, attr, {str(k): int(v) for k, v in session.execute(q)})
    rows = session.execute(
        select(ReviewDecision.user, func.count(), func.count(func.distinct(ReviewDecision.content_id)),
               func.min(ReviewDecision.decided_at), func.max(ReviewDecision.decided_at))
        .where(ReviewDecision.case_id == case_id, ReviewDecision.source != "undo")
        .group_by(ReviewDecision.user).order_by(ReviewDecision.user))
    ov.reviewers = [ReviewerStats(u, int(n), int(i), a.isoformat() if a else None,
                                  b.isoformat() if b else None) for u, n, i, a, b in rows]
    return ov


def case_review(sessions: sessionmaker[Session], case_name: str) -> Overview:
    """Review figures of a case by name, for the HTML report."""
    from sichter.store.cases import get_case

    with sessions() as s:
        return overview(s, get_case(s, case_name).id)
