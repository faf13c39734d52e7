"""Content type from magic bytes, never from the file name.

A JPEG named ``.txt`` is an image; a text file named ``.jpg`` is ``other``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MediaType = Literal["image", "video", "other"]
# What a person looks at: the models score it and the review queue holds it.
REVIEWABLE_MEDIA: tuple[MediaType, ...] = ("image", "video")
ArchiveKind = Literal["zip", "tar", "gzip", "bzip2", "xz", "7z", "rar", "android-backup", "ewf",
                      "disk", "vhd", "vmdk", "qcow", "thumbcache"]

SNIFF_BYTES = 4096  # enough for every signature below, including tar's ustar at 257
# ISO 9660 puts its first volume descriptor ("CD001") at byte 32769, after a 32 KiB system
# area; top-level files and containers are sniffed this far so disc images are recognised.
DEEP_SNIFF_BYTES = 32 * 1024 + 2048


@dataclass(frozen=True, slots=True)
class ContentType:
    mime: str
    media_type: MediaType
    archive: ArchiveKind | None = None


OCTET = ContentType("application/octet-stream", "other")

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_QUICKTIME_BRANDS = {b"qt  "}
_3GP_PREFIXES = (b"3gp", b"3g2", b"3ge", b"3gg")


def _iso_bmff(head: bytes) -> ContentType | None:
    """ISO base media files (MP4, MOV, 3GP, HEIF, AVIF) announce a brand in their ftyp box."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    compatible = {
        head[i : i + 4] for i in range(16, min(max(box_size, 16), len(head)) - 3, 4)
    }
    brands = {major} | compatible
    # The major brand decides first: an HEIF image may list mp4 brands as compatible, and
    # iPhone MOV files list qt only as their major brand.
    if major in _HEIF_BRANDS:
        return ContentType("image/heic" if major != b"mif1" else "image/heif", "image")
    if major in _AVIF_BRANDS:
        return ContentType("image/avif", "image")
    if major in _QUICKTIME_BRANDS:
        return ContentType("video/quicktime", "video")
    if major.startswith(_3GP_PREFIXES):
        mime = "video/3gpp2" if major.startswith(b"3g2") else "video/3gpp"
        return ContentType(mime, "video")
    if brands & _HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42", b"avc1"}:
        return ContentType("image/heif", "image")
    if major in {b"M4A ", b"M4B ", b"M4P "}:
        return ContentType("audio/mp4", "other")
    return ContentType("video/mp4", "video")


def _ebml(head: bytes) -> ContentType | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    # The DocType element (0x4282) says webm or matroska within the first few dozen bytes.
    if b"webm" in head[:64]:
        return ContentType("video/webm", "video")
    return ContentType("video/x-matroska", "video")


def _riff(head: bytes) -> ContentType | None:
    if not head.startswith(b"RIFF") or len(head) < 12:
        return None
    form = head[8:12]
    if form == b"WEBP":
        return ContentType("image/webp", "image")
    if form == b"AVI ":
        return ContentType("video/x-msvideo", "video")
    if form == b"WAVE":
        return ContentType("audio/wav", "other")
    return ContentType("application/x-riff", "other")


