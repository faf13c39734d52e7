"""Typed records the evidence layer hands to the pipeline."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from sichter.evidence.locator import Locator
from sichter.evidence.readonly import open_readonly


@dataclass(frozen=True, slots=True)
class Timestamps:
    """What the source records; any may be unknown. Zip times carry no zone and are kept naive."""

    modified: datetime | None = None
    accessed: datetime | None = None
    changed: datetime | None = None
    created: datetime | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "modified": _iso(self.modified),
            "accessed": _iso(self.accessed),
            "changed": _iso(self.changed),
            "created": _iso(self.created),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class OsPath:
    """Content in a regular file the worker may open read-only by itself."""

    path: str


@dataclass(frozen=True, slots=True)
class Inline:
    """Content already read into memory (archive members up to the inline limit)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Stream:
    """Content readable only now, from the walking process (large members, disk images).

    The opener is valid until the walk advances; the pipeline consumes it right away.
    """

    open: Callable[[], BinaryIO]


Payload = OsPath | Inline | Stream


@dataclass(frozen=True, slots=True)
class FileOccurrence:
    """One place where some content was found: a path inside a source, with how to read it."""

    source: str
    locator: Locator
    payload: Payload | None
    size: int | None = None
    times: Timestamps = field(default_factory=Timestamps)
    deleted: bool = False
    error: str | None = None  # known but unreadable (encrypted member, over a limit, ...)
    carved: bool = False  # recovered from unallocated space by its signature, not by metadata
    original_path: str | None = None  # where a backup says the file was (iOS backups)

    @property
    def path(self) -> str:
        return str(self.locator)


@dataclass(frozen=True, slots=True)
class ContainerDone:
    """Emitted after the last member of a container; ``error`` says why it ended early."""

    source: str
    locator: Locator
    members: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ImageIntegrity:
    """A disk image's stored media hashes against those computed while reading it.

    ``status`` is ``verified``, ``mismatch``, ``no-stored-hash`` or ``unreadable``.
    """

    source: str
    locator: Locator
    format: str
    segments: list[str]
    media_size: int
    stored: dict[str, str]
    computed: dict[str, str]
    status: str
    mismatched: list[str] = field(default_factory=list)
    error: str | None = None
    header: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.locator), "format": self.format, "segments": self.segments,
                "media_size": self.media_size, "stored": self.stored, "computed": self.computed,
                "status": self.status, "mismatched": self.mismatched, "error": self.error,
                "header": self.header}

    def warning(self) -> str | None:
        """What an examiner must be told, or None when the image verified."""
        if self.status == "mismatch":
            names = ", ".join(n.upper() for n in self.mismatched)
            return (f"disk image {self.locator}: stored {names} does not match the media read "
                    f"(stored {self.stored}, computed "
                    f"{ {n: self.computed[n] for n in self.mismatched} }); files read anyway")
        if self.status == "unreadable":
            return f"disk image {self.locator}: media could not be verified: {self.error}"
        if self.status == "no-stored-hash":
            return f"disk image {self.locator}: no stored media hash to verify against"
        return None


WalkEvent = FileOccurrence | ContainerDone | ImageIntegrity


def open_payload(payload: Payload) -> BinaryIO:
    """Open content for reading; regular files strictly read-only."""
    if isinstance(payload, OsPath):
        return open_readonly(payload.path)
    if isinstance(payload, Inline):
        return io.BytesIO(payload.data)
    return payload.open()


class ContainerReader(Protocol):
    """Opens one kind of container and yields its members as occurrences.

    Implementations must never write member content anywhere but into memory, and must
    enforce the limits they are given, recording a hit as an error rather than raising.
    """

    kind: str

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]: ...


@dataclass
class ExpansionBudget:
    """Tracks how much a container has expanded to, to stop decompression bombs early."""

    compressed_size: int
    max_ratio: float
    floor_bytes: int
    max_members: int
    max_member_bytes: int
    max_inline_bytes: int
    expanded: int = 0
    carve: bool = False  # disk images: also carve JPEG/PNG from unallocated space
    members: int = 0

    def _cap(self) -> float:
        return max(float(self.floor_bytes), self.compressed_size * self.max_ratio)

    def allowance(self) -> float:
        """Bytes the container may still expand by before it is called a bomb."""
        return max(0.0, self._cap() - self.expanded)

    def take_member(self) -> str | None:
        """Count one more member; when the member limit is already reached, count nothing and
        say why the container's reading stops."""
        if self.members >= self.max_members:
            return f"more than {self.max_members:,} members (limit); rest not read"
        self.members += 1
        return None

    def describe_bomb(self) -> str:
        cap = int(self._cap())
        return (
            f"decompression bomb suspected: expands beyond {cap:,} bytes "
            f"from {self.compressed_size:,} (limit {self.max_ratio:g}:1)"
        )


def path_of(payload: Payload | None) -> Path | None:
    return Path(payload.path) if isinstance(payload, OsPath) else None
