"""Users, memberships, review decisions and the audit chain (issue 6).

Decisions are judgments, kept apart from the measured facts in ``content``:
``review_decision`` is the append-only history (who decided what, when, under which scheme),
``review_state`` the current category per content with a row version for optimistic locking,
and ``audit_event`` a per-case hash chain of every decision and every full-size view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sichter.store.models import Base, Content

ROLES = ("investigator", "reviewer", "admin")


class Account(Base):
    """A person who may log in to the review workspace."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseMember(Base):
    """Who may see a case; everyone else gets 404 for anything in it."""

    __tablename__ = "case_member"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str] = mapped_column(String(200))


class ReviewDecision(Base):
    """One reviewer decision on one content (history; never updated)."""

    __tablename__ = "review_decision"
    __table_args__ = (
        Index("ix_review_decision_case_content", "case_id", "content_id"),
        Index("ix_review_decision_case_user", "case_id", "user", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(40))
    previous_category: Mapped[str | None] = mapped_column(String(40))
    user: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scheme: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)  # the review_state version this decision made
    source: Mapped[str] = mapped_column(String(20))  # grid, stack, item, api, undo, qa
    batch: Mapped[str] = mapped_column(String(32))  # one keypress; an undo reuses its batch


class ReviewState(Base):
    """The current decision per content; ``version`` rises with every change."""

    __tablename__ = "review_state"
    __table_args__ = (Index("ix_review_state_case_category", "case_id", "category"),)

    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"),
                                            primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    reviewed_by: Mapped[str] = mapped_column(String(200))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Append-only, per case: each row carries the hash of the row before it."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))  # ISO text: hashed exactly as stored
    user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    content_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the record outlives content
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ReviewQueue(Base):
    """The review grid, precomputed: one row per image/video content of a case.

    Denormalises what the grid sorts and filters on (triage priority, stack, hash-set status,
    the current decision) so a page is one index range scan instead of joins and correlated
    subqueries. Derived data: ``sichter.web.services.queue.refresh_queue`` rebuilds it from
    ``content``, ``triage`` and ``review_state``; decisions update their rows in place.
    """

    __tablename__ = "review_queue"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"),
                                            primary_key=True)
    priority: Mapped[int] = mapped_column(Integer)  # -1 when triage has not scored it
    is_leader: Mapped[bool] = mapped_column(Boolean)  # lowest content id of its stack
    stack_key: Mapped[str] = mapped_column(String(64))  # the PDQ, or the content id as text
    stack_size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(10))
    suggested_category: Mapped[str | None] = mapped_column(String(40))
    youngest_band: Mapped[str | None] = mapped_column(String(20))
    explicit: Mapped[float | None] = mapped_column(Float)
    known_status: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))  # the reviewer's current decision
    reviewed: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)  # review_state.version, 0 = never decided
    # what ordered this row: "triage", "none", or the learned ranking ("cal round 3",
    # "model <version>"); triage.priority itself stays untouched
    priority_source: Mapped[str] = mapped_column(String(100), default="triage")


class LoginSession(Base):
    """A login of the review workspace. The cookie carries a random token; this row holds its
    SHA-256, so logging out (``revoked_at``) ends the session on the server even for a copied
    cookie."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Near-duplicate stacks group contents by PDQ within a case; the grid asks for this often.
Index("ix_content_case_pdq", Content.case_id, Content.pdq)

# The grid reads tiles (leaders) best priority first, then by content id; each index below
# serves that order after equality on its prefix, so a page is a range scan whatever its depth.
# Trailing columns let the other filters be checked in the index before the row is read.
_Q = ReviewQueue
_ORDER = (_Q.priority.desc(), _Q.content_id)
Index("ix_review_queue_order", _Q.case_id, _Q.is_leader, *_ORDER, _Q.explicit, _Q.media_type,
      _Q.reviewed)
Index("ix_review_queue_reviewed", _Q.case_id, _Q.is_leader, _Q.reviewed, *_ORDER, _Q.explicit)
Index("ix_review_queue_category", _Q.case_id, _Q.is_leader, _Q.category, *_ORDER)
Index("ix_review_queue_suggested", _Q.case_id, _Q.is_leader, _Q.suggested_category, *_ORDER,
      _Q.reviewed)
Index("ix_review_queue_band", _Q.case_id, _Q.is_leader, _Q.youngest_band, *_ORDER, _Q.reviewed)
Index("ix_review_queue_status", _Q.case_id, _Q.is_leader, _Q.known_status, *_ORDER, _Q.reviewed)
Index("ix_review_queue_stack", _Q.case_id, _Q.stack_key)
