"""Disk images as containers: every file of every file system becomes an occurrence.

Paths read ``disk.E01!/p1/DCIM/IMG_0001.JPG``: one hop of kind ``volume`` whose inner path is
the partition index then the path in its file system, or of kind ``fs`` (no ``pN/``) for an
image that is a single file system without a partition table. Carved files are hops of kind
``carved`` (``disk.dd!/p1/$Carved/0000123400.jpg``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from sichter.errors import CorruptData, EvidenceError, UnsupportedFormat
from sichter.evidence.disk import tsk
from sichter.evidence.disk.integrity import verify
from sichter.evidence.disk.media import EwfMedia, Media, open_media
from sichter.evidence.locator import Locator
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    ImageIntegrity,
    Inline,
    Payload,
    Stream,
    WalkEvent,
    path_of,
)
from sichter.evidence.naming import MemberNames


class DiskImageReader:
    """Reads EWF (``kind="ewf"``), raw (``kind="disk"``) and virtual-disk (``"vhd"``, ``"vmdk"``,
    ``"qcow"``) images with libewf, libvhdi, libvmdk, libqcow and the Sleuth Kit."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def members(self, fileobj: BinaryIO, parent: FileOccurrence,
                budget: ExpansionBudget) -> Iterator[WalkEvent]:
        try:
            media = open_media(self.kind, path_of(parent.payload), fileobj)
        except CorruptData as exc:
            if self.kind == "ewf":  # the case log lists every E01 with its integrity status
                yield ImageIntegrity(
                    source=parent.source, locator=parent.locator, format="ewf",
                    segments=[parent.locator.name], media_size=0, stored={}, computed={},
                    status="unreadable", mismatched=[], error=str(exc), header={})
            raise
        try:
            # Files in an image add up to at most the medium, however well an E01 compressed it.
            budget.compressed_size = max(budget.compressed_size, media.size)
            if isinstance(media, EwfMedia):
                yield verify(media, parent)
            walker = _ImageWalk(media, parent, budget)
            try:
                yield from walker.run()
            except tsk.TSK_FAILURES as exc:  # pytsk3's failures, ours included
                reason = walker.media_error or tsk.failure_reason(exc)
                raise CorruptData(f"disk image unreadable: {reason}"
                                  + _and_missing(media, walker.media_error)) from exc
            except EvidenceError as exc:  # nothing readable: a missing segment may be why
                raise type(exc)(f"{exc}{_and_missing(media, walker.media_error)}") from exc
            error = walker.error
            if error is None and walker.media_error:
                # Files were read around a damaged stretch; the image as a whole must say so.
                error = f"image partly unreadable, files there carry an error: {walker.media_error}"
            elif error is None and media.missing:
                error = f"image incomplete: {media.missing}"
            yield ContainerDone(parent.source, parent.locator, walker.count, error)
        finally:
            media.close()


def _and_missing(media: Media, media_error: str | None) -> str:
    """The missing segment, added to an error that does not already name it."""
    if media.missing is None or (media_error and media.missing in media_error):
        return ""
    return f" ({media.missing})"


