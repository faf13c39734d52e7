"""Importing into the store (SQLite and PostgreSQL): provenance, idempotence, --strict, and
category 0 meaning different things in a VICS-US and a DHS set."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sichter.cli import app
from sichter.errors import UsageError
from sichter.hashsets import schemes
from sichter.hashsets.importer import entries_of, import_file, list_sets, remove_set
from sichter.matching.engine import match_case
from sichter.matching.service import known_status
from sichter.settings import Settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Content

MD5 = "0123456789abcdef0123456789abcdef"


def _vics(path: Path, category: int | None, profile: str = "Default") -> Path:
    media = {"MediaID": 1, "MD5": MD5.upper(), "Category": category}
    path.write_text(json.dumps({"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/"
                                f"2.0.xml/{profile}/$metadata#Media", "value": [media]}))
    return path


def test_import_keeps_provenance_and_twice_adds_nothing(settings: Settings, tmp_path: Path) -> None:
    sessions = open_store(settings.effective_database_url)
    path = tmp_path / "list.txt"
    path.write_text("MD5\n" + MD5 + ",a.jpg\n" + "f" * 32 + "\n")
    first = import_file(sessions, path, "alice")
    again = import_file(sessions, path, "bob", name="other")
    assert (first.entries, again.already_imported, again.name) == (2, True, "list")
    [info] = list_sets(sessions)
    assert (info.name, info.format, info.file_name, info.imported_by, info.entries) == \
        ("list", "md5", "list.txt", "alice", 2)
    assert len(info.file_sha256) == 64
    assert [e.name for e in entries_of(sessions, "list")] == ["a.jpg", None]
    assert remove_set(sessions, "list") == 2 and list_sets(sessions) == []


def test_strict_imports_nothing_and_lenient_imports_the_rest(settings: Settings, tmp_path: Path) -> None:
    sessions = open_store(settings.effective_database_url)
    path = tmp_path / "bad.txt"
    path.write_text(MD5 + "\nnot-a-hash\n" + "f" * 32 + "\n")
    with pytest.raises(UsageError, match="line 2"):
        import_file(sessions, path, "t", fmt="md5", strict=True)
    assert list_sets(sessions) == []
    result = import_file(sessions, path, "t", fmt="md5")
    assert (result.entries, result.bad_count, str(result.bad[0])[:6]) == (2, 1, "line 2")


def test_category_0_means_non_pertinent_in_vics_us_and_uncategorised_in_dhs(
        settings: Settings, tmp_path: Path) -> None:
    sessions = open_store(settings.effective_database_url)
    key = load_master_key(settings.home, settings.master_key)
    case = create_case(sessions, key, "c0", None, "tester", scheme="vics-us")
    with sessions.begin() as s:
        s.add(Content(case_id=case.id, sha256="e" * 64, sha1="d" * 40, md5=MD5, size=1, media_type="image",
                      mime="image/jpeg", analysed_at=datetime.now(UTC), analysis={}))
    us = import_file(sessions, _vics(tmp_path / "us.json", 0), "t")
    assert us.scheme == "vics-us"
    assert schemes.label(us.scheme, 0) == "Non-Pertinent"
    match_case(sessions, case.id, "t")
    with sessions() as s:
        [status] = known_status(s, case.id, [1, 2, 3]).values()
    assert (status.status, status.category, status.scheme) == ("known", "0", "vics-us")

    remove_set(sessions, "us")
    dhs = import_file(sessions, _vics(tmp_path / "dhs.json", 0), "t", scheme="dhs")
    assert schemes.label(dhs.scheme, 0) == "CAT-0 Uncategorized"
    match_case(sessions, case.id, "t")
    with sessions() as s:
        [status] = known_status(s, case.id, [1, 2, 3]).values()
    assert status.status == "unknown"  # DHS CAT-0: matched, but nothing pre-categorised


def test_cli_import_reports_bad_records_and_strict_exits_nonzero(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text("pdq,category\n" + "a" * 64 + ",1\nxyz,1\n")
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()
    strict = runner.invoke(app, [*home, "hashset", "import", str(path), "--strict"])
    assert strict.exit_code == 2 and "line 3" in strict.output
    ok = runner.invoke(app, [*home, "hashset", "import", str(path), "--scheme", "vics-us"])
    assert ok.exit_code == 0, ok.output
    assert "line 3" in ok.output and "1 entries" in ok.output
    listed = runner.invoke(app, [*home, "hashset", "list"])
    assert "set" in listed.output and "pdq" in listed.output
