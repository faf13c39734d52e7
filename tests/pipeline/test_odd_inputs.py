"""Odd but valid evidence goes through the whole ingest: every file lands with its hashes."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.demo.build import _zip
from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import Settings
from sichter.store.models import CaseLog, Content, Derivative


def test_names_that_are_not_utf8_are_recorded_escaped_and_the_ingest_completes(
        settings: Settings, store: sessionmaker[Session], tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    photo = encode(sample("coffee").resize((60, 40)), "JPEG")
    # Linux names are bytes; this one is Latin-1, as old cameras and Windows shares write them.
    with open(os.fsencode(root) + b"/Caf\xe9.jpg", "wb") as f:
        f.write(photo)
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo(os.fsdecode(b"DCIM/\xff\xfe.jpg"))
        info.size = len(photo) + 1
        archive.addfile(info, io.BytesIO(photo + b"!"))
    (root / "backup.tar").write_bytes(tar.getvalue())

    ingest(settings, store, "c1", [root])

    rows = {r["path"]: r for r in records(store, "c1")}
    assert rows["ev/Caf\\xe9.jpg"]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert rows["ev/Caf\\xe9.jpg"]["pdq"] is not None
    member = rows["ev/backup.tar!/DCIM/\\xff\\xfe.jpg"]
    assert member["sha256"] == hashlib.sha256(photo + b"!").hexdigest()
    with store() as s:
        log = s.scalars(select(CaseLog).where(CaseLog.action == "ingest")).one()
        assert log.details["status"] == "completed"
        # The reviewer's full view reads both originals back from the evidence by those names.
        from sichter.web.services.original import read_original

        for path, data in (("ev/Caf\\xe9.jpg", photo), ("ev/backup.tar!/DCIM/\\xff\\xfe.jpg", photo + b"!")):
            content = s.scalars(select(Content).where(Content.sha256 == rows[path]["sha256"])).one()
            assert read_original(s, content, settings.limits) == data


def test_a_one_pixel_wide_photo_keeps_its_pdq_and_thumbnail_when_a_stage_fails_on_it(
        settings: Settings, store: sessionmaker[Session], tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    strip = np.tile(np.arange(256, dtype=np.uint8), 80)[:20000].reshape(20000, 1)
    data = encode(Image.fromarray(strip), "PNG")
    (root / "strip.png").write_bytes(data)

    ingest(settings, store, "c1", [root])

    row = next(r for r in records(store, "c1") if r["path"] == "ev/strip.png")
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert (row["width"], row["height"]) == (1, 20000)
    assert row["error"] is None
    assert row["pdq"] is not None
    with store() as s:
        content = s.scalars(select(Content).where(Content.sha256 == row["sha256"])).one()
        kinds = set(s.scalars(select(Derivative.kind).where(Derivative.content_id == content.id)))
        assert "thumbnail" in kinds
        # Too thin for local features (OpenCV's ORB used to assert on it): none, and no error.
        assert content.analysis["orb_ransac"]["keypoints"] == 0
        assert not [name for name, facts in content.analysis.items()
                    if isinstance(facts, dict) and facts.get("error")]


def test_a_stage_that_raises_is_recorded_under_its_name_and_the_content_keeps_its_other_facts(
        tmp_path: Path) -> None:
    from sichter.evidence.model import OsPath
    from sichter.pipeline.analyse import AnalysisSettings, analyse
    from sichter.pipeline.stages import registry

    def broken(decoded: object, settings: object) -> dict[str, object]:
        raise RuntimeError("assertion inside a native library")

    photo = tmp_path / "p.jpg"
    photo.write_bytes(encode(sample("astronaut"), "JPEG"))
    stages = registry().image
    stages["broken_plugin"] = broken
    try:
        facts = analyse(OsPath(str(photo)), AnalysisSettings(case_id=1, data_key=b"\0" * 32))
    finally:
        del stages["broken_plugin"]
    assert facts.error is None and facts.signals["pdq"][0] and facts.thumbnail
    assert facts.analysis["broken_plugin"] == {
        "error": "stage failed: RuntimeError: assertion inside a native library"}
    assert "error" not in facts.analysis["pdq_dihedral"]


def test_damaged_exif_is_kept_as_a_decode_problem_of_that_photo(tmp_path: Path) -> None:
    from sichter.evidence.model import OsPath
    from sichter.pipeline.analyse import AnalysisSettings, analyse

    exif = Image.Exif()
    exif[271], exif[272], exif[305] = "Cam", "Model X", "S" * 40
    out = io.BytesIO()
    sample("coffee").resize((64, 48)).save(out, "JPEG", exif=exif.tobytes())
    data = bytearray(out.getvalue())
    software = data.find((305).to_bytes(2, "big"), data.find(b"Exif\0\0"))
    data[software + 4:software + 8] = (500).to_bytes(4, "big")  # a count past the segment's end
    (tmp_path / "bad.jpg").write_bytes(bytes(data))
    (tmp_path / "good.jpg").write_bytes(out.getvalue())
    settings = AnalysisSettings(case_id=1, data_key=b"\0" * 32)

    bad = analyse(OsPath(str(tmp_path / "bad.jpg")), settings)
    assert bad.error is None and bad.signals["pdq"][0] and bad.exif and bad.exif["make"] == "Cam"
    assert bad.analysis["decode"] == {"problems": ["Truncated File Read"]}
    assert "decode" not in analyse(OsPath(str(tmp_path / "good.jpg")), settings).analysis


def test_a_zip_appended_to_a_photo_is_ingested_and_its_member_read_back(
        settings: Settings, store: sessionmaker[Session], tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    hidden = encode(sample("chelsea").resize((90, 60)), "JPEG")
    root = tmp_path / "ev"
    root.mkdir()
    (root / "IMG_0001.jpg").write_bytes(photo + _zip({"IMG_0002.jpg": hidden}))
    ingest(settings, store, "c1", [root])
    rows = {r["path"]: r for r in records(store, "c1")}
    assert rows["ev/IMG_0001.jpg"]["media_type"] == "image" and rows["ev/IMG_0001.jpg"]["pdq"]
    member = rows["ev/IMG_0001.jpg!/IMG_0002.jpg"]
    assert member["sha256"] == hashlib.sha256(hidden).hexdigest() and member["pdq"]
    from sichter.web.services.original import read_original

    with store() as s:
        content = s.scalars(select(Content).where(Content.sha256 == member["sha256"])).one()
        assert read_original(s, content, settings.limits) == hidden



def test_a_file_with_an_mbr_like_start_is_typed_with_its_size_as_the_walker_types_it(
        settings: Settings, store: sessionmaker[Session], tmp_path: Path) -> None:
    # Sector 0 looks like an MBR with one untyped partition of 1,000 sectors: a disk image only
    # if the file is long enough to hold it. This one is 4 KB.
    head = bytearray(4096)
    head[446:462] = bytes([0, 0, 0, 0, 0, 0, 0, 0]) + (1).to_bytes(4, "little") \
        + (1000).to_bytes(4, "little")
    head[510:512] = b"\x55\xaa"
    root = tmp_path / "ev"
    root.mkdir()
    (root / "blob.bin").write_bytes(bytes(head))
    ingest(settings, store, "c1", [root])
    row = {r["path"]: r for r in records(store, "c1")}["ev/blob.bin"]
    assert row["mime"] == "application/octet-stream" and row["error"] is None