_PREFIXES: list[tuple[bytes, ContentType]] = [
    (b"\xff\xd8\xff", ContentType("image/jpeg", "image")),
    (b"\x89PNG\r\n\x1a\n", ContentType("image/png", "image")),
    (b"GIF87a", ContentType("image/gif", "image")),
    (b"GIF89a", ContentType("image/gif", "image")),
    (b"II*\x00", ContentType("image/tiff", "image")),
    (b"MM\x00*", ContentType("image/tiff", "image")),
    (b"PK\x03\x04", ContentType("application/zip", "other", "zip")),
    (b"PK\x05\x06", ContentType("application/zip", "other", "zip")),
    (b"PK\x07\x08", ContentType("application/zip", "other", "zip")),
    (b"7z\xbc\xaf\x27\x1c", ContentType("application/x-7z-compressed", "other", "7z")),
    (b"ANDROID BACKUP\n", ContentType("application/x-android-backup", "other", "android-backup")),
    # Virtual disks (a fixed VHD is raw bytes with a footer and is read as a raw disk).
    (b"conectix", ContentType("application/x-vhd", "other", "vhd")),  # dynamic VHD
    (b"vhdxfile", ContentType("application/x-vhdx", "other", "vhd")),
    (b"KDMV", ContentType("application/x-vmdk", "other", "vmdk")),  # sparse VMDK
    (b"# Disk DescriptorFile", ContentType("application/x-vmdk", "other", "vmdk")),
    (b"QFI\xfb", ContentType("application/x-qemu-disk", "other", "qcow")),
    (b"CMMM", ContentType("application/x-windows-thumbcache", "other", "thumbcache")),
    (b"Rar!\x1a\x07\x00", ContentType("application/vnd.rar", "other", "rar")),  # RAR 1.5-4
    (b"Rar!\x1a\x07\x01\x00", ContentType("application/vnd.rar", "other", "rar")),  # RAR 5
    (b"\x1f\x8b", ContentType("application/gzip", "other", "gzip")),
    (b"BZh", ContentType("application/x-bzip2", "other", "bzip2")),
    (b"\xfd7zXZ\x00", ContentType("application/x-xz", "other", "xz")),
    (b"%PDF-", ContentType("application/pdf", "other")),
    (b"\x00\x00\x01\xba", ContentType("video/mpeg", "video")),
    (b"\x00\x00\x01\xb3", ContentType("video/mpeg", "video")),
    (b"FLV\x01", ContentType("video/x-flv", "video")),
    (b"0&\xb2u\x8ef\xcf\x11", ContentType("video/x-ms-asf", "video")),
    (b"SQLite format 3\x00", ContentType("application/vnd.sqlite3", "other")),
]

EWF = ContentType("application/x-ewf", "other")
DISK_IMAGE = ContentType("application/x-raw-disk-image", "other", "disk")


def _ewf(head: bytes) -> ContentType | None:
    """Only the first segment of an E01 set opens the image; E02... are read through it."""
    if not head.startswith(b"EVF\x09\x0d\x0a\xff\x00"):
        return None
    if len(head) >= 11 and int.from_bytes(head[9:11], "little") == 1:
        return ContentType("application/x-ewf", "other", "ewf")
    return EWF


def _raw_disk(head: bytes, size: int | None = None) -> ContentType | None:
    """A raw image of a disk or of one file system, from its partition table or boot sector.

    Every test asks for more than the 0x55AA boot signature, which plenty of files carry.
    """
    if len(head) < 1536:
        return None
    if head[512:520] == b"EFI PART":
        return DISK_IMAGE
    boot = head[510:512] == b"\x55\xaa"
    if boot and (head[3:11] in (b"NTFS    ", b"EXFAT   ") or head[82:90] == b"FAT32   "
                 or head[54:62] in (b"FAT12   ", b"FAT16   ")):
        return DISK_IMAGE
    if head[1080:1082] == b"\x53\xef" and int.from_bytes(head[1024 + 24:1024 + 28], "little") <= 6:
        return DISK_IMAGE  # ext2/3/4 superblock magic with a sane log block size
    if head[1024:1026] in (b"H+", b"HX") and head[1026:1028] in (b"\x00\x04", b"\x00\x05"):
        return DISK_IMAGE  # HFS+ / HFSX volume header
    if boot and _plausible_mbr(head, size):
        return DISK_IMAGE
    if len(head) >= 32774 and head[32769:32774] == b"CD001" and head[32768] in (1, 0xFF):
        return DISK_IMAGE  # ISO 9660 primary (or terminating) volume descriptor
    return None


