"""Windows thumbnail caches (``thumbcache_*.db``, Vista to 11): the small copies Explorer kept
of pictures and videos it showed, often of files deleted long ago.

A cache is a header then entries, each starting with "CMMM" and its size; the thumbnail (JPEG,
PNG or BMP) is the entry's last ``data size`` bytes whatever the Windows version (the fields
between differ). Members are named by the entry's cache hash, as thumbcache viewers name them
(``thumbcache_256.db!/0x8e3a…b1.jpg``); the hash links them to the index and to Windows Search.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from sichter.errors import CorruptData
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    Inline,
    WalkEvent,
)
from sichter.evidence.naming import MemberNames

MAGIC = b"CMMM"
_ENTRY_MIN = 48  # signature, size, hash and the shortest set of size fields
_KINDS = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG", ".png"), (b"BM", ".bmp"))


class ThumbcacheReader:
    kind = "thumbcache"

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        fileobj.seek(0)
        header = fileobj.read(32)
        if len(header) < 24 or not header.startswith(MAGIC):
            raise CorruptData("not a thumbnail cache (no CMMM header)")
        version = struct.unpack_from("<I", header, 4)[0]
        # Windows 8 and later put one more field before the first entry's offset.
        at = struct.unpack_from("<I", header, 16 if version >= 30 else 12)[0]
        names = MemberNames()
        count, error = 0, None
        while True:
            fileobj.seek(at)
            head = fileobj.read(_ENTRY_MIN)
            if len(head) < 8:
                break  # the end of the cache
            if head[:4] != MAGIC:
                # Unused space or a damaged entry: what came before is kept.
                if head.strip(b"\x00"):
                    error = f"cache entry at offset {at:,} damaged; later entries not read"
                break
            size = struct.unpack_from("<I", head, 4)[0]
            if size < _ENTRY_MIN or size > budget.max_inline_bytes:
                error = f"cache entry at offset {at:,} declares {size:,} bytes; later entries not read"
                break
            entry = head + fileobj.read(size - len(head))
            if len(entry) < size:
                error = f"cache cut inside the entry at offset {at:,}"
                break
            at += size
            entry_hash = struct.unpack_from("<Q", entry, 8)[0]
            data = _thumbnail(entry, version)
            if data is None:
                continue  # a placeholder entry without a picture
            if error := budget.take_member():
                break
            budget.expanded += len(data)
            count += 1
            suffix = next((s for sig, s in _KINDS if data.startswith(sig)), ".bin")
            yield FileOccurrence(
                source=parent.source,
                locator=parent.locator.child(self.kind, names.unique(f"0x{entry_hash:016x}{suffix}")),
                payload=Inline(data), size=len(data))
        yield ContainerDone(parent.source, parent.locator, count, error)


def _thumbnail(entry: bytes, version: int) -> bytes | None:
    """The picture at the end of an entry, or None for an entry without one. The data size
    follows the hash, the identifier and padding sizes (Windows 7 and later: at byte 24; Vista
    has an 8-byte extension before them: at 32)."""
    offset = 32 if version == 20 else 24
    data_size = struct.unpack_from("<I", entry, offset)[0]
    if not 0 < data_size <= len(entry) - offset - 4:
        return None
    data = entry[len(entry) - data_size:]
    return data if any(data.startswith(sig) for sig, _ in _KINDS) else None
