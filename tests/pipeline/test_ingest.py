"""Ingest of the demo evidence on SQLite and PostgreSQL: everything found, nothing twice."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import Settings
from sichter.signals.image import decode
from sichter.store import cases
from sichter.store.crypto import derivative_context, load_master_key, open_sealed
from sichter.store.models import CaseLog, Content, Derivative, Occurrence


def _files_on_disk(root: Path) -> dict[str, str]:
    return {f"{root.name}/{p.relative_to(root).as_posix()}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def test_every_file_and_member_lands_with_its_hashes(settings: Settings, store: sessionmaker[Session],
                                                     copy_of_demo: Path) -> None:
    summary = ingest(settings, store, "c1", [copy_of_demo])
    rows = {r["path"]: r for r in records(store, "c1")}
    for path, sha in _files_on_disk(copy_of_demo).items():
        assert rows[path]["sha256"] == sha, path
    chat = zipfile.ZipFile(copy_of_demo / "exports" / "whatsapp-export.zip")
    for name in chat.namelist():
        data = chat.read(name)
        for prefix in ("evidence/exports/whatsapp-export.zip!/",
                       "evidence/exports/nested.zip!/inner/inner.zip!/"):
            row = rows[prefix + name]
            assert row["sha256"] == hashlib.sha256(data).hexdigest()
            assert row["md5"] == hashlib.md5(data).hexdigest()
            assert row["sha1"] == hashlib.sha1(data).hexdigest()
    assert rows["evidence/exports/photos.7z!/album/horse.png"]["media_type"] == "image"
    assert rows["evidence/exports/backup.tar.gz!/backup/DCIM/moon.webp"]["mime"] == "image/webp"
    assert rows["evidence/exports/slip.zip!/../../evil/x.jpg"]["media_type"] == "image"
    assert summary.progress.files == len(rows)
    assert all(src["unchanged"] for src in summary.sources)


def test_type_comes_from_content_not_name(settings: Settings, store: sessionmaker[Session],
                                          copy_of_demo: Path) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    rows = {r["path"]: r for r in records(store, "c1")}
    assert rows["evidence/phone/Documents/notes.txt"]["media_type"] == "image"
    assert rows["evidence/phone/Documents/shopping.jpg"]["media_type"] == "other"
    assert rows["evidence/phone/Download/coffee.heic"]["mime"] == "image/heic"
    assert rows["evidence/phone/Download/coffee.heic"]["width"] == 600


def test_bad_files_carry_an_error_and_the_rest_lands(settings: Settings, store: sessionmaker[Session],
                                                     copy_of_demo: Path) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    rows = {r["path"]: r for r in records(store, "c1")}
    assert "truncated" in rows["evidence/phone/broken/truncated.jpg"]["error"]
    assert "empty" in rows["evidence/phone/broken/empty.jpg"]["error"]
    assert "40000×40000" in rows["evidence/phone/broken/bomb.png"]["error"]
    assert "corrupt zip" in rows["evidence/exports/corrupt.zip"]["error"]
    good = [r for r in rows.values() if r["media_type"] == "image" and not r["error"]]
    assert len(good) > 40
    assert all(len(r["pdq"]) == 64 and 0 <= r["pdq_quality"] <= 100 for r in good)


def test_identical_content_is_analysed_once_and_every_path_kept(settings: Settings,
                                                                store: sessionmaker[Session],
                                                                copy_of_demo: Path) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    rows = list(records(store, "c1"))
    sha = hashlib.sha256((copy_of_demo / "phone/DCIM/Camera/IMG_1000.jpg").read_bytes()).hexdigest()
    paths = sorted(r["path"] for r in rows if r["sha256"] == sha)
    assert paths == ["evidence/phone/DCIM/Camera/IMG_1000.jpg",
                     "evidence/phone/Download/copy_of_IMG_1000.jpg"]
    with store() as s:
        assert len(s.scalars(select(Content).where(Content.sha256 == sha)).all()) == 1


def test_second_ingest_adds_nothing(settings: Settings, store: sessionmaker[Session],
                                    copy_of_demo: Path) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    first = sorted(json.dumps(r, sort_keys=True) for r in records(store, "c1"))
    again = ingest(settings, store, "c1", [copy_of_demo])
    # Fully expanded archives are not even opened again: only top-level files are looked at.
    assert again.progress.files == 0
    assert again.progress.skipped == len(_files_on_disk(copy_of_demo))
    assert sorted(json.dumps(r, sort_keys=True) for r in records(store, "c1")) == first


def test_pdq_and_its_dihedral_variants_are_bit_exact_with_pdqhash_on_the_same_pixels(
        settings: Settings, store: sessionmaker[Session], copy_of_demo: Path) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    rows = {r["path"]: r for r in records(store, "c1")}
    for rel in ("phone/DCIM/Camera/IMG_1000.jpg", "phone/Download/coffee.png"):
        data = (copy_of_demo / rel).read_bytes()
        pixels = np.asarray(decode(data, 512, 10**9).image)
        bits, quality = pdqhash.compute(pixels)
        # ThreatExchange's hex: the bit string read as one big-endian number.
        expected = f"{int(''.join(str(int(b)) for b in bits), 2):064x}"
        assert rows[f"evidence/{rel}"]["pdq"] == expected
        assert rows[f"evidence/{rel}"]["pdq_quality"] == quality
        # The seven rotations and flips that dihedral matching looks up, in pdqhash's order.
        variants, _ = pdqhash.compute_dihedral(pixels)
        with store() as s:
            analysis = s.scalars(select(Content.analysis)
                                 .where(Content.sha256 == rows[f"evidence/{rel}"]["sha256"])).one()
        assert analysis["pdq_dihedral"]["hashes"] == [
            f"{int(''.join(str(int(b)) for b in v), 2):064x}" for v in variants[1:]]


def test_store_holds_no_plaintext_images_and_thumbnails_decrypt(
        settings: Settings, store: sessionmaker[Session], copy_of_demo: Path,
        plaintext_image_in: Callable[[bytes], bytes | None]) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    master = load_master_key(settings.home, settings.master_key)
    with store() as s:
        case = cases.get_case(s, "c1")
        key = cases.data_key(case, master)
        blobs = s.execute(select(Derivative, Content.sha256).join(Content)).all()
        assert len(blobs) > 40
        for derivative, sha in blobs:
            assert plaintext_image_in(derivative.data) is None
            plain = open_sealed(key, derivative.data, derivative_context(case.id, sha, derivative.kind))
            if derivative.kind == "thumbnail":
                assert max(Image.open(io.BytesIO(plain)).size) <= settings.thumbnail_px
        for row in s.scalars(select(Content)):
            # EXIF may embed a preview JPEG; as text it would show as base64 or hex of its start.
            text = json.dumps(row.exif or {}, ensure_ascii=False)
            assert "/9j/" not in text and "ffd8ff" not in text.lower() and "\xff\xd8" not in text
    if settings.effective_database_url.startswith("sqlite"):
        for path in settings.home.rglob("*"):
            if path.is_file():
                assert plaintext_image_in(path.read_bytes()) is None, path


def test_nothing_is_written_beside_the_evidence(settings: Settings, store: sessionmaker[Session],
                                                copy_of_demo: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in copy_of_demo.rglob("*")}
    ingest(settings, store, "c1", [copy_of_demo])
    assert {p: p.stat().st_mtime_ns for p in copy_of_demo.rglob("*")} == before


def test_case_log_records_who_what_and_source_hashes(settings: Settings, store: sessionmaker[Session],
                                                     copy_of_demo: Path) -> None:
    archive = copy_of_demo / "exports" / "whatsapp-export.zip"
    ingest(settings, store, "c1", [archive])
    with store() as s:
        entry = s.execute(select(CaseLog).where(CaseLog.action == "ingest")).scalar_one()
    assert entry.user == "tester"
    assert entry.details["status"] == "completed"
    (src,) = entry.details["sources"]
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert src["sha256_before"] == src["sha256_after"] == sha
    assert entry.details["settings"]["limits"]["max_nesting_depth"] == settings.limits.max_nesting_depth


def test_occurrence_times_come_from_the_source(settings: Settings, store: sessionmaker[Session],
                                               copy_of_demo: Path) -> None:
    ingest(settings, store, "c1", [copy_of_demo])
    with store() as s:
        tar_member = s.scalar(select(Occurrence).where(
            Occurrence.path == "evidence/exports/backup.tar.gz!/backup/DCIM/rocket.jpg"))
    assert tar_member is not None and tar_member.modified == "2023-11-14T22:13:20+00:00"
