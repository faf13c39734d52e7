"""Ingesting disk images end to end: export records, deleted files, integrity in the case log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from disk_images import build_ext4, build_fat, ewf, sha
from sqlalchemy import select
from typer.testing import CliRunner

from sichter.cli import app
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import Settings
from sichter.store import cases
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import CaseLog


@pytest.mark.slow  # starts the worker pool (about 10 s on a loaded machine)
def test_e01_ingest_exports_files_deleted_files_times_and_records_integrity(
        settings: Settings, tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    sessions = open_store(settings.effective_database_url)
    cases.create_case(sessions, load_master_key(settings.home, settings.master_key), "c1", None, "tester")
    built = build_ext4(tmp_path, disk_photos)
    good = ewf(built.path, tmp_path / "phone")
    broken = ewf(built.path, tmp_path / "broken")
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 3])
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "IMG_9.jpg").write_bytes(disk_photos["astronaut"])

    summary = ingest(settings, sessions, "c1", [broken, good, folder])

    rows = {r["path"]: r for r in records(sessions, "c1")}
    live = rows["phone.E01!/DCIM/Camera/IMG_0001.jpg"]
    assert live["sha256"] == sha(disk_photos["rocket"]) and live["media_type"] == "image"
    assert live["deleted"] is False and live["carved"] is False
    assert live["modified"] == "2020-01-02T03:04:05+00:00" and live["changed"] and live["created"]
    gone = rows["phone.E01!/DCIM/Camera/IMG_0002.jpg"]
    assert gone["deleted"] is True and gone["sha256"] == sha(disk_photos["chelsea"])
    assert rows["folder/IMG_9.jpg"]["sha256"] == sha(disk_photos["astronaut"])  # other sources land
    assert "EWF image unreadable" in (rows["broken.E01"]["error"] or "")
    assert not any(p.startswith("broken.E01!/") for p in rows)

    with sessions() as s:
        details = s.scalars(select(CaseLog).where(CaseLog.id == summary.ingest_id)).one().details
    images = {Path(i["path"]).name: i for i in details["images"]}
    assert images["phone.E01"]["status"] == "verified"
    assert set(images["phone.E01"]["stored"]) >= {"md5", "sha1"}
    assert images["phone.E01"]["stored"]["sha1"] == images["phone.E01"]["computed"]["sha1"]
    assert images["broken.E01"]["status"] == "unreadable"
    assert any("broken.E01" in w for w in details["warnings"]) and summary.warnings
    assert details["status"] == "completed"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, list[str]]:
    monkeypatch.setenv("SICHTER_USER", "tester")
    monkeypatch.setenv("SICHTER_WORKERS", "1")
    return CliRunner(), ["--home", str(tmp_path / "home")]


@pytest.mark.slow
def test_ingest_carve_finds_a_photo_in_unallocated_space(
        cli: tuple[CliRunner, list[str]], tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    runner, base = cli
    built = build_fat(tmp_path, disk_photos)
    lost = disk_photos["rocket"]
    with built.path.open("r+b") as f:  # a photo whose directory entry is long gone
        f.seek(30 * 1024 * 1024)
        f.write(lost)
    out_plain, out_carved = tmp_path / "plain.jsonl", tmp_path / "carved.jsonl"
    for case, extra, out in (("plain", [], out_plain), ("carved", ["--carve"], out_carved)):
        assert runner.invoke(app, [*base, "case", "create", case]).exit_code == 0
        result = runner.invoke(app, [*base, "ingest", case, str(built.path), *extra])
        assert result.exit_code == 0, result.output
        assert runner.invoke(app, [*base, "export", case, "-o", str(out)]).exit_code == 0
    plain = [json.loads(line) for line in out_plain.read_text().splitlines()]
    carved = [json.loads(line) for line in out_carved.read_text().splitlines()]
    assert not any(r["carved"] for r in plain)
    hits = [r for r in carved if r["carved"]]
    assert [r["path"] for r in hits] == [f"card.dd!/$Carved/{30 * 1024 * 1024:012x}.jpg"]
    assert hits[0]["sha256"] == sha(lost) and hits[0]["media_type"] == "image"
    # The deleted photo is recovered through its metadata, not carved a second time.
    assert sum(r["sha256"] == sha(disk_photos["coffee"]) for r in carved) == 1
