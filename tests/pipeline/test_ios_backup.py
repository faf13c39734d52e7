"""An iPhone backup (iTunes / Finder) keeps its files under hashed names; the export names each
one as the phone did (``original_path``), read from the backup's manifest without touching it."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import Settings


def make_backup(folder: Path, files: dict[str, bytes]) -> dict[str, str]:
    """A backup folder holding ``files`` ("domain/relative path" -> bytes) as iOS writes them:
    <2 hex>/<SHA-1 of "domain-relativePath">, and a Manifest.db that maps them back."""
    folder.mkdir(parents=True)
    ids = {}
    db = sqlite3.connect(folder / "Manifest.db")
    db.execute("CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, "
               "flags INTEGER, file BLOB)")
    for original, data in files.items():
        domain, relative = original.split("/", 1)
        file_id = hashlib.sha1(f"{domain}-{relative}".encode()).hexdigest()
        (folder / file_id[:2]).mkdir(exist_ok=True)
        (folder / file_id[:2] / file_id).write_bytes(data)
        db.execute("INSERT INTO Files VALUES (?, ?, ?, 1, NULL)", (file_id, domain, relative))
        ids[original] = file_id
    db.execute("INSERT INTO Files VALUES ('dir', 'CameraRollDomain', 'Media/DCIM', 2, NULL)")
    db.commit()
    db.close()
    (folder / "Manifest.plist").write_bytes(b"<plist/>")
    return ids


def test_files_of_an_iphone_backup_carry_the_path_the_phone_gave_them(
        settings: Settings, store: sessionmaker[Session], tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    chat = encode(sample("chelsea").resize((90, 60)), "JPEG")
    backup = tmp_path / "ev" / "00008030-001A2B3C4D5E"
    ids = make_backup(backup, {
        "CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG": photo,
        "AppDomainGroup-group.net.whatsapp.WhatsApp.shared/Message/Media/x/1/a.jpg": chat})
    manifest = (backup / "Manifest.db").read_bytes()
    ingest(settings, store, "c1", [tmp_path / "ev"])
    rows = {r["path"]: r for r in records(store, "c1")}
    camera_id = ids["CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG"]
    row = rows[f"ev/00008030-001A2B3C4D5E/{camera_id[:2]}/{camera_id}"]
    assert row["original_path"] == "CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG"
    assert row["sha256"] == hashlib.sha256(photo).hexdigest() and row["media_type"] == "image"
    chat_id = ids["AppDomainGroup-group.net.whatsapp.WhatsApp.shared/Message/Media/x/1/a.jpg"]
    assert rows[f"ev/00008030-001A2B3C4D5E/{chat_id[:2]}/{chat_id}"]["original_path"].startswith(
        "AppDomainGroup-group.net.whatsapp")
    assert rows["ev/00008030-001A2B3C4D5E/Manifest.db"]["original_path"] is None
    # The manifest was read, not opened in place: unchanged, and nothing written beside it.
    assert (backup / "Manifest.db").read_bytes() == manifest
    assert sorted(p.name for p in backup.iterdir() if not p.is_dir()) == ["Manifest.db",
                                                                        "Manifest.plist"]
    # The reviewer's item page shows it beside the path in the evidence.
    from sqlalchemy import select

    from sichter.store.cases import get_case
    from sichter.store.models import Content
    from sichter.web.services.items import item_detail

    with store() as s:
        content = s.scalars(select(Content).where(Content.sha256 == row["sha256"])).one()
        detail = item_detail(s, get_case(s, "c1"), content.id)
        assert detail.original_paths == {row["path"]: row["original_path"]}
