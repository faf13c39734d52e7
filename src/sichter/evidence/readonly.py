"""Opening evidence: read-only, and without touching its access time where the OS allows."""

from __future__ import annotations

import os
from typing import BinaryIO

_NOATIME = getattr(os, "O_NOATIME", 0)


def open_readonly(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a file for reading only; O_NOATIME keeps its access time as the suspect left it
    (the kernel allows it to the file's owner and to root; otherwise we fall back)."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | _NOATIME)
    except PermissionError:
        fd = os.open(path, flags)
    return os.fdopen(fd, "rb", buffering=0)
