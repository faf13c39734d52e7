"""Importing a hash-set file into the store: streamed, in large batches, idempotent.

The file's SHA-256 identifies it: importing the same file again adds nothing. Entries are
written with bulk inserts (COPY on PostgreSQL, executemany on SQLite) inside one transaction,
so that ``strict`` can refuse the whole file when any record is bad.

Large imports rebuild the hash indexes instead of maintaining them: once an import has written
``BULK_AFTER`` rows and at least as many as the store already holds, the md5/sha1/sha256 indexes
of ``hash_entry`` (and, on PostgreSQL, its foreign key) are dropped inside the import's
transaction and created again (by a sort, not by millions of random B-tree inserts) before it
commits. A failed or ``--strict`` import rolls the drop back with everything else, so the
indexes never go missing. Durability is not weakened: no PRAGMA is changed and the import
commits once, as before. On PostgreSQL the drop takes an exclusive lock on ``hash_entry`` until
the commit, so matching waits for a large import to finish instead of reading a half-built
index; on SQLite (WAL) readers keep seeing the previous, indexed state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ForeignKeyConstraint, Index, Table, delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import AddConstraint, DropConstraint

from sichter.errors import EvidenceError, UsageError
from sichter.hashsets.model import BadRecord, Record, SetFacts
from sichter.hashsets.registry import reader_for
from sichter.hashsets.schemes import SCHEMES
from sichter.store.hashset_models import HashEntry, HashSet

BATCH = 50_000
BULK_AFTER = 1_000_000  # rows of one import after which its indexes are rebuilt, not maintained
REBUILT = ("ix_hash_entry_md5", "ix_hash_entry_sha1", "ix_hash_entry_sha256")
REPORTED_BAD = 50  # bad records kept in the set's details; all are counted
COLUMNS = ("hash_set_id", "md5", "sha1", "sha256", "pdq", "category", "series", "name", "extra")


class StrictImportError(UsageError):
    """``--strict`` and the file has bad records: nothing was imported."""


@dataclass
class ImportResult:
    name: str
    format: str
    scheme: str | None
    entries: int
    already_imported: bool = False
    bad: list[BadRecord] = field(default_factory=list)
    bad_count: int = 0


@dataclass(frozen=True)
class HashSetInfo:
    name: str
    role: str
    format: str
    scheme: str | None
    entries: int
    bad_records: int
    file_name: str
    file_sha256: str
    imported_at: datetime
    imported_by: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def import_file(sessions: sessionmaker[Session], path: Path, user: str, *, name: str | None = None,
                fmt: str = "auto", scheme: str | None = None, strict: bool = False,
                known_good: bool = False, category: int | None = None, series: str | None = None,
                on_progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import ``path`` as a hash set; see the module docstring for the guarantees.

    ``category`` and ``series`` are given to records that carry none (a vPDQ file is one
    video with neither)."""
    if scheme is not None and scheme not in SCHEMES:
        raise UsageError(f"unknown category scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    sha = file_sha256(path)
    set_name = name or path.stem
    with sessions() as s:
        existing = s.scalar(select(HashSet).where(HashSet.file_sha256 == sha))
        if existing is not None:
            return ImportResult(existing.name, existing.format, existing.scheme, 0, already_imported=True)
        if s.scalar(select(HashSet.id).where(HashSet.name == set_name)) is not None:
            raise UsageError(f"a different file is already imported as {set_name!r}; choose --name")
    reader = reader_for(path, fmt)
    facts = SetFacts()
    result = ImportResult(set_name, reader.name, None, 0)
    with sessions.begin() as s:
        hs = HashSet(name=set_name, role="known_good" if known_good else reader.role, format=reader.name,
                     scheme=scheme, file_name=path.name, file_sha256=sha, imported_at=datetime.now(UTC),
                     imported_by=user, entries=0, bad_records=0, details={})
        s.add(hs)
        s.flush()
        indexes = _DeferredIndexes(s, s.scalar(select(func.coalesce(func.sum(HashSet.entries), 0))) or 0)
        batch: list[tuple[Any, ...]] = []
        vpdq_entries = 0
        try:
            for item in reader.read(path, facts):
                if isinstance(item, BadRecord):
                    result.bad_count += 1
                    if len(result.bad) < REPORTED_BAD:
                        result.bad.append(item)
                    continue
                if item.category is None:
                    item.category = category
                if item.series is None:
                    item.series = series
                if item.extra and "vpdq" in item.extra:
                    vpdq_entries += 1
                batch.append(_row(hs.id, item))
                if len(batch) >= BATCH:
                    _bulk_insert(s, batch)
                    result.entries += len(batch)
                    batch = []
                    indexes.written(result.entries)
                    if on_progress:
                        on_progress(result.entries)
            _bulk_insert(s, batch)
            result.entries += len(batch)
        except (OSError, EvidenceError) as exc:
            raise UsageError(f"{path.name}: cannot be read: {exc}") from exc
        if strict and result.bad_count:
            s.rollback()
            listed = "; ".join(str(b) for b in result.bad[:10])
            raise StrictImportError(f"{path.name}: {result.bad_count} bad record(s), nothing imported "
                                    f"(--strict): {listed}")
        indexes.restore()
        result.scheme = scheme or facts.scheme or "vics-us"
        hs.scheme = result.scheme
        hs.entries = result.entries
        hs.bad_records = result.bad_count
        hs.details = {**facts.details, "version": facts.version,
                      "scheme_source": "option" if scheme else "file" if facts.scheme else "default",
                      "bad": [str(b) for b in result.bad],
                      **({"vpdq_entries": vpdq_entries} if vpdq_entries else {})}
    return result


def _row(set_id: int, r: Record) -> tuple[Any, ...]:
    return (set_id, r.md5, r.sha1, r.sha256, r.pdq, r.category, r.series, r.name,
            json.dumps(r.extra, ensure_ascii=False) if r.extra else None)


class _DeferredIndexes:
    """Drops the hash indexes once an import is large, and creates them again before commit.

    On PostgreSQL the foreign key to ``hash_set`` goes too: its per-row check halves COPY's
    speed, while adding it back validates all rows with one join (about 0.4 s per million)."""

    def __init__(self, session: Session, existing_entries: int) -> None:
        self.session = session
        self.threshold = max(BULK_AFTER, existing_entries)
        self.dropped: list[Index] = []
        self.foreign_keys: list[ForeignKeyConstraint] = []

    def written(self, rows: int) -> None:
        """Called after each batch with the rows this import has written so far."""
        if self.dropped or rows < self.threshold:
            return
        conn = self.session.connection()
        table = cast(Table, HashEntry.__table__)
        self.dropped = [ix for ix in table.indexes if ix.name in REBUILT]
        for ix in self.dropped:
            ix.drop(conn)
        if conn.dialect.name == "postgresql":
            self.foreign_keys = list(table.foreign_key_constraints)
            for fk in self.foreign_keys:
                conn.execute(DropConstraint(fk))

    def restore(self) -> None:
        if not self.dropped:
            return
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            # Sorting 40 M keys in memory instead of in many temporary runs; this transaction only.
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for fk in self.foreign_keys:
            conn.execute(AddConstraint(fk))
        for ix in sorted(self.dropped, key=lambda ix: str(ix.name)):
            ix.create(conn)
        self.dropped = []
        self.foreign_keys = []


def _bulk_insert(session: Session, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY hash_entry ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO hash_entry ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                         rows)


def list_sets(sessions: sessionmaker[Session]) -> list[HashSetInfo]:
    with sessions() as s:
        return [HashSetInfo(h.name, h.role, h.format, h.scheme, h.entries, h.bad_records, h.file_name,
                            h.file_sha256, h.imported_at, h.imported_by)
                for h in s.scalars(select(HashSet).order_by(HashSet.name))]


def remove_set(sessions: sessionmaker[Session], name: str) -> int:
    """Remove a set, its entries and the matches it gave; returns the number of entries."""
    with sessions.begin() as s:
        hs = s.scalar(select(HashSet).where(HashSet.name == name))
        if hs is None:
            raise UsageError(f"no hash set named {name!r} (see 'sichter hashset list')")
        n = s.scalar(select(func.count()).select_from(HashEntry).where(HashEntry.hash_set_id == hs.id))
        # Explicit deletes: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
        from sichter.store.hashset_models import HashMatch

        s.execute(delete(HashMatch).where(HashMatch.hash_set_id == hs.id))
        s.execute(delete(HashEntry).where(HashEntry.hash_set_id == hs.id))
        s.delete(hs)
        return int(n or 0)


def entries_of(sessions: sessionmaker[Session], name: str) -> Iterable[HashEntry]:
    """Every entry of a set (for tests and exports)."""
    with sessions() as s:
        set_id = s.scalar(select(HashSet.id).where(HashSet.name == name))
        yield from s.scalars(select(HashEntry).where(HashEntry.hash_set_id == set_id)
                             .order_by(HashEntry.id))
