"""Partition tables that tools write oddly: what the Sleuth Kit lists is read, or says why not."""

from __future__ import annotations

from pathlib import Path

from disk_images import build_fat, mbr_disk, sha
from test_disk_walk import content, walked


def test_an_untyped_mbr_partition_holding_a_file_system_is_read(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos, fat32=False)
    disk = tmp_path / "stick.dd"
    mbr_disk(disk, [(0x00, fat.path.read_bytes())])  # some tools leave the type 0
    found, done, _ = walked(disk)
    assert sha(content(found["stick.dd!/p1/DCIM/IMG_0001.JPG"])) == sha(disk_photos["astronaut"])
    assert done[-1].error is None
