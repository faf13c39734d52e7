"""Helpers that build small disk images on the fly with Debian's tools (no root, no loop mounts).

Every image holds benign scikit-image photos, one of them deleted, so a test can ask for the
deleted file's content back by SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

# 2020-01-02 03:04:05 UTC, set on files inside ext4 images so times can be checked exactly.
KNOWN_MTIME = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"disk tools missing in CI: {missing} (make setup installs them)")
        pytest.skip(f"disk tools missing: {missing}")


def sh(*args: str | Path, stdin: str | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, input=stdin, text=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Built:
    """A disk image and what a reader must find in it (path inside the image -> bytes)."""

    path: Path
    files: dict[str, bytes]
    deleted: dict[str, bytes] = field(default_factory=dict)


def photo_zip(data: bytes) -> bytes:
    # A fixed member time: writestr with a bare name stamps the current time, so two calls a
    # (2-second) tick apart built different archives and the expected SHA-256 missed.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("holiday/IMG_0100.JPG", date_time=(2024, 5, 1, 12, 0, 0)), data)
    return buf.getvalue()


def blank(path: Path, megabytes: int) -> Path:
    """A zero-filled (sparse) file of ``megabytes`` for mkfs to format."""
    with path.open("wb") as f:
        f.truncate(megabytes * 1024 * 1024)
    return path


def fat_volume(path: Path, megabytes: int, files: dict[str, bytes], *mkfs_args: str) -> Path:
    """A FAT volume of ``megabytes`` (mkfs.vfat ``mkfs_args``, e.g. -F 12 or -S 4096) holding
    ``files`` in its root directory."""
    need("mkfs.vfat", "mcopy")
    sh("mkfs.vfat", *mkfs_args, blank(path, megabytes))
    for name, data in files.items():
        source = path.with_name(f"{path.name}.{name}")
        source.write_bytes(data)
        sh("mcopy", "-i", path, source, f"::/{name}")
    return path


def build_fat(folder: Path, photos: dict[str, bytes], fat32: bool = True, name: str = "card.dd") -> Built:
    """FAT32 (or FAT16): DCIM/IMG_0001.JPG, DCIM/ALBUM.ZIP with a photo, DCIM/IMG_0002.JPG deleted."""
    need("mkfs.vfat", "mcopy", "mdel", "mmd")
    img = blank(folder / name, 40 if fat32 else 16)
    sh("mkfs.vfat", *(["-F", "32"] if fat32 else []), img)
    src = folder / f"{name}.src"
    src.mkdir()
    (src / "a.jpg").write_bytes(photos["astronaut"])
    (src / "b.jpg").write_bytes(photos["coffee"])
    album = photo_zip(photos["chelsea"])
    (src / "album.zip").write_bytes(album)
    sh("mmd", "-i", img, "::/DCIM")
    sh("mcopy", "-i", img, src / "a.jpg", "::/DCIM/IMG_0001.JPG")
    sh("mcopy", "-i", img, src / "album.zip", "::/DCIM/ALBUM.ZIP")
    sh("mcopy", "-i", img, src / "b.jpg", "::/DCIM/IMG_0002.JPG")
    sh("mdel", "-i", img, "::/DCIM/IMG_0002.JPG")
    # FAT overwrites the first letter of a deleted name; the Sleuth Kit shows it as "_".
    return Built(img, {"DCIM/IMG_0001.JPG": photos["astronaut"],
                       "DCIM/ALBUM.ZIP": album},
                 {"DCIM/_MG_0002.JPG": photos["coffee"]})


def build_ext4(folder: Path, photos: dict[str, bytes], name: str = "phone.img") -> Built:
    """ext4: DCIM/Camera/IMG_0001.jpg (mtime KNOWN_MTIME), DCIM/Camera/IMG_0002.jpg deleted."""
    need("mkfs.ext4", "debugfs")
    img = blank(folder / name, 8)
    sh("mkfs.ext4", "-q", "-F", img)
    src = folder / f"{name}.src"
    src.mkdir()
    (src / "a.jpg").write_bytes(photos["rocket"])
    (src / "b.jpg").write_bytes(photos["chelsea"])
    stamp = KNOWN_MTIME.strftime("%Y%m%d%H%M%S")
    sh("debugfs", "-w", "-f", "-", img, stdin="\n".join([
        "mkdir DCIM", "mkdir DCIM/Camera",
        f"write {src / 'a.jpg'} DCIM/Camera/IMG_0001.jpg",
        f"set_inode_field DCIM/Camera/IMG_0001.jpg mtime {stamp}",
        f"write {src / 'b.jpg'} DCIM/Camera/IMG_0002.jpg",
        "rm DCIM/Camera/IMG_0002.jpg", ""]))
    return Built(img, {"DCIM/Camera/IMG_0001.jpg": photos["rocket"]},
                 {"DCIM/Camera/IMG_0002.jpg": photos["chelsea"]})


def build_ntfs(folder: Path, photos: dict[str, bytes], name: str = "laptop.img") -> Built:
    """NTFS: IMG_0001.JPG and IMG_0002.JPG, whose MFT record is then marked free (deleted)."""
    need("mkntfs", "ntfscp")
    img = blank(folder / name, 8)
    sh("mkntfs", "-q", "-F", "-f", img)
    src = folder / f"{name}.src"
    src.mkdir()
    (src / "a.jpg").write_bytes(photos["coffee"])
    (src / "b.jpg").write_bytes(photos["rocket"])
    sh("ntfscp", "-f", img, src / "a.jpg", "IMG_0001.JPG")
    sh("ntfscp", "-f", img, src / "b.jpg", "IMG_0002.JPG")
    _ntfs_mark_free(img, "IMG_0002.JPG")
    return Built(img, {"IMG_0001.JPG": photos["coffee"]}, {"IMG_0002.JPG": photos["rocket"]})


def _ntfs_mark_free(img: Path, name: str) -> None:
    """What deleting does to an MFT record: clear its in-use flag (no ntfs-3g mount needed)."""
    import pytsk3

    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(img)))
    record = fs.open(f"/{name}").info.meta.addr
    with img.open("r+b") as f:
        boot = f.read(512)
        cluster = struct.unpack_from("<H", boot, 11)[0] * boot[13]
        mft = struct.unpack_from("<Q", boot, 0x30)[0] * cluster
        f.seek(mft + record * 1024 + 0x16)
        flags = struct.unpack("<H", f.read(2))[0]
        f.seek(mft + record * 1024 + 0x16)
        f.write(struct.pack("<H", flags & ~1))


def mbr_disk(path: Path, partitions: list[tuple[int, bytes]]) -> None:
    """A DOS-partitioned disk: each (type, file-system bytes) at the next 1 MiB boundary."""
    sector = 512
    entries = b""
    layout: list[tuple[int, bytes]] = []
    lba = 2048
    for ptype, data in partitions:
        sectors = (len(data) + sector - 1) // sector
        entries += struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff", lba, sectors)
        layout.append((lba, data))
        lba += (sectors + 2047) // 2048 * 2048
    mbr = bytearray(sector)
    mbr[446:446 + len(entries)] = entries
    mbr[510:512] = b"\x55\xaa"
    with path.open("wb") as f:
        f.write(mbr)
        for start, data in layout:
            f.seek(start * sector)
            f.write(data)
        f.truncate(lba * sector)


def ewf(image: Path, target: Path, *extra: str) -> Path:
    """An uncompressed E01 (with MD5 and SHA-1 stored) of ``image``; returns the .E01 path."""
    need("ewfacquire")
    sh("ewfacquire", "-u", "-q", "-t", target, "-c", "none", "-d", "sha1", *extra, image)
    return target.with_name(target.name + ".E01")


def gpt_disk(path: Path, partitions: list[bytes]) -> None:
    """A GPT disk (protective MBR, header, 128 entries) with each file system at 1 MiB steps."""
    import uuid
    import zlib

    sector = 512
    basic_data = uuid.UUID("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7").bytes_le
    entries = bytearray(128 * 128)
    layout: list[tuple[int, bytes]] = []
    lba = 2048
    for i, data in enumerate(partitions):
        sectors = (len(data) + sector - 1) // sector
        struct.pack_into("<16s16sQQQ72s", entries, 128 * i, basic_data, uuid.uuid4().bytes_le,
                         lba, lba + sectors - 1, 0, f"part{i + 1}".encode("utf-16-le"))
        layout.append((lba, data))
        lba += (sectors + 2047) // 2048 * 2048
    total = lba + 34
    disk_guid = uuid.uuid4().bytes_le

    def gpt_header(my_lba: int, other_lba: int, entries_lba: int) -> bytes:
        header = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0,
                                       my_lba, other_lba, 34, total - 34, disk_guid, entries_lba,
                                       128, 128, zlib.crc32(bytes(entries))))
        struct.pack_into("<I", header, 16, zlib.crc32(bytes(header)))
        return bytes(header).ljust(sector, b"\x00")

    mbr = bytearray(sector)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                               min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    with path.open("wb") as f:
        f.write(mbr)
        f.write(gpt_header(1, total - 1, 2))
        f.write(bytes(entries))
        for start, data in layout:
            f.seek(start * sector)
            f.write(data)
        # The backup copy: entries in the 32 sectors before the last, its header in the last.
        f.seek((total - 33) * sector)
        f.write(bytes(entries))
        f.write(gpt_header(total - 1, 1, total - 33))


def build_exfat(folder: Path, photos: dict[str, bytes], name: str = "sdcard.img") -> Built:
    """exFAT (camera and phone SD cards): IMG_0001.JPG and IMG_0002.JPG (deleted) in the root.

    mkfs.exfat formats; nothing in Debian copies files into exFAT without mounting it, so the
    files are written here as the exFAT specification describes: contiguous clusters ("no FAT
    chain"), bits in the allocation bitmap, and a File / Stream Extension / File Name entry set
    with its checksum in the root directory. Deleting clears the entries' in-use bits and the
    clusters' bitmap bits and leaves the data, as exFAT drivers do.
    """
    need("mkfs.exfat")
    img = blank(folder / name, 16)
    sh("mkfs.exfat", img)
    with img.open("r+b") as f:
        volume = _Exfat(f)
        volume.add("IMG_0001.JPG", photos["rocket"])
        volume.add("IMG_0002.JPG", photos["coffee"], deleted=True)
    return Built(img, {"IMG_0001.JPG": photos["rocket"]}, {"IMG_0002.JPG": photos["coffee"]})


class _Exfat:
    def __init__(self, f: io.BufferedRandom) -> None:
        self.f = f
        boot = self._read(0, 512)
        assert boot[3:11] == b"EXFAT   "
        self.sector = 1 << boot[108]
        self.cluster = self.sector << boot[109]
        self.heap = struct.unpack_from("<I", boot, 88)[0] * self.sector
        self.root = struct.unpack_from("<I", boot, 96)[0]
        entries = self._read(self._at(self.root), self.cluster)
        self.slot = next(i for i in range(0, self.cluster, 32) if entries[i] == 0)
        bitmap = next(i for i in range(0, self.cluster, 32) if entries[i] == 0x81)
        self.bitmap = self._at(struct.unpack_from("<I", entries, bitmap + 20)[0])
        self.next_cluster = 2 + max(i * 8 + b.bit_length() for i, b in enumerate(
            self._read(self.bitmap, 512)) if b)

    def _read(self, offset: int, size: int) -> bytes:
        self.f.seek(offset)
        return self.f.read(size)

    def _write(self, offset: int, data: bytes) -> None:
        self.f.seek(offset)
        self.f.write(data)

    def _at(self, cluster: int) -> int:
        return self.heap + (cluster - 2) * self.cluster

    def add(self, name: str, data: bytes, deleted: bool = False) -> None:
        first = self.next_cluster
        count = -(-len(data) // self.cluster)
        self.next_cluster += count
        self._write(self._at(first), data)
        if not deleted:
            for cluster in range(first, first + count):
                bit = cluster - 2
                byte = self._read(self.bitmap + bit // 8, 1)[0]
                self._write(self.bitmap + bit // 8, bytes([byte | 1 << (bit % 8)]))
        utf16 = name.encode("utf-16-le")
        assert len(name) <= 15
        name_hash = 0
        for char in name.upper().encode("utf-16-le"):
            name_hash = (((name_hash & 1) << 15) + (name_hash >> 1) + char) & 0xFFFF
        stamp = (2024 - 1980) << 25 | 5 << 21 | 1 << 16 | 12 << 11  # 2024-05-01 12:00:00
        in_use = 0 if deleted else 0x80
        file_entry = bytearray(struct.pack("<BBHHHIII", 0x05 | in_use, 2, 0, 0x20, 0,
                                           stamp, stamp, stamp)).ljust(32, b"\0")
        stream = struct.pack("<BBBBHHQIIQ", 0x40 | in_use, 0x03, 0, len(name), name_hash, 0,
                             len(data), 0, first, len(data))
        name_entry = struct.pack("<BB", 0x41 | in_use, 0) + utf16.ljust(30, b"\0")
        entry_set = bytearray(file_entry + stream + name_entry)
        checksum = 0
        for i, byte in enumerate(entry_set):
            if i not in (2, 3):
                checksum = (((checksum & 1) << 15) + (checksum >> 1) + byte) & 0xFFFF
        struct.pack_into("<H", entry_set, 2, checksum)
        self._write(self._at(self.root) + self.slot, bytes(entry_set))
        self.slot += len(entry_set)
