"""Damaged disk images: what can still be read comes back, and what cannot says why."""

from __future__ import annotations

from pathlib import Path

from disk_images import build_fat, ewf, fat_volume, gpt_disk, mbr_disk, sha
from test_disk_walk import content, walked


def test_a_gpt_whose_primary_header_is_wiped_is_read_from_its_backup(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos, fat32=False)
    disk = tmp_path / "ssd.img"
    gpt_disk(disk, [fat.path.read_bytes()])
    with disk.open("r+b") as f:  # the primary header at LBA 1 overwritten, the backup intact
        f.seek(512)
        f.write(b"\x00" * 512)
    found, done, _ = walked(disk)
    assert sha(content(found["ssd.img!/p1/DCIM/IMG_0001.JPG"])) == sha(disk_photos["astronaut"])
    assert done[-1].error is None


def test_an_e01_missing_a_middle_segment_gives_the_files_before_the_gap(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    # A small FAT12 volume: opening FAT16/32 or ext4 reads the file system's last sector,
    # which a set cut short lacks (the Sleuth Kit then refuses the whole file system).
    card = fat_volume(tmp_path / "card.dd", 6, {"IMG_0001.JPG": disk_photos["astronaut"]}, "-F", "12")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    e01 = ewf(card, evidence / "seized", "-S", "1M")
    segments = sorted(evidence.glob("seized.E*"))
    assert len(segments) > 3, "the E01 must really be split for this test"
    segments[-2].unlink()  # the set now ends early: its last segment points to a "next" one
    found, done, _ = walked(e01)
    assert sha(content(found["seized.E01!/IMG_0001.JPG"])) == sha(disk_photos["astronaut"])
    assert done[-1].error and f"the segment after {segments[-3].name} is missing" in done[-1].error


def test_an_e01_segment_cut_short_is_refused_not_read_at_wrong_offsets(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos)
    e01 = ewf(fat.path, tmp_path / "seized", "-S", "1M")
    middle = tmp_path / "seized.E02"
    middle.write_bytes(middle.read_bytes()[: middle.stat().st_size // 2])
    found, done, _ = walked(e01)
    assert not any(p.startswith("seized.E01!/") for p in found)
    assert done[-1].error and "segment seized.E02 is truncated" in done[-1].error


def test_a_split_raw_image_missing_a_middle_segment_names_it(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos, fat32=False)
    raw = fat.path.read_bytes()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    step = len(raw) // 4
    for i in range(4):  # card.001 ... card.004, then card.002 lost
        (evidence / f"card.{i + 1:03d}").write_bytes(raw[i * step:(i + 1) * step])
    (evidence / "card.002").unlink()
    _, done, _ = walked(evidence / "card.001")
    assert done[-1].error and "segment card.002 of the split image is missing" in done[-1].error
    assert "not read: card.003, card.004" in done[-1].error


def test_a_split_raw_image_missing_its_second_segment_still_names_it(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    disk = tmp_path / "disk.dd"
    mbr_disk(disk, [(0x06, build_fat(tmp_path, disk_photos, fat32=False).path.read_bytes())])
    raw = disk.read_bytes()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "disk.001").write_bytes(raw[:512 * 1024])  # the MBR; the file system is later
    (evidence / "disk.003").write_bytes(raw[512 * 1024:])
    found, done, _ = walked(evidence / "disk.001")
    errors = " ".join([d.error or "" for d in done] + [o.error or "" for o in found.values()])
    assert "segment disk.002 of the split image is missing" in errors
