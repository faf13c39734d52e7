"""Walk a top-level source: folders, single files, and every archive inside them, recursively.

The walk yields occurrences in a stable order, so an interrupted ingest can resume by
skipping what is already recorded. Evidence is only ever opened read-only.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sichter.errors import EvidenceError, UsageError
from sichter.evidence import ios_backup, registry
from sichter.evidence.locator import Locator, printable
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    Inline,
    OsPath,
    Stream,
    Timestamps,
    WalkEvent,
)
from sichter.evidence.readonly import open_readonly
from sichter.evidence.sniff import (
    DEEP_SNIFF_BYTES,
    SNIFF_BYTES,
    ZIP_TAIL_BYTES,
    appended_zip,
    sniff,
)
from sichter.settings import Limits

ShouldExpand = Callable[[Locator], bool]


def _always(_: Locator) -> bool:
    return True


def walk(source: str | os.PathLike[str], limits: Limits,
         should_expand: ShouldExpand = _always) -> Iterator[WalkEvent]:
    """Every file occurrence under ``source``; containers are followed by their members.

    ``should_expand`` lets a resumed ingest skip containers whose members are all recorded.
    """
    root = Path(source)
    source_id = source_name(root)
    try:
        st = root.lstat()
    except OSError as exc:
        raise UsageError(f"cannot read evidence source {root}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        yield from _walk_folder(root, source_id, limits, should_expand)
    else:
        yield from _walk_file(root, Locator("file", root.name), source_id, limits, should_expand)


def source_name(source: Path) -> str:
    """The source as occurrences record it: its absolute path, printable (see ``printable``)."""
    return printable(str(source.resolve()))


def _walk_folder(root: Path, source_id: str, limits: Limits,
                 should_expand: ShouldExpand) -> Iterator[WalkEvent]:
    def on_error(exc: OSError) -> None:
        unreadable.append(exc)

    unreadable: list[OSError] = []
    backups: dict[Path, dict[str, str]] = {}  # iOS backup folder -> {fileID: original path}
    for folder, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        dirnames.sort()
        rel_folder = Path(folder).relative_to(root.parent)
        if ios_backup.MANIFEST in filenames:
            backups[Path(folder)] = ios_backup.manifest_paths(Path(folder))
        names = backups.get(Path(folder).parent, {})  # files sit in <backup>/<2 hex>/
        for name in sorted(filenames):
            path = Path(folder) / name
            yield from _walk_file(path, Locator("file", (rel_folder / name).as_posix()),
                                  source_id, limits, should_expand, names.get(name))
        while unreadable:
            exc = unreadable.pop()
            bad = Path(exc.filename or folder)
            rel = bad.relative_to(root.parent).as_posix() if bad.is_relative_to(root.parent) else str(bad)
            yield FileOccurrence(source_id, Locator("file", rel + "/"), None,
                                 error=f"folder not readable: {exc.strerror or exc}")


def _times(st: os.stat_result) -> Timestamps:
    def ts(value: float) -> datetime | None:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None

    created = getattr(st, "st_birthtime", None)
    return Timestamps(modified=ts(st.st_mtime), accessed=ts(st.st_atime),
                      changed=ts(st.st_ctime), created=ts(created) if created else None)


def _walk_file(path: Path, locator: Locator, source_id: str, limits: Limits,
               should_expand: ShouldExpand, original_path: str | None = None
               ) -> Iterator[WalkEvent]:
    try:
        st = path.lstat()
    except OSError as exc:
        yield FileOccurrence(source_id, locator, None, error=f"not readable: {exc.strerror or exc}")
        return
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        yield FileOccurrence(source_id, locator, None, times=_times(st),
                             error=f"symbolic link to {target!s} (not followed)")
        return
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO or a device would block or read forever.
        yield FileOccurrence(source_id, locator, None, times=_times(st),
                             error="not a regular file (device, socket or pipe)")
        return
    occurrence = FileOccurrence(source_id, locator, OsPath(str(path)), size=st.st_size,
                                times=_times(st), original_path=original_path)
    yield occurrence
    try:
        with open_readonly(path) as f:
            kind = archive_kind(f, st.st_size)
            if kind and should_expand(locator):
                yield from expand(f, occurrence, limits, should_expand, st.st_size, kind)
    except OSError:
        return  # the worker records why the file itself cannot be read


def archive_kind(fileobj: BinaryIO, size: int) -> str | None:
    """The container kind of a content: from its first bytes, or "zip" for a ZIP appended to
    something else (a photo, a program), which readers of the first part never show."""
    fileobj.seek(0)
    kind = sniff(fileobj.read(DEEP_SNIFF_BYTES), size).archive
    if kind or size < 98:  # the smallest ZIP with one member: 30 + 46 + 22 bytes
        return kind
    fileobj.seek(max(0, size - ZIP_TAIL_BYTES))
    tail = fileobj.read(ZIP_TAIL_BYTES)

    def peek(offset: int, n: int) -> bytes:
        fileobj.seek(offset)
        return fileobj.read(n)

    return "zip" if appended_zip(tail, size, peek) else None


def expand(fileobj: BinaryIO, container: FileOccurrence, limits: Limits,
           should_expand: ShouldExpand, size: int, kind: str | None = None) -> Iterator[WalkEvent]:
    """Members of ``container`` (already found to be an archive of ``kind``; sniffed again when
    not given), recursively, then a ContainerDone."""
    if kind is None:
        fileobj.seek(0)
        kind = sniff(fileobj.read(DEEP_SNIFF_BYTES), size).archive
    fileobj.seek(0)
    reader = registry.reader_for(kind)
    if reader is None:
        return
    if container.locator.depth >= limits.max_nesting_depth:
        yield ContainerDone(container.source, container.locator, 0,
                            f"archive nested deeper than {limits.max_nesting_depth} levels (limit); "
                            "not opened")
        return
    budget = ExpansionBudget(
        compressed_size=max(size, 1),
        max_ratio=limits.max_expansion_ratio,
        floor_bytes=limits.expansion_floor_bytes,
        max_members=limits.max_members,
        max_member_bytes=limits.max_member_bytes,
        max_inline_bytes=limits.max_inline_bytes,
        carve=limits.carve,
    )
    try:
        for event in reader.members(fileobj, container, budget):
            yield event
            if isinstance(event, FileOccurrence) and event.error is None:
                yield from _expand_member(event, limits, should_expand)
    except EvidenceError as exc:
        yield ContainerDone(container.source, container.locator, budget.members, str(exc))


def _expand_member(member: FileOccurrence, limits: Limits,
                   should_expand: ShouldExpand) -> Iterator[WalkEvent]:
    payload = member.payload
    if isinstance(payload, Inline):
        data = io.BytesIO(payload.data)
        kind = archive_kind(data, len(payload.data))
        if kind and should_expand(member.locator):
            yield from expand(data, member, limits, should_expand, len(payload.data), kind)
    elif isinstance(payload, Stream):
        with payload.open() as stream:
            head = stream.read(SNIFF_BYTES)
        if sniff(head, member.size).archive:
            yield ContainerDone(member.source, member.locator, 0,
                                f"nested archive larger than the in-memory limit of "
                                f"{limits.max_inline_bytes:,} bytes; not opened")
