"""ZIP members, read in memory with zip-bomb limits; nothing is ever extracted by path."""

from __future__ import annotations

import bisect
import struct
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, BinaryIO, cast

from sichter.errors import CorruptData, EvidenceError
from sichter.evidence.member_io import member_payload
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    Timestamps,
    WalkEvent,
)
from sichter.evidence.naming import MemberNames


class ZipReader:
    kind = "zip"

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        try:
            archive, relabelled = _open(fileobj)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise CorruptData(f"corrupt zip archive: {exc}") from exc
        names = MemberNames()
        count = 0
        error: str | None = None
        try:
            infos = archive.infolist()
            for index, info in enumerate(infos):
                if info.is_dir():
                    continue
                name = info.filename
                if index in relabelled:
                    # Read as CP437 (one character per byte, so lossless): back to the bytes,
                    # then UTF-8 where they are; the locator escapes the bytes that are not.
                    name = name.encode("cp437").decode("utf-8", "surrogateescape")
                if error := budget.take_member():
                    break
                count += 1
                locator = parent.locator.child(self.kind, names.unique(name))
                occ_error: str | None = None
                payload = None
                if info.flag_bits & 0x1:
                    occ_error = "encrypted member (password required)"
                else:
                    try:
                        payload = member_payload(
                            info.file_size, _opener(archive, info), budget, name
                        )
                    except EvidenceError as exc:
                        occ_error = str(exc)
                    except (zipfile.BadZipFile, EOFError, OSError, ValueError,
                            NotImplementedError, RuntimeError) as exc:
                        occ_error = f"corrupt zip member: {exc}"
                yield FileOccurrence(
                    source=parent.source,
                    locator=locator,
                    payload=payload,
                    size=info.file_size,
                    times=Timestamps(modified=_zip_time(info.date_time)),
                    error=occ_error,
                )
                if occ_error and occ_error.startswith("decompression bomb"):
                    error = occ_error
                    break
        finally:
            archive.close()
        yield ContainerDone(parent.source, parent.locator, count, error)


_UTF8_NAME = 0x0800  # general-purpose flag bit 11: the name is UTF-8
_CENTRAL = struct.Struct("<4s4xH18xHHH12x")  # signature, flags, name/extra/comment lengths


def _open(fileobj: BinaryIO) -> tuple[zipfile.ZipFile, set[int]]:
    """The archive, and the indexes of the entries whose names had to be re-read.

    Some zip tools set the UTF-8 flag on names in a legacy code page. Python's zipfile then
    refuses the whole archive (UnicodeDecodeError), which hid every member from hashing
    and matching; one crafted name was enough. Such an archive is opened again with the flag
    cleared in its central directory, as seen through :class:`_FlagsCleared` (the evidence is
    never written), and the names are decoded byte-faithfully by the caller.
    """
    try:
        return zipfile.ZipFile(fileobj), set()  # noqa: SIM115 - the caller closes it
    except UnicodeDecodeError:
        flagged = _utf8_flagged(fileobj)
        if not flagged:
            raise
    fileobj.seek(0)
    view = _FlagsCleared(fileobj, [offset for offset, _ in flagged])
    archive = zipfile.ZipFile(cast(BinaryIO, view))  # noqa: SIM115 - the caller closes it
    relabelled = {index for _, index in flagged}
    infos = archive.infolist()
    # A member's local header repeats the flag, and zipfile checks the name there too.
    view.clear([infos[i].header_offset + 6 for i in relabelled if i < len(infos)])
    return archive, relabelled


def _utf8_flagged(fileobj: BinaryIO) -> list[tuple[int, int]]:
    """(file offset of the flag field, entry index) of every central-directory entry that
    claims a UTF-8 name; located exactly as zipfile locates the directory."""
    end_record: Any = getattr(zipfile, "_EndRecData")(fileobj)  # noqa: B009 - private helper
    if end_record is None:
        return []
    size, location = end_record[5], end_record[9]  # the directory ends where its end record starts
    start = location - size
    if end_record[0] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
    fileobj.seek(start)
    directory = fileobj.read(size)
    found: list[tuple[int, int]] = []
    pos = index = 0
    while pos + _CENTRAL.size <= len(directory):
        signature, flags, name_len, extra_len, comment_len = _CENTRAL.unpack_from(directory, pos)
        if signature != b"PK\x01\x02":
            break
        if flags & _UTF8_NAME:
            found.append((start + pos + 8, index))
        pos += _CENTRAL.size + name_len + extra_len + comment_len
        index += 1
    return found


class _FlagsCleared:
    """A read-only view of a zip file in which the UTF-8 name flag reads as cleared at the
    given flag-field offsets (bit 11 is bit 3 of the field's second byte): in central-directory
    entries and in the members' local headers."""

    def __init__(self, raw: BinaryIO, flag_offsets: list[int]) -> None:
        self._raw = raw
        self._bytes: list[int] = []
        self.clear(flag_offsets)

    def clear(self, flag_offsets: list[int]) -> None:
        self._bytes = sorted({*self._bytes, *(offset + 1 for offset in flag_offsets)})

    def read(self, n: int = -1) -> bytes:
        start = self._raw.tell()
        data = self._raw.read(n)
        first = bisect.bisect_left(self._bytes, start)
        last = bisect.bisect_left(self._bytes, start + len(data))
        if first == last:
            return data
        patched = bytearray(data)
        for at in self._bytes[first:last]:
            patched[at - start] &= ~(_UTF8_NAME >> 8) & 0xFF
        return bytes(patched)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    return lambda: cast(BinaryIO, archive.open(info))


def _zip_time(value: tuple[int, int, int, int, int, int]) -> datetime | None:
    try:
        return datetime(*value)
    except ValueError:
        return None
