"""Fingerprints of top-level sources, taken before and after an ingest to show nothing changed.

A file source (archive, disk image) gets its full SHA-256. A folder gets the SHA-256 of a
manifest of every entry's relative path, type, size and modification time in nanoseconds:
re-reading every byte of a folder twice more would triple the ingest's reads, and the ingest
itself records each file's SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sichter.evidence.readonly import open_readonly


@dataclass(frozen=True)
class Fingerprint:
    kind: str  # "file-sha256" or "folder-manifest-sha256"
    sha256: str
    size: int
    entries: int


def fingerprint(source: Path) -> Fingerprint:
    st = source.stat()
    if stat.S_ISDIR(st.st_mode):
        return _folder(source)
    digest = hashlib.sha256()
    with open_readonly(source) as f:
        while chunk := f.read(4 * 1024 * 1024):
            digest.update(chunk)
    return Fingerprint("file-sha256", digest.hexdigest(), st.st_size, 1)


def _folder(root: Path) -> Fingerprint:
    digest = hashlib.sha256()
    total = 0
    entries = 0
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames) + [d + "/" for d in dirnames]:
            path = Path(folder) / name.rstrip("/")
            try:
                st = path.lstat()
            except OSError:
                continue  # vanished or unreadable: its absence is itself in the manifest
            rel = path.relative_to(root).as_posix()
            kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "f"
            size = st.st_size if kind == "f" else 0
            total += size
            entries += 1
            digest.update(f"{kind}\t{rel}\t{size}\t{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return Fingerprint("folder-manifest-sha256", digest.hexdigest(), total, entries)
