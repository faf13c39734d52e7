"""Hash sets, their entries and the matches of case contents against them (issue 4).

Entries are facts copied from an imported file (hex lowercase, category as the file's integer
in the set's scheme); matches are judgments with provenance (when, by whom, thresholds).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sichter.store.models import Base

# 40 M-row sets need 64-bit keys on PostgreSQL; SQLite's rowid is already 64-bit.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class HashSet(Base):
    """One imported file. ``role`` is ``known_good`` (NSRL and the like) or ``reference``."""

    __tablename__ = "hash_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(20))
    scheme: Mapped[str | None] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(200))
    entries: Mapped[int] = mapped_column(BigInteger, default=0)
    bad_records: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HashEntry(Base):
    """One record of a hash set: any of its hashes may be absent."""

    __tablename__ = "hash_entry"
    __table_args__ = (
        Index("ix_hash_entry_md5", "md5"),
        Index("ix_hash_entry_sha1", "sha1"),
        Index("ix_hash_entry_sha256", "sha256"),
        Index("ix_hash_entry_set_pdq", "hash_set_id", "pdq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hash_set_id: Mapped[int] = mapped_column(ForeignKey("hash_set.id", ondelete="CASCADE"))
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[int | None] = mapped_column(Integer)
    series: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HashMatch(Base):
    """A content of a case found in a hash set, by which kind of signal, how close."""

    __tablename__ = "hash_match"
    __table_args__ = (
        Index("ix_hash_match_case_content", "case_id", "content_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    hash_set_id: Mapped[int] = mapped_column(ForeignKey("hash_set.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(40))
    distance: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    category: Mapped[int | None] = mapped_column(Integer)
    set_scheme: Mapped[str | None] = mapped_column(String(40))
    case_category: Mapped[str | None] = mapped_column(String(40))
    series: Mapped[str | None] = mapped_column(Text)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    matched_by: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
