"""JPEG and PNG carving from the unallocated space of a file system (``ingest --carve``).

A candidate starts with a signature at a sector boundary in space no listed file occupies;
its end is found by walking the format's structure (PNG chunks up to IEND, JPEG segments and
entropy-coded data up to EOI), and it counts only if Pillow decodes it completely. Carved
bytes go to the pipeline in memory, like every other file.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sichter.evidence.disk import tsk
from sichter.evidence.disk.media import Media

SECTOR = 512
SCAN_CHUNK = 8 * 1024 * 1024
MAX_CARVED = 64 * 1024 * 1024
JPEG_SOI = b"\xff\xd8\xff"
PNG_SIG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Carved:
    offset: int  # bytes from the start of the medium
    data: bytes
    kind: str  # "jpeg" or "png"

    @property
    def name(self) -> str:
        return f"{self.offset:012x}.{'jpg' if self.kind == 'jpeg' else 'png'}"


def occupied_ranges(fs: Any, offset: int) -> list[tuple[int, int]]:
    """Merged [start, end) media ranges held by files the Sleuth Kit lists (allocated or not)."""
    block = int(fs.info.block_size)
    spans: list[tuple[int, int]] = []
    for file in tsk.files(fs):
        try:
            for attr in file.handle:
                for run in attr:
                    if run.len and run.addr:
                        start = offset + int(run.addr) * block
                        spans.append((start, start + int(run.len) * block))
        except tsk.TSK_FAILURES:
            continue  # a file whose runs cannot be listed: its space is scanned like free space
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _occupied(ranges: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and pos < ranges[i][1]


def carve_unallocated(media: Media, fs: Any, offset: int, length: int) -> Iterator[Carved]:
    """Decodable JPEG/PNG files starting in the file system's free space, in media order."""
    ranges = occupied_ranges(fs, offset)
    starts = [s for s, _ in ranges]
    end = min(offset + length, media.size)
    pos = offset
    skip_until = offset  # the end of the last carved file: nothing inside it starts a new one
    while pos < end:
        chunk = media.read(pos, min(SCAN_CHUNK, end - pos))
        if not chunk:
            break
        for hit in sorted(_signatures(chunk)):
            at = pos + hit
            if at < skip_until or _occupied(ranges, starts, at):
                continue
            found = _carve_at(media, at, end)
            if found is not None:
                yield found
                skip_until = _align_up(at + len(found.data))
        pos = max(pos + len(chunk), skip_until)


def _align_up(value: int) -> int:
    return (value + SECTOR - 1) // SECTOR * SECTOR


def _signatures(chunk: bytes) -> Iterator[int]:
    for sig in (JPEG_SOI, PNG_SIG):
        i = chunk.find(sig)
        while i != -1:
            if i % SECTOR == 0:
                yield i
            i = chunk.find(sig, i + 1)


def _carve_at(media: Media, at: int, end: int) -> Carved | None:
    want = 1024 * 1024
    limit = min(MAX_CARVED, end - at)
    while True:
        data = media.read(at, min(want, limit))
        size = _png_end(data) if data.startswith(PNG_SIG) else _jpeg_end(data)
        if size is not None:
            candidate = data[:size]
            kind = "png" if data.startswith(PNG_SIG) else "jpeg"
            return Carved(at, candidate, kind) if _decodes(candidate) else None
        if len(data) >= limit:
            return None
        want *= 4


def _png_end(data: bytes) -> int | None:
    """Length of the PNG up to and including IEND, or None when it runs past ``data``."""
    pos = len(PNG_SIG)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        ctype = data[pos + 4:pos + 8]
        if not ctype.isalpha() or length > MAX_CARVED:
            return None
        pos += 12 + length
        if ctype == b"IEND":
            return pos if pos <= len(data) else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Length of the JPEG up to and including EOI, walking segments and scan data."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1  # fill byte
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        seg_len = int.from_bytes(data[pos + 2:pos + 4], "big")
        if seg_len < 2:
            return None
        pos += 2 + seg_len
        if marker == 0xDA:  # start of scan: entropy-coded data until a real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos == -1 or pos + 1 >= n:
                    return None
                nxt = data[pos + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    pos += 1 if nxt == 0xFF else 2
                    continue
                break
    return None


def _decodes(data: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > 200_000_000:
                return False
            im.load()
        return True
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
