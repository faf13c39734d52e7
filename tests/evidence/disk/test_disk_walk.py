"""Disk images are walked like folders: every file with its path, deleted files recovered."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from disk_images import (
    KNOWN_MTIME,
    Built,
    blank,
    build_exfat,
    build_ext4,
    build_fat,
    build_ntfs,
    ewf,
    gpt_disk,
    mbr_disk,
    need,
    sh,
    sha,
)

from sichter.evidence.locator import Locator
from sichter.evidence.model import ContainerDone, FileOccurrence, ImageIntegrity, Stream, open_payload
from sichter.evidence.walk import walk
from sichter.settings import Limits


def walked(path: Path, limits: Limits | None = None) -> tuple[dict[str, FileOccurrence],
                                                              list[ContainerDone], list[ImageIntegrity]]:
    found: dict[str, FileOccurrence] = {}
    done: list[ContainerDone] = []
    checks: list[ImageIntegrity] = []
    for event in walk(path, limits or Limits()):
        if isinstance(event, ContainerDone):
            done.append(event)
        elif isinstance(event, ImageIntegrity):
            checks.append(event)
        else:
            found[event.path] = event
    return found, done, checks


def content(occ: FileOccurrence) -> bytes:
    assert occ.payload is not None, occ
    with open_payload(occ.payload) as f:
        return f.read()


BUILDERS: dict[str, Callable[[Path, dict[str, bytes]], Built]] = {
    "fat32": build_fat, "ext4": build_ext4, "ntfs": build_ntfs, "exfat": build_exfat}


@pytest.mark.parametrize("fs", sorted(BUILDERS))
def test_files_and_deleted_files_come_back_with_their_sha256(fs: str, tmp_path: Path,
                                                              disk_photos: dict[str, bytes]) -> None:
    built = BUILDERS[fs](tmp_path, disk_photos)
    found, done, _ = walked(built.path)
    name = built.path.name
    for inner, data in built.files.items():
        occ = found[f"{name}!/{inner}"]
        assert sha(content(occ)) == sha(data) and not occ.deleted and occ.error is None
        assert occ.locator.chain() == [("file", name), ("fs", inner)]
    for inner, data in built.deleted.items():
        occ = found[f"{name}!/{inner}"]
        assert occ.deleted, f"{inner} must be marked deleted"
        assert sha(content(occ)) == sha(data)
    assert done[-1].locator == Locator("file", name) and done[-1].error is None


def test_archives_inside_an_image_are_opened(tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    built = build_fat(tmp_path, disk_photos)
    found, _, _ = walked(built.path)
    occ = found["card.dd!/DCIM/ALBUM.ZIP!/holiday/IMG_0100.JPG"]
    assert sha(content(occ)) == sha(disk_photos["chelsea"])


def test_times_come_from_the_file_system(tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    built = build_ext4(tmp_path, disk_photos)
    found, _, _ = walked(built.path)
    times = found["phone.img!/DCIM/Camera/IMG_0001.jpg"].times
    assert times.modified == KNOWN_MTIME
    assert times.changed is not None and times.accessed is not None and times.created is not None


def test_partitions_are_named_by_index_in_the_path(tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    fat = build_fat(tmp_path, disk_photos, fat32=False, name="fat16.img")
    ext = build_ext4(tmp_path, disk_photos)
    disk = tmp_path / "disk.dd"
    mbr_disk(disk, [(0x06, fat.path.read_bytes()), (0x83, ext.path.read_bytes())])
    found, done, _ = walked(disk)
    first = found["disk.dd!/p1/DCIM/IMG_0001.JPG"]
    assert sha(content(first)) == sha(disk_photos["astronaut"])
    assert first.locator.chain() == [("file", "disk.dd"), ("volume", "p1/DCIM/IMG_0001.JPG")]
    assert str(Locator.parse(first.path, ["file", "volume"])) == first.path
    deleted = found["disk.dd!/p2/DCIM/Camera/IMG_0002.jpg"]
    assert deleted.deleted and sha(content(deleted)) == sha(disk_photos["chelsea"])
    assert done[-1].members == len(fat.files) + len(fat.deleted) + len(ext.files) + len(ext.deleted)


def test_a_partition_without_a_readable_file_system_is_an_error_not_the_end(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    ext = build_ext4(tmp_path, disk_photos)
    disk = tmp_path / "disk.dd"
    mbr_disk(disk, [(0x07, b"\x00" * 1024 * 1024), (0x83, ext.path.read_bytes())])
    found, done, _ = walked(disk)
    broken = found["disk.dd!/p1/"]
    assert broken.payload is None and "no file system" in (broken.error or "")
    assert "disk.dd!/p2/DCIM/Camera/IMG_0001.jpg" in found
    assert done[-1].error is None


def test_e01_segments_and_split_raw_yield_the_same_files(tmp_path: Path,
                                                         disk_photos: dict[str, bytes]) -> None:
    built = build_fat(tmp_path, disk_photos)
    e01 = ewf(built.path, tmp_path / "seized", "-S", "1M")
    assert (tmp_path / "seized.E02").exists(), "the E01 must really be split for this test"
    raw = built.path.read_bytes()
    split = tmp_path / "split"
    split.mkdir()
    for i in range(0, len(raw), 16 * 1024 * 1024):
        (split / f"card.{i // (16 * 1024 * 1024) + 1:03d}").write_bytes(raw[i:i + 16 * 1024 * 1024])
    expected = {inner: sha(d) for inner, d in {**built.files, **built.deleted}.items()}
    for source, name in ((e01, "seized.E01"), (split / "card.001", "card.001")):
        found, done, checks = walked(source)
        got = {p.split("!/", 1)[1]: sha(content(o)) for p, o in found.items()
               if p.startswith(name + "!/") and p.count("!/") == 1}
        assert got == expected, name
        assert done[-1].error is None
    _, _, checks = walked(e01)
    assert [c.status for c in checks] == ["verified"]
    assert checks[0].stored["md5"] == hashlib.md5(raw).hexdigest()
    assert checks[0].stored["sha1"] == hashlib.sha1(raw).hexdigest() == checks[0].computed["sha1"]
    assert len(checks[0].segments) > 1


def test_later_e01_segments_are_not_opened_on_their_own(tmp_path: Path,
                                                        disk_photos: dict[str, bytes]) -> None:
    built = build_fat(tmp_path, disk_photos)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    ewf(built.path, evidence / "seized", "-S", "1M")
    found, done, checks = walked(evidence)
    assert [c.locator.inner_path for c in checks] == ["evidence/seized.E01"]
    assert sorted(str(d.locator) for d in done) == ["evidence/seized.E01",
                                                    "evidence/seized.E01!/DCIM/ALBUM.ZIP"]
    assert "evidence/seized.E01!/DCIM/IMG_0001.JPG" in found
    assert "evidence/seized.E02" in found  # still a file of the evidence, hashed as such


def test_a_corrupted_e01_chunk_is_a_hash_mismatch_and_files_are_still_read(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    built = build_ext4(tmp_path, disk_photos)
    marker = b"free space written before acquisition"
    with built.path.open("r+b") as f:  # the last MiB of this image is unused by ext4
        f.seek(7 * 1024 * 1024 + 512)
        f.write(marker)
    e01 = ewf(built.path, tmp_path / "seized")
    data = e01.read_bytes()
    assert data.count(marker) == 1
    e01.write_bytes(data.replace(marker, marker.upper()))  # damage after acquisition
    found, _, checks = walked(e01)
    assert checks[0].status in ("mismatch", "unreadable")
    assert checks[0].warning() is not None
    assert sha(content(found["seized.E01!/DCIM/Camera/IMG_0001.jpg"])) == sha(disk_photos["rocket"])


def test_a_truncated_e01_is_an_error_for_that_image(tmp_path: Path,
                                                    disk_photos: dict[str, bytes]) -> None:
    built = build_ext4(tmp_path, disk_photos)
    e01 = ewf(built.path, tmp_path / "seized")
    e01.write_bytes(e01.read_bytes()[: e01.stat().st_size // 3])
    found, done, _ = walked(e01)
    assert found["seized.E01"].payload is not None  # the segment itself is still hashed
    assert done and done[-1].error, "a truncated image must say why it was not read"
    assert any(w in done[-1].error.lower() for w in ("ewf", "truncated", "corrupt", "unreadable"))


def test_an_image_without_a_file_system_says_so(tmp_path: Path) -> None:
    noise = tmp_path / "noise.dd"
    blob = bytearray(hashlib.sha256(b"x").digest() * 40000)
    blob[3:11] = b"NTFS    "  # looks like an NTFS boot sector to sniffing, but is not one
    blob[510:512] = b"\x55\xaa"
    noise.write_bytes(bytes(blob))
    _, done, _ = walked(noise)
    assert done[-1].error and "no partition table and no file system" in done[-1].error


def test_files_larger_than_the_memory_limit_are_streamed_not_held(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    built = build_ext4(tmp_path, disk_photos)
    found, _, _ = walked(built.path, Limits(max_inline_bytes=1024))
    occ = found["phone.img!/DCIM/Camera/IMG_0001.jpg"]
    assert isinstance(occ.payload, Stream)
    assert sha(content(occ)) == sha(disk_photos["rocket"])


def test_a_deleted_file_whose_blocks_are_gone_is_an_error_and_the_walk_goes_on(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    built = build_ext4(tmp_path, disk_photos)
    import pytsk3

    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(built.path)))
    inode = next(e.info.meta.addr for e in fs.open_dir("/DCIM/Camera")
                 if e.info.name.name == b"IMG_0002.jpg")
    del fs
    # Point the deleted file's first extent far beyond the end of the file system.
    sh("debugfs", "-w", "-R", f"set_inode_field <{inode}> block[5] 999999", built.path)
    found, done, _ = walked(built.path)
    gone = found["phone.img!/DCIM/Camera/IMG_0002.jpg"]
    assert gone.deleted and gone.payload is None
    assert gone.error and gone.error.startswith("deleted file: bytes 0-") and "not recoverable" in gone.error
    assert sha(content(found["phone.img!/DCIM/Camera/IMG_0001.jpg"])) == sha(disk_photos["rocket"])
    assert done[-1].error is None


def test_gpt_partitions_are_read_too(tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    ext = build_ext4(tmp_path, disk_photos)
    ntfs = build_ntfs(tmp_path, disk_photos)
    disk = tmp_path / "ssd.img"
    gpt_disk(disk, [ext.path.read_bytes(), ntfs.path.read_bytes()])
    found, done, _ = walked(disk)
    assert sha(content(found["ssd.img!/p1/DCIM/Camera/IMG_0001.jpg"])) == sha(disk_photos["rocket"])
    assert found["ssd.img!/p2/IMG_0002.JPG"].deleted
    assert sha(content(found["ssd.img!/p2/IMG_0002.JPG"])) == sha(disk_photos["rocket"])
    assert done[-1].error is None


def test_directory_loops_list_each_file_once_and_a_sparse_file_larger_than_the_image_is_read(
        tmp_path: Path) -> None:
    need("mkfs.ext4", "debugfs")
    img = blank(tmp_path / "loops.img", 16)
    sh("mkfs.ext4", "-q", "-F", img)
    sparse = tmp_path / "sparse.bin"
    with sparse.open("wb") as f:  # 100 MiB on a 16 MiB volume: holes take no space
        f.write(b"head" * 256)
        f.seek(100 * 1024 * 1024 - 4)
        f.write(b"tail")
    (tmp_path / "a.txt").write_bytes(b"a\n")
    sh("debugfs", "-w", "-f", "-", img, stdin="\n".join([
        "mkdir D", f"write {sparse} D/sparse.bin", f"write {tmp_path / 'a.txt'} a.txt",
        "link / D/up", "link D D/loop", ""]))  # entries leading back to the root and to D
    found, done, _ = walked(img)
    files = sorted(p for p in found if "!/" in p)
    assert files == ["loops.img!/D/sparse.bin", "loops.img!/a.txt"]
    big = found["loops.img!/D/sparse.bin"]
    assert big.error is None and big.size == 100 * 1024 * 1024
    assert sha(content(big)) == sha(sparse.read_bytes())
    assert done[-1].error is None


def test_an_ntfs_file_named_like_a_system_file_is_not_hidden(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    # NTFS's own files ($MFT, $LogFile, ...) are records 0-15 and stay out of the listing; a
    # user may still name a file "$...", in the root too, and hiding it would hide evidence.
    need("mkntfs", "ntfscp")
    img = blank(tmp_path / "vol.img", 8)
    sh("mkntfs", "-q", "-F", "-f", img)
    (tmp_path / "a.jpg").write_bytes(disk_photos["coffee"])
    sh("ntfscp", "-f", img, tmp_path / "a.jpg", "$Secret.jpg")
    found, _, _ = walked(img)
    occ = found["vol.img!/$Secret.jpg"]
    assert sha(content(occ)) == sha(disk_photos["coffee"])
    assert not {p for p in found if p.startswith("vol.img!/$") and p != "vol.img!/$Secret.jpg"
                and not p.startswith("vol.img!/$OrphanFiles")}


def test_ntfs_alternate_data_streams_are_listed_and_read(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    # A photo put in a named stream of a text file (or of the volume's root folder) is invisible
    # to Explorer and to a copy of the files; it is still on the disk, and still evidence.
    need("mkntfs", "ntfscp")
    img = blank(tmp_path / "vol.img", 8)
    sh("mkntfs", "-q", "-F", "-f", img)
    (tmp_path / "notes.txt").write_bytes(b"shopping list\n")
    (tmp_path / "a.jpg").write_bytes(disk_photos["coffee"])
    (tmp_path / "b.jpg").write_bytes(disk_photos["rocket"])
    sh("ntfscp", "-f", img, tmp_path / "notes.txt", "notes.txt")
    sh("ntfscp", "-f", "-N", "holiday.jpg", img, tmp_path / "a.jpg", "notes.txt")
    sh("ntfscp", "-f", "-i", "-N", "kept.jpg", img, tmp_path / "b.jpg", "5")  # the root folder
    found, done, _ = walked(img)
    assert content(found["vol.img!/notes.txt"]) == b"shopping list\n"
    hidden = found["vol.img!/notes.txt:holiday.jpg"]
    assert sha(content(hidden)) == sha(disk_photos["coffee"]) and hidden.size == len(
        disk_photos["coffee"])
    assert sha(content(found["vol.img!/:kept.jpg"])) == sha(disk_photos["rocket"])
    assert done[-1].error is None


@pytest.mark.parametrize(("qemu_format", "options"), [
    ("vpc", "subformat=dynamic"), ("vhdx", ""), ("vmdk", "subformat=monolithicSparse"),
    ("vmdk", "subformat=streamOptimized"), ("qcow2", "")],
    ids=["VHD", "VHDX", "VMDK sparse", "VMDK stream-optimised", "QCOW2"])
def test_virtual_machine_disks_are_read_like_the_disk_they_hold(
        qemu_format: str, options: str, tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    need("qemu-img")
    fat = build_fat(tmp_path, disk_photos)
    disk = tmp_path / f"guest.{qemu_format}"
    sh("qemu-img", "convert", "-O", qemu_format, *(["-o", options] if options else []),
       fat.path, disk)
    found, done, _ = walked(disk)
    for inner, data in fat.files.items():
        occ = found[f"{disk.name}!/{inner}"]
        assert sha(content(occ)) == sha(data) and occ.error is None
    for inner, data in fat.deleted.items():
        assert found[f"{disk.name}!/{inner}"].deleted
        assert sha(content(found[f"{disk.name}!/{inner}"])) == sha(data)
    assert done[-1].error is None
    # The same disk inside a zip (read from memory, no path) gives the same files.
    zipped = tmp_path / "vm.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(disk, disk.name)
    inner_found, _, _ = walked(zipped)
    first = next(iter(fat.files))
    assert sha(content(inner_found[f"vm.zip!/{disk.name}!/{first}"])) == sha(fat.files[first])


def test_a_cut_virtual_disk_is_a_clear_error(tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    need("qemu-img")
    fat = build_fat(tmp_path, disk_photos)
    disk = tmp_path / "guest.vhdx"
    sh("qemu-img", "convert", "-O", "vhdx", fat.path, disk)
    cut = tmp_path / "cut.vhdx"
    cut.write_bytes(disk.read_bytes()[: 1024 * 1024])
    _, done, _ = walked(cut)
    assert done[-1].error and "VHD" in done[-1].error


def test_a_virtual_disk_that_only_holds_changes_names_the_disk_it_needs(
        tmp_path: Path, disk_photos: dict[str, bytes]) -> None:
    need("qemu-img")
    fat = build_fat(tmp_path, disk_photos)
    base = tmp_path / "base.qcow2"
    sh("qemu-img", "convert", "-O", "qcow2", fat.path, base)
    overlay = tmp_path / "snapshot.qcow2"
    sh("qemu-img", "create", "-f", "qcow2", "-b", base.name, "-F", "qcow2", overlay)
    _, done, _ = walked(overlay)
    assert done[-1].error and "base.qcow2" in done[-1].error and "needed" in done[-1].error
