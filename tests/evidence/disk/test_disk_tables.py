"""Partition tables that tools write oddly: what the Sleuth Kit lists is read, or says why not."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from disk_images import build_fat, fat_volume, mbr_disk, sha
from test_disk_walk import content, walked


def test_an_untyped_mbr_partition_holding_a_file_system_is_read(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos, fat32=False)
    disk = tmp_path / "stick.dd"
    mbr_disk(disk, [(0x00, fat.path.read_bytes())])  # some tools leave the type 0
    found, done, _ = walked(disk)
    assert sha(content(found["stick.dd!/p1/DCIM/IMG_0001.JPG"])) == sha(disk_photos["astronaut"])
    assert done[-1].error is None


# The Sleuth Kit refuses the whole table when the first or second entry lies beyond the end,
# and lists a third or fourth one; either way the partition must be named with the reason.
@pytest.mark.parametrize("slot", [1, 2])
def test_a_partition_starting_beyond_the_end_of_the_image_says_so(
        tmp_path: Path, disk_photos: dict[str, bytes], slot: int) -> None:
    fat = build_fat(tmp_path, disk_photos, fat32=False)
    disk = tmp_path / "cut.dd"
    mbr_disk(disk, [(0x06, fat.path.read_bytes())])
    size = disk.stat().st_size
    beyond = size // 512 + 2048
    with disk.open("r+b") as f:  # a second partition the (truncated) image no longer holds
        f.seek(446 + 16 * slot)
        f.write(struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x0C, b"\xfe\xff\xff", beyond, 8192))
    found, _, _ = walked(disk)
    assert sha(content(found["cut.dd!/p1/DCIM/IMG_0001.JPG"])) == sha(disk_photos["astronaut"])
    assert found["cut.dd!/p2/"].error == (f"partition p2 starts at byte {beyond * 512:,}, beyond "
                                          f"the end of the image ({size:,} bytes)")


def test_an_mbr_disk_with_4096_byte_sectors_is_read_in_4k_units(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    volume = fat_volume(tmp_path / "volume.bin", 8, {"A.JPG": disk_photos["rocket"]}, "-S", "4096")
    fs = volume.read_bytes()
    disk = tmp_path / "usb.dd"
    mbr = bytearray(512)  # starts and lengths in 4096-byte sectors: the file system is at 1 MiB
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x0C, b"\xfe\xff\xff", 256,
                               len(fs) // 4096)
    mbr[510:512] = b"\x55\xaa"
    with disk.open("wb") as f:
        f.write(mbr)
        f.seek(256 * 4096)
        f.write(fs)
        f.truncate(256 * 4096 + len(fs) + 1024 * 1024)
    found, done, _ = walked(disk)
    assert sha(content(found["usb.dd!/p1/A.JPG"])) == sha(disk_photos["rocket"])
    assert done[-1].error is None
