"""RAR members (RAR 1.5-4 and RAR 5) through libarchive, decompressed into memory only, with the
same limits as 7z.

RAR is how much of this material is passed around; an unread RAR would be a silent hole in the
triage. libarchive reads both formats (not encrypted ones, and not the later volumes of a split
set without the others); what it cannot read is an error on the member or the archive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any, BinaryIO

from sichter.errors import CorruptData
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    Inline,
    Timestamps,
    WalkEvent,
)
from sichter.evidence.naming import MemberNames


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class RarReader:
    kind = "rar"

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        import libarchive
        from libarchive.exception import ArchiveError

        fileobj.seek(0)
        # Only the RAR parser libarchive needs for this version: no other format's code sees
        # the suspect's bytes.
        fmt = "rar5" if fileobj.read(8).startswith(b"Rar!\x1a\x07\x01") else "rar"
        fileobj.seek(0)
        try:
            with libarchive.stream_reader(fileobj, format_name=fmt, filter_name="none") as archive:
                yield from self._walk(archive, parent, budget, ArchiveError)
        except ArchiveError as exc:
            raise CorruptData(f"corrupt RAR archive: {_reason(exc)}") from exc

    def _walk(self, archive: Any, parent: FileOccurrence, budget: ExpansionBudget,
              archive_error: type[Exception]) -> Iterator[WalkEvent]:
        names = MemberNames()
        count = 0
        error: str | None = None
        entries = iter(archive)
        while True:
            try:
                entry = next(entries)
            except StopIteration:
                break
            except archive_error as exc:
                error = f"corrupt RAR archive after {count} members: {_reason(exc)}"
                break
            if not entry.isfile:
                continue  # folders and links carry no content of their own
            if error := budget.take_member():
                break
            count += 1
            name = _name(entry)
            data, member_error = _read(entry, budget, archive_error)
            modified = datetime.fromtimestamp(entry.mtime, UTC) if entry.mtime else None
            yield FileOccurrence(
                source=parent.source,
                locator=parent.locator.child(self.kind, names.unique(name)),
                payload=None if member_error else Inline(data),
                size=entry.size if entry.size is not None else len(data),
                times=Timestamps(modified=modified),
                error=member_error,
            )
            if member_error and member_error.startswith(("decompression bomb", "corrupt")):
                error = member_error
                break
        yield ContainerDone(parent.source, parent.locator, count, error)


def _name(entry: Any) -> str:
    path = entry.pathname  # str, or the raw bytes when they are not UTF-8
    if isinstance(path, bytes):
        return path.decode("utf-8", "surrogateescape")  # escaped \xNN like every other name
    return str(path) if path else "member-without-a-name"


@cache
def _is_encrypted() -> Callable[[Any], bool]:
    """libarchive's archive_entry_is_data_encrypted (libarchive-c does not wrap it). A stored
    member with the password flag otherwise reads back as its ciphertext, as if it were the
    file."""
    import ctypes

    from libarchive import ffi

    try:
        function = ffi.libarchive.archive_entry_is_data_encrypted
    except AttributeError:  # an old libarchive: encrypted members fail when read instead
        return lambda entry: False
    function.argtypes = [ctypes.c_void_p]
    function.restype = ctypes.c_int
    return lambda entry: bool(function(entry._entry_p))


def _read(entry: Any, budget: ExpansionBudget,
          archive_error: type[Exception]) -> tuple[bytes, str | None]:
    """The member's bytes, or why they cannot be had (limits, encryption, damage)."""
    if _is_encrypted()(entry):
        return b"", "encrypted member (password required)"
    limit = min(budget.max_member_bytes, budget.max_inline_bytes)
    if entry.size is not None and entry.size > limit:
        return b"", f"member of {entry.size:,} bytes cannot be read from RAR (limit {limit:,})"
    parts: list[bytes] = []
    size = 0
    try:
        for block in entry.get_blocks():
            size += len(block)
            budget.expanded += len(block)
            if budget.allowance() <= 0:
                return b"", budget.describe_bomb()
            if size > limit:
                return b"", f"member larger than {limit:,} bytes cannot be read from RAR (limit)"
            parts.append(bytes(block))
    except archive_error as exc:
        reason = _reason(exc)
        if "encrypt" in reason.lower() or "passphrase" in reason.lower():
            return b"", "encrypted member (password required)"
        return b"", f"corrupt RAR member: {reason}"
    return b"".join(parts), None