class _ImageWalk:
    def __init__(self, media: Media, parent: FileOccurrence, budget: ExpansionBudget) -> None:
        self.media = media
        self.parent = parent
        self.budget = budget
        self.names = MemberNames()
        self.count = 0
        self.error: str | None = None
        self.image: Any = None

    @property
    def media_error(self) -> str | None:
        return getattr(self.image, "last_error", None)

    def run(self) -> Iterator[WalkEvent]:
        self.image = image = tsk.tsk_image(self.media)
        parts = tsk.partitions(image, self.media)
        if parts is None:
            try:
                fs = tsk.open_fs(image, 0)
            except UnsupportedFormat as exc:
                parts = tsk.refused_dos_partitions(self.media)
                if parts is None:
                    raise UnsupportedFormat(
                        f"{self.media.format} image of {self.media.size:,} bytes: no partition "
                        f"table and no file system the Sleuth Kit can read") from exc
            else:
                yield from self._files(fs, "fs", "")
                yield from self._carve(fs, "fs", "", 0, self.media.size)
                return
        if not parts:
            raise UnsupportedFormat("partition table without any data partition")
        for part in parts:
            if self.error:
                return
            prefix = f"p{part.index}/"
            if part.offset >= self.media.size:
                yield self._occurrence("volume", prefix, None, error=(
                    f"partition p{part.index} starts at byte {part.offset:,}, beyond the end of "
                    f"the image ({self.media.size:,} bytes)"))
                continue
            try:
                fs = tsk.open_fs(image, part.offset)
            except UnsupportedFormat as exc:
                fs, part = self._in_4k_sectors(image, part)
                if fs is None:
                    yield self._occurrence("volume", prefix, None, error=(
                        f"partition {part.index} ({part.description}, {part.length:,} bytes at "
                        f"offset {part.offset:,}): {exc}"))
                    continue
            try:
                yield from self._files(fs, "volume", prefix)
                yield from self._carve(fs, "volume", prefix, part.offset, part.length)
            except tsk.TSK_FAILURES as exc:  # one damaged partition must not end the disk
                reason = self.media_error or tsk.failure_reason(exc)
                yield self._occurrence("volume", prefix, None,
                                       error=f"partition {part.index}: reading stopped: {reason}")

    def _in_4k_sectors(self, image: Any, part: tsk.Partition) -> tuple[Any, tsk.Partition]:
        """A DOS table does not record its sector size: on a disk with 4096-byte logical sectors
        (many USB enclosures) its starts and lengths count 4 KiB units, not 512-byte ones."""
        offset = part.offset * 8
        if not part.dos or offset >= self.media.size:
            return None, part
        try:
            fs = tsk.open_fs(image, offset)
        except UnsupportedFormat:
            return None, part
        length = min(part.length * 8, self.media.size - offset)
        return fs, replace(part, offset=offset, length=length,
                           description=f"{part.description}, 4096-byte sectors")

    def _occurrence(self, kind: str, inner: str, payload: Payload | None, **kw: Any) -> FileOccurrence:
        locator: Locator = self.parent.locator.child(kind, self.names.unique(inner))
        return FileOccurrence(self.parent.source, locator, payload, **kw)

    def _counted(self) -> bool:
        if self.budget.members >= self.budget.max_members:
            self.error = f"more than {self.budget.max_members:,} files (limit); rest not read"
            return False
        self.budget.members += 1
        self.count += 1
        return True

    def _files(self, fs: Any, kind: str, prefix: str) -> Iterator[WalkEvent]:
        for file in tsk.files(fs):
            if not self._counted():
                return
            payload, error = self._payload(file)
            yield self._occurrence(kind, prefix + file.path, payload, size=file.size,
                                   times=file.times, deleted=file.deleted, error=error)

    def _payload(self, file: tsk.FsFile) -> tuple[Payload | None, str | None]:
        if file.size > self.budget.max_member_bytes:
            return None, (f"file of {file.size:,} bytes exceeds the limit of "
                          f"{self.budget.max_member_bytes:,}")
        if file.size > self.media.size:
            # Larger than the whole image: damaged metadata, or a sparse file whose holes
            # take no space (then it is read, holes as zeros, within the member limit).
            allocated = tsk.allocated_bytes(file)
            if allocated is None or allocated > self.media.size:
                return None, (f"recorded size {file.size:,} exceeds the whole image "
                              "(damaged metadata)")
        if file.size <= self.budget.max_inline_bytes:
            data, missing = tsk.read_all(file)
            if missing and not data:
                return None, ("deleted file: " if file.deleted else "") + missing
            if missing:
                # What was recovered is still evidence; the record says which part is lost.
                return Inline(data), ("deleted file: " if file.deleted else "") + missing
            return Inline(data), None
        return Stream(lambda f=file: tsk.FileReader(f)), None  # type: ignore[arg-type,misc]

    def _carve(self, fs: Any, kind: str, prefix: str, offset: int,
               length: int) -> Iterator[WalkEvent]:
        if not self.budget.carve:
            return
        from sichter.evidence.disk.carve import carve_unallocated

        try:
            for found in carve_unallocated(self.media, fs, offset, length):
                if not self._counted():
                    return
                yield self._occurrence("carved", f"{prefix}$Carved/{found.name}",
                                       Inline(found.data), size=len(found.data), carved=True)
        except EvidenceError as exc:
            yield self._occurrence("carved", f"{prefix}$Carved/", None,
                                   error=f"carving stopped: {exc}")
