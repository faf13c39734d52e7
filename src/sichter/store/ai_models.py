"""Model registry and triage judgments (issue 5).

Facts the models measured stay in ``Content.analysis["ai"]`` (and face embeddings, sealed, in
``derivative`` kind ``face-embeddings``); the judgment made from them — priority, suggested
category, reasons — lives in ``triage``, one row per content, with the model versions and
thresholds it was computed with. Rescoring replaces ``triage`` rows, never the facts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sichter.store.models import Base


class AIModel(Base):
    """One model file Sichter ran: name, version, SHA-256 of the file and its settings."""

    __tablename__ = "ai_model"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Triage(Base):
    """The current priority judgment of one content, with its provenance."""

    __tablename__ = "triage"
    __table_args__ = (
        UniqueConstraint("content_id"),
        Index("ix_triage_case_priority", "case_id", "priority"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer)
    suggested_category: Mapped[str] = mapped_column(String(40))
    youngest_band: Mapped[str] = mapped_column(String(20))
    explicit: Mapped[float | None] = mapped_column(Float)
    known_status: Mapped[str] = mapped_column(String(20), default="unknown")
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    models: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    computed_by: Mapped[str] = mapped_column(String(200))
