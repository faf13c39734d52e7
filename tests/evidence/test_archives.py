"""Archives are walked in memory: every member found with its path, hostile ones contained."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from walk_support import walked as _members

from sichter.demo import hostile
from sichter.demo.build import _7z, _tar_gz, _zip
from sichter.demo.photos import encode, sample
from sichter.evidence.model import FileOccurrence, Inline, open_payload
from sichter.evidence.walk import walk
from sichter.settings import Limits


def _sha(occ: FileOccurrence) -> str:
    assert occ.payload is not None
    with open_payload(occ.payload) as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    return {n: encode(sample(n).resize((120, 90)), "JPEG") for n in ("astronaut", "coffee", "grass")}


def test_nested_archives_yield_every_member_with_its_path_and_hash(tmp_path: Path,
                                                                   photos: dict[str, bytes]) -> None:
    inner = _zip({"chat/IMG-001.jpg": photos["astronaut"]})
    seven = _7z({"album/coffee.jpg": photos["coffee"]})
    tgz = _tar_gz({"backup/grass.jpg": photos["grass"], "backup/inner.zip": inner})
    outer = _zip({"inner.zip": inner, "photos.7z": seven, "b.tar.gz": tgz, "note.txt": b"hi\n"})
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "a.zip").write_bytes(outer)
    found, done = _members(tmp_path / "ev")
    expected = {
        "ev/a.zip!/inner.zip!/chat/IMG-001.jpg": photos["astronaut"],
        "ev/a.zip!/photos.7z!/album/coffee.jpg": photos["coffee"],
        "ev/a.zip!/b.tar.gz!/backup/grass.jpg": photos["grass"],
        "ev/a.zip!/b.tar.gz!/backup/inner.zip!/chat/IMG-001.jpg": photos["astronaut"],
        "ev/a.zip!/note.txt": b"hi\n",
    }
    for path, data in expected.items():
        assert path in found, sorted(found)
        assert _sha(found[path]) == hashlib.sha256(data).hexdigest()
    assert {str(d.locator) for d in done} >= {"ev/a.zip", "ev/a.zip!/inner.zip", "ev/a.zip!/photos.7z",
                                              "ev/a.zip!/b.tar.gz", "ev/a.zip!/b.tar.gz!/backup/inner.zip"}
    assert all(d.error is None for d in done)


def test_zip_slip_member_is_recorded_by_name_and_nothing_is_written(tmp_path: Path,
                                                                    photos: dict[str, bytes]) -> None:
    evidence = tmp_path / "case" / "evidence"
    evidence.mkdir(parents=True)
    (evidence / "slip.zip").write_bytes(hostile.zip_slip(photos["coffee"]))
    before = sorted(p for p in tmp_path.rglob("*"))
    found, _ = _members(evidence / "slip.zip")
    assert "slip.zip!/../../evil/x.jpg" in found
    assert _sha(found["slip.zip!/../../evil/x.jpg"]) == hashlib.sha256(photos["coffee"]).hexdigest()
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_zip_bomb_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bomb.zip").write_bytes(hostile.zip_bomb(40 * 1024**2))
    limits = Limits(expansion_floor_bytes=4 * 1024**2, max_expansion_ratio=100)
    found, done = _members(tmp_path / "bomb.zip", limits)
    member = found["bomb.zip!/zeros.bin"]
    assert member.payload is None
    assert member.error is not None and "decompression bomb" in member.error
    assert done[-1].error is not None and "decompression bomb" in done[-1].error


def _claim_size(archive: bytes, declared: int) -> bytes:
    """Every member's uncompressed size, in the local headers and the central directory,
    rewritten to ``declared``; the data and CRCs stay as they were."""
    out = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset:at + offset + 4] = declared.to_bytes(4, "little")
            at = out.find(signature, at + 4)
    return bytes(out)


def test_a_member_that_claims_a_huge_size_is_still_read_and_hides_nothing(
        tmp_path: Path, photos: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("liar.jpg", photos["astronaut"])
        archive.writestr("after.jpg", photos["coffee"])
    (tmp_path / "lies.zip").write_bytes(_claim_size(buf.getvalue(), 0xFFFF_FFF0))
    hashes: dict[str, str | None] = {}
    for event in walk(tmp_path / "lies.zip", Limits(expansion_floor_bytes=1024**2)):
        if isinstance(event, FileOccurrence) and "!/" in event.path:
            hashes[event.path] = _sha(event) if event.payload else event.error
    assert hashes == {"lies.zip!/liar.jpg": hashlib.sha256(photos["astronaut"]).hexdigest(),
                      "lies.zip!/after.jpg": hashlib.sha256(photos["coffee"]).hexdigest()}


def test_a_zip_flagging_legacy_names_as_utf8_still_lists_every_member(
        tmp_path: Path, photos: dict[str, bytes]) -> None:
    # Some zip tools set the UTF-8 flag on names in a legacy code page; Python's zipfile then
    # refused the whole archive, hiding every member. Here "Café" is written in Latin-1.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("a.jpg", photos["astronaut"])
        archive.writestr("Caf\u00e9 1.jpg", photos["coffee"])  # flagged UTF-8: "Caf\xc3\xa9 1"
        archive.writestr("z.jpg", photos["grass"])
    data = buf.getvalue()
    assert data.count(b"Caf\xc3\xa9 1") == 2  # local and central header
    (tmp_path / "legacy.zip").write_bytes(data.replace(b"Caf\xc3\xa9 1", b"Caf\xe9 1!"))
    found, done = _members(tmp_path / "legacy.zip")
    assert {path: _sha(occ) for path, occ in found.items() if "!/" in path} == {
        "legacy.zip!/a.jpg": hashlib.sha256(photos["astronaut"]).hexdigest(),
        "legacy.zip!/Caf\\xe9 1!.jpg": hashlib.sha256(photos["coffee"]).hexdigest(),
        "legacy.zip!/z.jpg": hashlib.sha256(photos["grass"]).hexdigest()}
    assert done[-1].error is None


def test_members_over_the_size_limit_are_recorded_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.zip").write_bytes(_zip({"big.bin": b"x" * 5000, "small.txt": b"ok"}))
    found, _ = _members(tmp_path / "a.zip", Limits(max_member_bytes=1000))
    assert found["a.zip!/big.bin"].error is not None and "limit" in found["a.zip!/big.bin"].error
    assert isinstance(found["a.zip!/small.txt"].payload, Inline)


def test_corrupt_archive_is_an_error_on_the_archive(tmp_path: Path, photos: dict[str, bytes]) -> None:
    (tmp_path / "cut.zip").write_bytes(hostile.corrupt_zip(_zip({"a.jpg": photos["coffee"]})))
    found, done = _members(tmp_path / "cut.zip")
    assert list(found) == ["cut.zip"]
    assert done and done[0].error is not None and "corrupt zip" in done[0].error


@pytest.mark.parametrize("where", [53, -130])  # in the members' data; in the packed header
def test_a_damaged_lzma_stream_in_a_7z_is_an_error_on_the_archive(tmp_path: Path, where: int) -> None:
    content = {"p/q.bin": bytes((i * 7919) % 251 for i in range(3000)), "r.txt": b"x" * 100}
    archive = bytearray(_7z(content))
    archive[where] ^= 0xFF
    (tmp_path / "bad.7z").write_bytes(bytes(archive))
    found, done = _members(tmp_path / "bad.7z")
    assert done and done[-1].error is not None and "corrupt 7z" in done[-1].error
    for name, data in content.items():  # unlisted, decoded before the damage, or marked lost
        member = found.get(f"bad.7z!/{name}")
        assert member is None or member.error or _sha(member) == hashlib.sha256(data).hexdigest()


def test_a_7z_member_whose_data_fails_its_crc_is_named_in_the_error(tmp_path: Path) -> None:
    import py7zr

    buf = io.BytesIO()
    data = bytes(range(256)) * 8
    with py7zr.SevenZipFile(buf, "w", filters=[{"id": py7zr.FILTER_COPY}]) as archive:
        archive.writestr(data, "stored.bin")
    damaged = bytearray(buf.getvalue())
    at = bytes(damaged).find(data)
    damaged[at + 100] ^= 0x01  # stored as is: the data decodes, its CRC does not match
    (tmp_path / "crc.7z").write_bytes(bytes(damaged))
    found, done = _members(tmp_path / "crc.7z")
    assert done[-1].error == "corrupt 7z archive: CRC mismatch in 'stored.bin' (damaged data)"
    member = found["crc.7z!/stored.bin"]  # listed, not hashed: its bytes are known to be wrong
    assert member.payload is None and member.error == done[-1].error


def test_nesting_deeper_than_the_limit_is_not_opened(tmp_path: Path) -> None:
    data = b"deep\n"
    for _ in range(4):
        data = _zip({"x.zip" if data.startswith(b"PK") else "x.txt": data})
    (tmp_path / "d.zip").write_bytes(data)
    found, done = _members(tmp_path / "d.zip", Limits(max_nesting_depth=2))
    assert any(d.error and "nested deeper" in d.error for d in done)
    assert not any(p.endswith("x.txt") for p in found)


def test_too_many_members_stop_with_an_error(tmp_path: Path) -> None:
    (tmp_path / "many.zip").write_bytes(_zip({f"{i}.txt": b"." for i in range(20)}))
    found, done = _members(tmp_path / "many.zip", Limits(max_members=5))
    assert len([p for p in found if "!/" in p]) == 5
    assert done[-1].error is not None and "members" in done[-1].error


def test_duplicate_member_names_are_both_kept(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"first")
        with pytest.warns(UserWarning):
            zf.writestr("a.txt", b"second")
    (tmp_path / "dup.zip").write_bytes(buf.getvalue())
    found, _ = _members(tmp_path / "dup.zip")
    assert {"dup.zip!/a.txt", "dup.zip!/a.txt;2"} <= set(found)


def test_plain_tar_and_single_gzip_file(tmp_path: Path, photos: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("p/coffee.jpg")
        info.size = len(photos["coffee"])
        tf.addfile(info, io.BytesIO(photos["coffee"]))
    (tmp_path / "t.tar").write_bytes(buf.getvalue())
    import gzip

    (tmp_path / "photo.jpg.gz").write_bytes(gzip.compress(photos["grass"]))
    found, _ = _members(tmp_path)
    name = tmp_path.name
    assert _sha(found[f"{name}/t.tar!/p/coffee.jpg"]) == hashlib.sha256(photos["coffee"]).hexdigest()
    assert _sha(found[f"{name}/photo.jpg.gz!/photo.jpg"]) == hashlib.sha256(photos["grass"]).hexdigest()


def test_symlinks_and_fifos_are_recorded_not_followed(tmp_path: Path) -> None:
    import os

    (tmp_path / "target.txt").write_text("x")
    os.symlink(tmp_path / "target.txt", tmp_path / "link.txt")
    os.mkfifo(tmp_path / "pipe")
    found, _ = _members(tmp_path)
    name = tmp_path.name
    assert "symbolic link" in (found[f"{name}/link.txt"].error or "")
    assert "not a regular file" in (found[f"{name}/pipe"].error or "")
