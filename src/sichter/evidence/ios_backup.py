"""iTunes / Finder backups of iPhones (a logical extraction many labs make): files are stored as
``<2 hex>/<40 hex>`` without a name or extension; ``Manifest.db`` (SQLite) says which file of
which app each one is (``CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.HEIC``). The walker
records that as the occurrence's ``original_path``; contents are typed from their bytes anyway.

The database is read from a copy in memory: SQLite opened on the evidence could write a journal
beside it. An encrypted backup's Manifest.db is not SQLite and yields no names.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sichter.evidence.readonly import open_readonly

MANIFEST = "Manifest.db"
MAX_MANIFEST_BYTES = 256 << 20  # read into memory by the walking process; large phones: ~100 MB
_SQLITE = b"SQLite format 3\x00"


def manifest_paths(backup: Path) -> dict[str, str]:
    """{fileID: "domain/relativePath"} of the backup in folder ``backup``; empty when its
    manifest is missing, encrypted, too large or not the expected database."""
    try:
        with open_readonly(backup / MANIFEST) as f:
            data = f.read(MAX_MANIFEST_BYTES + 1)
    except OSError:
        return {}
    if len(data) > MAX_MANIFEST_BYTES or not data.startswith(_SQLITE):
        return {}
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        rows = conn.execute("SELECT fileID, domain, relativePath FROM Files WHERE flags = 1")
        return {str(fid): f"{domain}/{rel}" for fid, domain, rel in rows
                if isinstance(fid, str) and domain is not None and rel is not None}
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
