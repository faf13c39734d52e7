"""The four primary entries of a DOS/MBR table, read by Sichter itself.

The Sleuth Kit refuses a whole DOS table when its first or second entry starts beyond the end
of the image (a disk imaged short, or a table edited by hand). The partitions that are there
are still evidence, and the one that is not must be reported as such, so the primary entries
are read here when the Sleuth Kit finds no volume system at all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from sichter.errors import CorruptData
from sichter.evidence.disk.media import Media

SECTOR = 512
EXTENDED = (0x05, 0x0F, 0x85)  # containers of logical partitions, not file systems
PROTECTIVE = 0xEE


@dataclass(frozen=True)
class MbrEntry:
    ptype: int
    first_lba: int
    sectors: int


def read_mbr(media: Media) -> list[MbrEntry] | None:
    """Used primary entries in table order (extended and GPT-protective ones left out);
    None when sector 0 is no MBR with at least one well-formed entry."""
    sector = _sector0(media)
    if sector is None or sector[510:512] != b"\x55\xaa":
        return None
    found: list[MbrEntry] = []
    for entry in _entries(sector):
        if entry == bytes(16):
            continue
        boot, ptype, first, count = struct.unpack_from("<B3xB3xII", entry)
        if boot not in (0x00, 0x80) or first == 0 or count == 0:
            return None  # not a partition table (a boot sector's code, or damage)
        if ptype in EXTENDED or ptype == PROTECTIVE:
            continue
        found.append(MbrEntry(ptype, first, count))
    return found or None


def protective_only(media: Media) -> bool:
    """Every used entry is of type 0xEE: the MBR only guards a GPT."""
    sector = _sector0(media)
    used = [entry[4] for entry in _entries(sector) if entry[4]] if sector is not None else []
    return bool(used) and all(t == PROTECTIVE for t in used)


def _sector0(media: Media) -> bytes | None:
    try:
        sector = media.read(0, SECTOR)
    except CorruptData:
        return None
    return sector if len(sector) >= SECTOR else None


def _entries(sector: bytes) -> list[bytes]:
    return [sector[446 + 16 * i:462 + 16 * i] for i in range(4)]
