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


# Near-duplicate stacks group contents by PDQ within a case; the grid asks for this often.
Index("ix_content_case_pdq", Content.case_id, Content.pdq)