def _plausible_mbr(head: bytes, size: int | None = None) -> bool:
    """Four partition entries, each empty or with a boot flag of 0/0x80, a start and a length.

    An entry of type 0 ("empty") that still has a start and a length is a partition some tools
    leave untyped, and the Sleuth Kit lists it; being the weaker sign, it must also lie after
    the MBR, not run into another entry and, when the image size is known, end inside it.
    """
    used = 0
    spans: list[tuple[int, int, bool]] = []  # start, end, untyped
    for i in range(4):
        entry = head[446 + 16 * i: 462 + 16 * i]
        if entry == b"\x00" * 16:
            continue
        start = int.from_bytes(entry[8:12], "little")
        sectors = int.from_bytes(entry[12:16], "little")
        if entry[0] not in (0x00, 0x80) or start == 0 or sectors == 0:
            return False
        untyped = entry[4] == 0
        if untyped and size is not None and (start + sectors) * 512 > size:
            return False
        spans.append((start, start + sectors, untyped))
        used += 1
    for i, (start, end, untyped) in enumerate(spans):
        for other_start, other_end, other_untyped in spans[i + 1:]:
            if (untyped or other_untyped) and start < other_end and other_start < end:
                return False
    return used > 0


def _bmp(head: bytes) -> ContentType | None:
    # "BM" alone is too weak: require a plausible DIB header size as well.
    if head.startswith(b"BM") and len(head) >= 18:
        dib = int.from_bytes(head[14:18], "little")
        if dib in {12, 40, 52, 56, 64, 108, 124}:
            return ContentType("image/bmp", "image")
    return None


def _tar(head: bytes) -> ContentType | None:
    if len(head) >= 262 and head[257:262] == b"ustar":
        return ContentType("application/x-tar", "other", "tar")
    return None


def _mpeg_ts(head: bytes) -> ContentType | None:
    if len(head) >= 377 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return ContentType("video/mp2t", "video")
    return None


def sniff(head: bytes, size: int | None = None) -> ContentType:
    """Type of content whose first bytes (at least ``SNIFF_BYTES`` where available) are ``head``.

    ``size``, the content's whole length when known, lets weak signs be checked against it
    (an untyped MBR partition must end inside the image).
    """
    if not head:
        return ContentType("application/x-empty", "other")
    for prefix, ctype in _PREFIXES:
        if head.startswith(prefix):
            return ctype
    for probe in (_ewf, _iso_bmff, _ebml, _riff, _bmp, _tar, _mpeg_ts):
        found = probe(head)
        if found is not None:
            return found
    found = _raw_disk(head, size)
    if found is not None:
        return found
    if _looks_like_text(head):
        return ContentType("text/plain", "other")
    return OCTET


def _looks_like_text(head: bytes) -> bool:
    sample = head[:1024]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(sample) - 3
    return True


# The end of a content searched for an appended ZIP's end record: it covers archive comments up
# to 4 KB (a ZIP may carry up to 64 KB; reading that much of every file costs the walk more
# than the rare long comment is worth).
ZIP_TAIL_BYTES = 4096


def appended_zip(tail: bytes, size: int, peek: Callable[[int, int], bytes]) -> bool:
    """Whether the content ends in a ZIP archive that does not start at its first byte: a JPEG,
    a PNG or a program with a ZIP appended ("rarjpeg"-style hiding, self-extracting archives).

    ``tail`` is the content's last bytes (``ZIP_TAIL_BYTES`` or all), ``size`` its length and
    ``peek(offset, n)`` reads ``n`` bytes of it. Only an end record that closes the content
    exactly, whose central directory starts with its signature right before it and whose
    archive starts after the content's first byte counts: the four bytes "PK\\x05\\x06" alone
    occur by chance in about one photo in 60,000.
    """
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0:
        record = tail[at:at + 22]
        if len(record) == 22:
            disk, cd_disk, here, total, cd_size, cd_offset, comment = struct.unpack_from(
                "<HHHHIIH", record, 4)
            directory = size - len(tail) + at - cd_size  # where the central directory starts
            if (at + 22 + comment == len(tail) and disk == cd_disk == 0 and 0 < here == total
                    and cd_size >= 46 * total and directory > cd_offset
                    and peek(directory, 4) == b"PK\x01\x02"):
                return True
        at = tail.rfind(b"PK\x05\x06", 0, at)
    return False
