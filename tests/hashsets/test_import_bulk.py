"""Large imports rebuild the hash indexes instead of maintaining them (issue 4: a 40 M-row NSRL
in minutes). The thresholds are lowered so that a few records count as "large"; what a user
must notice is unchanged: every entry is found by each of its hashes, bad records are
reported by number, ``--strict`` imports nothing, and the indexes are there afterwards. The
NSRL reader checks hex a whole batch at a time; a malformed hash in it is still reported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, select

from sichter.hashsets import importer
from sichter.hashsets.importer import StrictImportError, import_file, list_sets
from sichter.hashsets.model import BadRecord, Record, SetFacts
from sichter.hashsets.nsrl import NsrlReader
from sichter.store.db import open_store
from sichter.store.hashset_models import HashEntry

INDEXES = {"ix_hash_entry_md5", "ix_hash_entry_sha1", "ix_hash_entry_sha256", "ix_hash_entry_set_pdq"}


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH", 4)
    monkeypatch.setattr(importer, "BULK_AFTER", 8)


def _list(path: Path, n: int, bad_at: int | None = None) -> Path:
    lines = [f"{i:032x},f{i}.dll" for i in range(n)]
    if bad_at is not None:
        lines[bad_at - 1] = "not-a-hash"
    path.write_text("\n".join(lines) + "\n")
    return path


def _indexes(sessions) -> set[str]:  # type: ignore[no-untyped-def]
    """The names of hash_entry's indexes; asserts that its foreign key to hash_set is there."""
    with sessions() as s:
        schema = inspect(s.connection())
        assert [fk["referred_table"] for fk in schema.get_foreign_keys("hash_entry")] == ["hash_set"]
        return {ix["name"] for ix in schema.get_indexes("hash_entry")}


@pytest.mark.usefixtures("large")
def test_large_import_finds_every_entry_and_keeps_indexes(db_url: str, tmp_path: Path) -> None:
    sessions = open_store(db_url)
    ddl: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if "INDEX" in sql:
            ddl.append(sql.split(" ON ")[0].strip())

    event.listen(sessions.kw["bind"], "before_cursor_execute", record)
    first = import_file(sessions, _list(tmp_path / "small.txt", 3), "t", fmt="md5")
    assert ddl == []  # a small import maintains the indexes
    result = import_file(sessions, _list(tmp_path / "big.txt", 50, bad_at=37), "t", fmt="md5")
    assert sorted(ddl) == sorted([f"{verb} INDEX {name}" for verb in ("CREATE", "DROP")
                                  for name in INDEXES - {"ix_hash_entry_set_pdq"}])
    assert (first.entries, result.entries, result.bad_count, str(result.bad[0])[:7]) == (3, 49, 1, "line 37")
    assert _indexes(sessions) == INDEXES
    with sessions() as s:
        found = s.scalars(select(HashEntry.name).where(HashEntry.md5 == f"{49:032x}")).all()
    assert found == ["f49.dll"]
    again = import_file(sessions, tmp_path / "big.txt", "t", fmt="md5")
    assert again.already_imported and sum(i.entries for i in list_sets(sessions)) == 52


@pytest.mark.usefixtures("large")
def test_large_strict_import_with_a_bad_record_leaves_store_and_indexes(db_url: str, tmp_path: Path) -> None:
    sessions = open_store(db_url)
    with pytest.raises(StrictImportError, match="line 45"):
        import_file(sessions, _list(tmp_path / "big.txt", 50, bad_at=45), "t", fmt="md5", strict=True)
    assert list_sets(sessions) == [] and _indexes(sessions) == INDEXES
    with sessions() as s:
        assert s.scalars(select(HashEntry.id)).first() is None


@pytest.mark.parametrize("bad", ["AB CD" + "E" * 59, "Z" * 64, "\u00c9" * 64, "0x" + "A" * 62])
def test_nsrl_hash_of_the_right_length_but_not_hex_is_reported_by_record(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "RDS_minimal.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, "
               "crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, "
               "package_id INTEGER NOT NULL, PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, "
               "package_id))")
    rows = [(f"{i:064X}", f"{i:040X}", f"{i:032X}", f"f{i}.dll") for i in range(1, 6)] + \
        [(bad, "B" * 40, "C" * 32, "bad.dll")]
    db.executemany("INSERT INTO FILE VALUES (?, ?, ?, '0', ?, 1, 1)", rows)
    db.commit()
    db.close()
    items = list(NsrlReader().read(path, SetFacts()))
    # Rows are read in primary-key (sha256) order: the bad one sorts last.
    assert [str(i)[:8] for i in items if isinstance(i, BadRecord)] == ["record 6"]
    assert [i.name for i in items if isinstance(i, Record)] == [f"f{i}.dll" for i in range(1, 6)]
    assert [i.sha256 for i in items if isinstance(i, Record)][0] == f"{1:064x}"
