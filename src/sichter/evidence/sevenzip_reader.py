"""7z members through py7zr, decompressed into memory only, with the same limits as zip."""

from __future__ import annotations

import lzma
import queue
import threading
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import py7zr
import py7zr.exceptions
from py7zr.io import Py7zIO, WriterFactory

from sichter.errors import CorruptData, EvidenceError, LimitExceeded
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    Inline,
    Timestamps,
    WalkEvent,
)
from sichter.evidence.naming import MemberNames

_DONE = object()
# py7zr lets its codecs' own errors through: one damaged byte in an LZMA stream (the header
# of every py7zr or 7-Zip archive is one) raised LZMAError, which stopped the whole ingest at
# open and, during extraction, ended the extracting thread without an error on the archive.
_ERRORS = (py7zr.exceptions.ArchiveError, py7zr.exceptions.Bad7zFile, EOFError, OSError,
           ValueError, KeyError, IndexError, TypeError, RuntimeError, MemoryError,
           lzma.LZMAError, zlib.error)


def _reason(exc: BaseException) -> str:
    """py7zr's CRC error prints as a bare tuple of numbers; say what it means."""
    if isinstance(exc, py7zr.exceptions.CrcError):
        return f"CRC mismatch in {exc.filename!r} (damaged data)"
    return str(exc) or type(exc).__name__


class _MemberIO(Py7zIO):
    """Collects one member in memory; refuses to grow past the member or inline limit."""

    def __init__(self, name: str, budget: ExpansionBudget, out: queue.Queue[Any]) -> None:
        self.name = name
        self._budget = budget
        self._out = out
        self._parts: list[bytes] = []
        self._size = 0
        self.error: str | None = None

    def write(self, s: bytes | bytearray) -> int:
        if self.error is None:
            self._size += len(s)
            self._budget.expanded += len(s)
            limit = min(self._budget.max_member_bytes, self._budget.max_inline_bytes)
            if self._budget.allowance() <= 0:
                self.error = self._budget.describe_bomb()
            elif self._size > limit:
                self.error = f"member larger than {limit:,} bytes cannot be read from 7z (limit)"
            else:
                self._parts.append(bytes(s))
            if self.error:
                self._parts = []
                raise LimitExceeded(self.error)
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self._size

    def close(self) -> None:
        self._out.put((self.name, b"".join(self._parts), self.error))
        self._parts = []


class _Factory(WriterFactory):
    def __init__(self, budget: ExpansionBudget, out: queue.Queue[Any]) -> None:
        self._budget = budget
        self._out = out

    def create(self, filename: str) -> Py7zIO:
        return _MemberIO(filename, self._budget, self._out)


class SevenZipReader:
    kind = "7z"

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        try:
            archive = py7zr.SevenZipFile(fileobj, mode="r")
        except py7zr.exceptions.PasswordRequired as exc:
            raise EvidenceError("encrypted 7z archive (password required)") from exc
        except _ERRORS as exc:
            raise CorruptData(f"corrupt 7z archive: {_reason(exc)}") from exc
        try:
            yield from self._walk(archive, parent, budget)
        finally:
            archive.close()

    def _walk(
        self, archive: py7zr.SevenZipFile, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        try:
            infos = {i.filename: i for i in archive.list() if not i.is_directory}
            encrypted = archive.needs_password()
        except _ERRORS as exc:
            raise CorruptData(f"corrupt 7z archive: {_reason(exc)}") from exc
        names = MemberNames()
        if encrypted:
            for name, info in infos.items():
                yield FileOccurrence(parent.source, parent.locator.child(self.kind, names.unique(name)),
                                     None, size=info.uncompressed,
                                     error="encrypted member (password required)")
            yield ContainerDone(parent.source, parent.locator, len(infos), None)
            return
        if len(infos) > budget.max_members:
            raise LimitExceeded(f"{len(infos):,} members exceed the limit of {budget.max_members:,}")
        out: queue.Queue[Any] = queue.Queue(maxsize=4)
        failure: list[str] = []

        def extract() -> None:
            try:
                archive.extractall(factory=_Factory(budget, out))
            except LimitExceeded as exc:
                failure.append(str(exc))
            except _ERRORS as exc:
                failure.append(f"corrupt 7z archive: {_reason(exc)}")
            finally:
                out.put(_DONE)

        worker = threading.Thread(target=extract, name="sichter-7z", daemon=True)
        worker.start()
        count = 0
        seen: set[str] = set()
        while (item := out.get()) is not _DONE:
            name, data, error = item
            seen.add(name)
            known = infos.get(name)
            budget.members += 1
            count += 1
            yield FileOccurrence(
                source=parent.source,
                locator=parent.locator.child(self.kind, names.unique(name)),
                payload=None if error else Inline(data),
                size=known.uncompressed if known else len(data),
                times=Timestamps(modified=known.creationtime if known else None),
                error=error,
            )
        worker.join()
        error = failure[0] if failure else None
        for name in infos.keys() - seen:  # members the broken stream never reached
            count += 1
            yield FileOccurrence(parent.source, parent.locator.child(self.kind, names.unique(name)),
                                 None, size=infos[name].uncompressed,
                                 error=error or "member not reached in 7z stream")
        yield ContainerDone(parent.source, parent.locator, count, error)

