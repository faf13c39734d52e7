"""The case store's schema. Facts about content live apart from judgments about it.

Every schema change comes with an Alembic migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    scheme: Mapped[str] = mapped_column(String(40), default="vics-us")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)


class CaseLog(Base):
    """Append-only record of what was done to a case: who, when, with which version and settings."""

    __tablename__ = "case_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    sichter_version: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Content(Base):
    """Facts measured once per distinct content (by SHA-256) within a case."""

    __tablename__ = "content"
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    sha1: Mapped[str] = mapped_column(String(40), index=True)
    md5: Mapped[str] = mapped_column(String(32), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(10))
    mime: Mapped[str] = mapped_column(String(100))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    exif: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    analysed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    analysis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Occurrence(Base):
    """One path at which content was found in the evidence."""

    __tablename__ = "occurrence"
    __table_args__ = (
        UniqueConstraint("case_id", "path_key"),
        Index("ix_occurrence_case_content", "case_id", "content_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    ingest_id: Mapped[int | None] = mapped_column(ForeignKey("case_log.id"))
    source: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    path_key: Mapped[str] = mapped_column(String(64))
    origin: Mapped[list[Any]] = mapped_column(JSON)
    size: Mapped[int | None] = mapped_column(BigInteger)
    modified: Mapped[str | None] = mapped_column(String(40))
    accessed: Mapped[str | None] = mapped_column(String(40))
    changed: Mapped[str | None] = mapped_column(String(40))
    created: Mapped[str | None] = mapped_column(String(40))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    carved: Mapped[bool] = mapped_column(Boolean, default=False)  # issue 3: from unallocated space
    original_path: Mapped[str | None] = mapped_column(Text)  # what a backup names it (iOS)
    error: Mapped[str | None] = mapped_column(Text)
    is_container: Mapped[bool] = mapped_column(Boolean, default=False)
    expanded: Mapped[bool] = mapped_column(Boolean, default=False)
    members: Mapped[int | None] = mapped_column(Integer)
    container_error: Mapped[str | None] = mapped_column(Text)


class Derivative(Base):
    """Encrypted images made from evidence (thumbnails, later frames and contact sheets)."""

    __tablename__ = "derivative"
    __table_args__ = (UniqueConstraint("content_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    mime: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
