"""EWF integrity: the media hashes stored at acquisition against the hashes of what we read."""

from __future__ import annotations

import hashlib

from sichter.errors import CorruptData
from sichter.evidence.disk.media import EwfMedia
from sichter.evidence.model import FileOccurrence, ImageIntegrity

CHUNK = 4 * 1024 * 1024


def verify(media: EwfMedia, parent: FileOccurrence) -> ImageIntegrity:
    """Read the whole medium once and compare with the stored MD5/SHA-1 (SHA-256 if present).

    A mismatch or an unreadable stretch is reported in the result, never raised: an examiner
    decides what a damaged image is still worth, and its files are read all the same.
    """
    stored = media.stored_hashes()
    digests = {name: hashlib.new(name) for name in ("md5", "sha1", "sha256")}
    error: str | None = None
    offset = 0
    while offset < media.size:
        try:
            data = media.read(offset, min(CHUNK, media.size - offset))
        except CorruptData as exc:
            error = str(exc)
            break
        if not data:
            error = f"media ends at {offset:,} of {media.size:,} bytes"
            break
        for d in digests.values():
            d.update(data)
        offset += len(data)
    computed = {n: d.hexdigest() for n, d in digests.items()} if error is None else {}
    mismatched = sorted(n for n, v in stored.items() if n in computed and computed[n] != v)
    if error is not None:
        status = "unreadable"
    elif not stored:
        status = "no-stored-hash"
    elif mismatched:
        status = "mismatch"
    else:
        status = "verified"
    return ImageIntegrity(
        source=parent.source, locator=parent.locator, format=media.format,
        segments=[p.name for p in media.segments] or [parent.locator.name],
        media_size=media.size, stored=stored, computed=computed, status=status,
        mismatched=mismatched, error=error, header=media.header())
