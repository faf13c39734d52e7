"""Trained models, QA samples and active-learning state (issue 7), on ``sichter.store.models.Base``.

Facts apart from judgments: these tables hold judgments (trained models, learned scores) and
the provenance of QA samples; they never edit a measurement or a reviewer's decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sichter.store.models import Base


class LearnedModel(Base):
    """A relevance (and category) model trained on reviewer decisions: one row per version."""

    __tablename__ = "learned_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    sichter_version: Mapped[str] = mapped_column(String(40))
    feature_names: Mapped[list[Any]] = mapped_column(JSON)
    training_cases: Mapped[list[Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    n_items: Mapped[int] = mapped_column(Integer)
    n_relevant: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    promoted_by: Mapped[str | None] = mapped_column(String(200))


class QaSample(Base):
    """A uniform random sample of the pile the ranking called irrelevant, with its provenance."""

    __tablename__ = "qa_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    population: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Float)
    ranking: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    sichter_version: Mapped[str] = mapped_column(String(40))


class QaSampleItem(Base):
    """One content drawn into a QA sample; ``position`` is its place in the draw."""

    __tablename__ = "qa_sample_item"
    __table_args__ = (UniqueConstraint("sample_id", "content_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("qa_sample.id", ondelete="CASCADE"))
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class LearnedPriority(Base):
    """The continuous-active-learning score of an unreviewed content in its case (0..1)."""

    __tablename__ = "learned_priority"
    __table_args__ = (Index("ix_learned_priority_case_score", "case_id", "score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"), unique=True)
    score: Mapped[float] = mapped_column(Float)
    round: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActiveLearningState(Base):
    """Per case: how many decisions the last re-ranking used, and how it went."""

    __tablename__ = "active_learning_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    decisions_used: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
