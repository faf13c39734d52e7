"""Disk images are recognised by content, never by name, and only on strong evidence."""

from __future__ import annotations

import struct
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


def test_an_untyped_mbr_partition_counts_only_when_it_lies_inside_the_image() -> None:
    mbr = bytearray(SNIFF_BYTES)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x00, b"\xfe\xff\xff", 2048, 4096)
    mbr[510:512] = b"\x55\xaa"
    assert sniff(bytes(mbr), (2048 + 4096) * 512).archive == "disk"
    assert sniff(bytes(mbr), (2048 + 4095) * 512).archive != "disk"  # runs past the end
    overlapping = bytearray(mbr)
    overlapping[462:478] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x0C, b"\xfe\xff\xff",
                                       4096, 4096)
    assert sniff(bytes(overlapping), 8192 * 512).archive != "disk"


@given(st.binary(min_size=64, max_size=64), st.integers(0, 2**42))
def test_untyped_entries_in_random_bytes_beyond_the_size_do_not_make_a_disk_image(
        entries: bytes, size: int) -> None:
    blob = bytearray(b"\xa5" * 2048)
    blob[446:510] = entries
    blob[510:512] = b"\x55\xaa"
    for i in range(4):  # boot flag 0 and type 0 in every entry: only start and length decide
        blob[446 + 16 * i] = blob[450 + 16 * i] = 0
    blob[3:11] = b"notafs  "
    blob[54:62] = blob[82:90] = b"        "
    blob[512:520] = b"not gpt "
    blob[1080:1082] = blob[1024:1026] = b"\x00\x00"
    ends = [int.from_bytes(blob[454 + 16 * i:458 + 16 * i], "little")
            + int.from_bytes(blob[458 + 16 * i:462 + 16 * i], "little") for i in range(4)]
    if any(end * 512 > size for end in ends):
        assert sniff(bytes(blob), size).archive != "disk"
