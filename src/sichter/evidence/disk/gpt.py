"""GUID partition tables read by Sichter itself, header and entry CRCs checked.

The Sleuth Kit reads only the primary GPT at LBA 1. When that header or its entry array is
damaged (a wiped first megabyte, a half-written table) the disk still carries an intact backup
copy in its last sector, which is what ``gdisk`` and the operating systems fall back to; this
module finds either copy so the partitions behind a broken primary are not lost.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from sichter.errors import CorruptData
from sichter.evidence.disk.media import Media

SIGNATURE = b"EFI PART"
SECTOR_SIZES = (512, 4096)
MAX_ENTRIES_BYTES = 1024 * 1024  # 128 entries of 128 bytes is usual; refuse absurd claims
_HEADER = struct.Struct("<8sIIIIQQQQ16sQIII")


@dataclass(frozen=True)
class GptEntry:
    first_lba: int
    last_lba: int
    name: str


@dataclass(frozen=True)
class GptTable:
    sector_size: int
    copy: str  # "primary" or "backup"
    entries: list[GptEntry]


def read_gpt(media: Media) -> GptTable | None:
    """The first GPT copy whose header and entry CRCs hold: primary, then backup; else None."""
    for sector in SECTOR_SIZES:
        last = media.size // sector - 1
        for copy, lba in (("primary", 1), ("backup", last)):
            if lba < 1:
                continue
            entries = _read_copy(media, sector, lba)
            if entries is not None:
                return GptTable(sector, copy, entries)
    return None


def _read_copy(media: Media, sector: int, lba: int) -> list[GptEntry] | None:
    try:
        raw = media.read(lba * sector, sector)
    except CorruptData:
        return None
    if len(raw) < _HEADER.size or not raw.startswith(SIGNATURE):
        return None
    (_, _, header_size, header_crc, _, my_lba, _, _, _, _, entries_lba, count, entry_size,
     entries_crc) = _HEADER.unpack_from(raw)
    if not 92 <= header_size <= sector or my_lba != lba or entry_size < 128:
        return None
    header = bytearray(raw[:header_size])
    header[16:20] = b"\x00\x00\x00\x00"  # the CRC is computed with its own field zeroed
    if zlib.crc32(bytes(header)) != header_crc or count * entry_size > MAX_ENTRIES_BYTES:
        return None
    try:
        table = media.read(entries_lba * sector, count * entry_size)
    except CorruptData:
        return None
    if len(table) != count * entry_size or zlib.crc32(table) != entries_crc:
        return None
    found: list[GptEntry] = []
    for i in range(count):
        entry = table[i * entry_size:(i + 1) * entry_size]
        if entry[:16] == bytes(16):
            continue  # an unused slot
        first, last = struct.unpack_from("<QQ", entry, 32)
        if last < first:
            continue
        name = entry[56:128].decode("utf-16-le", "replace").split("\x00", 1)[0]
        found.append(GptEntry(first, last, name))
    return found
