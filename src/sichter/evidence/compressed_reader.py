"""gzip, bzip2 and xz streams, and Android backups (adb backup: a short text header, then a
zlib stream of a tar): a tar inside is walked as tar, anything else is one member."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import lzma
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from sichter.errors import CorruptData, EvidenceError
from sichter.evidence.member_io import BoundedReader, member_payload
from sichter.evidence.model import ContainerDone, ExpansionBudget, FileOccurrence, WalkEvent
from sichter.evidence.tar_reader import TarReader

ANDROID_BACKUP_MAGIC = b"ANDROID BACKUP\n"


class _ZlibStream:
    """A readable zlib stream (what an Android backup holds after its header)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj()
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        want = 1 << 20 if size is None or size < 0 else size
        while len(self._pending) < want and not self._inflate.eof:
            # Input the last call left unused comes first; more is read only when none is left.
            chunk = self._inflate.unconsumed_tail or self._raw.read(1 << 16)
            if not chunk:
                raise EOFError("Android backup ends inside its zlib stream (truncated)")
            self._pending += self._inflate.decompress(chunk, max(want - len(self._pending), 1))
        out, self._pending = self._pending[:want], self._pending[want:]
        return out

    def close(self) -> None:
        """The evidence file stays open: the walker that opened it closes it."""


class _Rest:
    """The rest of an uncompressed backup after its header; closing it leaves the file open."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def close(self) -> None:
        """The evidence file stays open: the walker that opened it closes it."""


def _android_backup(f: BinaryIO) -> BinaryIO:
    """The tar inside an ``adb backup`` file: header lines (magic, format version, compressed
    0/1, encryption), then the archive; encrypted backups need the device's password."""
    header = [f.readline(64) for _ in range(4)]
    if header[0] != ANDROID_BACKUP_MAGIC or not header[3].endswith(b"\n"):
        raise CorruptData("not an Android backup header")
    encryption = header[3].strip().decode("ascii", "replace")
    if encryption != "none":
        raise EvidenceError(f"encrypted Android backup ({encryption}; password required)")
    if header[2].strip() == b"1":
        return cast(BinaryIO, _ZlibStream(f))
    return cast(BinaryIO, _Rest(f))


_DECOMPRESSORS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gzip": lambda f: cast(BinaryIO, gzip.GzipFile(fileobj=f, mode="rb")),
    "bzip2": lambda f: cast(BinaryIO, bz2.BZ2File(f, mode="rb")),
    "xz": lambda f: cast(BinaryIO, lzma.LZMAFile(f, mode="rb")),  # noqa: SIM115 - caller closes
    "android-backup": _android_backup,
}
_SUFFIXES = {"gzip": (".gz", ".tgz"), "bzip2": (".bz2", ".tbz2", ".tbz"), "xz": (".xz", ".txz"),
             "android-backup": (".ab",)}
_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


class CompressedReader:
    """One reader per compression; ``kind`` is the compression's name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def _open(self, fileobj: BinaryIO, budget: ExpansionBudget) -> BinaryIO:
        fileobj.seek(0)
        # BoundedReader offers the read/close subset of BinaryIO that every consumer uses.
        return cast(BinaryIO, BoundedReader(_DECOMPRESSORS[self.kind](fileobj), budget, self.kind))

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        try:
            with self._open(fileobj, dataclasses.replace(budget)) as probe:
                head = probe.read(512)
        except EvidenceError:  # CorruptData included
            if self.kind == "android-backup":
                raise  # an encrypted or damaged header: nothing inside can be read
            head = b""  # a bomb will be reported when read for real below
        except _ERRORS as exc:
            raise CorruptData(f"corrupt {self.kind} stream: {exc}") from exc
        if len(head) >= 262 and head[257:262] == b"ustar":
            yield from self._tar(fileobj, parent, budget)
            return
        name = _strip_suffix(parent.locator.name, self.kind)
        error: str | None = None
        payload = None
        try:
            payload = member_payload(None, lambda: self._open(fileobj, budget), budget, name)
        except EvidenceError as exc:
            error = str(exc)
        except _ERRORS as exc:
            error = f"corrupt {self.kind} stream: {exc}"
        yield FileOccurrence(
            source=parent.source,
            locator=parent.locator.child(self.kind, name),
            payload=payload,
            error=error,
        )
        yield ContainerDone(parent.source, parent.locator, 1, None)

    def _tar(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        # The ratio is enforced on the decompressed stream; members count only their own size.
        inner = dataclasses.replace(budget, max_ratio=float("inf"))
        stream = self._open(fileobj, budget)
        try:
            yield from TarReader().members(stream, parent, inner)
        except _ERRORS as exc:
            yield ContainerDone(parent.source, parent.locator, inner.members,
                                f"corrupt {self.kind} stream: {exc}")
        finally:
            stream.close()


def _strip_suffix(name: str, kind: str) -> str:
    lower = name.lower()
    for suffix in _SUFFIXES[kind]:
        if lower.endswith(suffix):
            stem = name[: -len(suffix)]
            tarred = suffix.startswith(".t") or suffix == ".ab"
            return stem + ".tar" if tarred and suffix != ".tar" else stem
    return name
