"""NIST NSRL RDS v3 (SQLite), minimal (``FILE`` table) and full (``FILE`` view) flavours.

NSRL lists known software files: its matches are ``known_good`` and leave the review queue
(NSRL means "known", not "harmless": it holds hacking tools too, which this tool does not
triage). The release database is opened read-only and immutable, so nothing is written beside
it (a journal would break NIST's dbhash check).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sichter.errors import CorruptData
from sichter.hashsets.model import BadRecord, BadValue, Record, SetFacts, hex_hash

BATCH = 50_000  # rows fetched from SQLite at a time


class NsrlReader:
    name = "nsrl"
    role = "known_good"

    def sniff(self, head: bytes, path: Path) -> bool:
        if not head.startswith(b"SQLite format 3\x00"):
            return False
        try:
            with _open(path) as db:
                return _file_kind(db) is not None
        except sqlite3.Error:
            return False

    def read(self, path: Path, facts: SetFacts) -> Iterator[Record | BadRecord]:
        try:
            db = _open(path)
        except sqlite3.Error as exc:
            raise CorruptData(f"{path.name}: not a readable SQLite database: {exc}") from exc
        try:
            yield from self._rows(path, db, facts)
        except sqlite3.Error as exc:
            raise CorruptData(f"{path.name}: not a readable NSRL RDSv3 database: {exc}") from exc
        finally:
            db.close()

    def _rows(self, path: Path, db: sqlite3.Connection, facts: SetFacts) -> Iterator[Record | BadRecord]:
        kind = _file_kind(db)
        if kind is None:
            raise CorruptData(f"{path.name}: no FILE table or view; not an NSRL RDSv3 database")
        facts.details["flavour"] = "minimal" if kind == "table" else "full"
        version = db.execute("SELECT version FROM VERSION LIMIT 1").fetchone() \
            if _has(db, "VERSION") else None
        facts.version = version[0] if version else None
        # The minimal flavour's primary key starts (sha256, sha1, md5): in that order the
        # rows of one file in many packages are adjacent and kept once.
        order = " ORDER BY sha256, sha1, md5" if kind == "table" else ""
        # Nearly all of 40 M rows are valid: SQLite checks types and lengths, and Python checks
        # that a whole batch is hex with one bytes.fromhex, so a valid row costs no regex. A row
        # failing either check goes through hex_hash, which says what is wrong with it.
        sized = " AND ".join(f"typeof({c}) = 'text' AND length({c}) = {n}"
                             for c, n in (("sha256", 64), ("sha1", 40), ("md5", 32)))
        cursor = db.execute(f"SELECT sha256, sha1, md5, file_name, {sized} FROM FILE{order}")
        last: tuple[str, str, str] | None = None
        number = 0
        while rows := cursor.fetchmany(BATCH):
            all_hex = _all_hex(rows)
            for sha256, sha1, md5, file_name, sized_ok in rows:
                number += 1
                key = (sha256, sha1, md5)
                if key == last:
                    continue
                last = key
                if sized_ok and (all_hex or _all_hex(((sha256, sha1, md5, file_name, 1),))):
                    yield Record(sha256=sha256.lower(), sha1=sha1.lower(), md5=md5.lower(), name=file_name)
                    continue
                try:
                    yield Record(sha256=hex_hash("sha256", sha256), sha1=hex_hash("sha1", sha1),
                                 md5=hex_hash("md5", md5), name=file_name)
                except BadValue as exc:
                    yield BadRecord(number, "record", str(exc))


def _all_hex(rows: list[tuple[Any, ...]] | tuple[tuple[Any, ...], ...]) -> bool:
    """True when the hashes of every correctly sized row are all hex digits (one C call)."""
    text = "".join(h for r in rows if r[4] for h in r[:3])
    try:
        # fromhex skips whitespace between pairs, so a space shows as a shorter result.
        return len(bytes.fromhex(text)) * 2 == len(text)
    except ValueError:
        return False


def _open(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def _has(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def _file_kind(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT type FROM sqlite_master WHERE name = 'FILE' AND type IN ('table', 'view')"
                     ).fetchone()
    return row[0] if row else None
