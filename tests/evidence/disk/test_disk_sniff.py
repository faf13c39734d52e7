"""Disk images are recognised by content, never by name, and only on strong evidence."""

from __future__ import annotations

from pathlib import Path

from disk_images import build_ext4, build_fat, build_ntfs, ewf, mbr_disk
from hypothesis import given
from hypothesis import strategies as st

from sichter.evidence.sniff import SNIFF_BYTES, sniff


def head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(SNIFF_BYTES)


def test_file_systems_partition_tables_and_first_e01_segments_are_recognised(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos, name="x.bin")
    ext = build_ext4(tmp_path, disk_photos, name="y.txt")
    ntfs = build_ntfs(tmp_path, disk_photos, name="z")
    disk = tmp_path / "disk.jpg"
    mbr_disk(disk, [(0x83, ext.path.read_bytes())])
    for path in (fat.path, ext.path, ntfs.path, disk):
        assert sniff(head(path)).archive == "disk", path.name
    e01 = ewf(fat.path, tmp_path / "seg", "-S", "1M")
    assert sniff(head(e01)).archive == "ewf"
    second = sniff(head(tmp_path / "seg.E02"))
    assert second.mime == "application/x-ewf" and second.archive is None


@given(st.binary(max_size=2048))
def test_a_boot_signature_alone_does_not_make_a_disk_image(data: bytes) -> None:
    blob = bytearray(data.ljust(2048, b"\xa5"))
    blob[510:512] = b"\x55\xaa"
    blob[446] = 0x7F  # an impossible boot flag in the first partition entry
    blob[3:11] = b"notafs  "
    blob[54:62] = blob[82:90] = b"        "
    blob[512:520] = b"not gpt "
    blob[1080:1082] = b"\x00\x00"
    blob[1024:1026] = b"\x00\x00"
    assert sniff(bytes(blob)).archive != "disk"


@given(st.binary(max_size=SNIFF_BYTES))
def test_a_file_format_signature_wins_over_anything_that_follows(tail: bytes) -> None:
    assert sniff(b"\xff\xd8\xff" + tail).mime == "image/jpeg"
    assert sniff(b"PK\x03\x04" + tail).archive == "zip"
