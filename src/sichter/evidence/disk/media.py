"""The bytes of a disk image, whatever holds them: EWF segments, raw, split raw, virtual disks
(VHD, VHDX, VMDK), or memory.

Every backing opens evidence read-only. A ``Media`` only reads at offsets; volume systems and
file systems are layered on top of it by the Sleuth Kit (see ``tsk.py``).
"""

from __future__ import annotations

import bisect
import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sichter.errors import CorruptData, UnsupportedFormat
from sichter.evidence.readonly import open_readonly

_SPLIT_RAW = re.compile(r"^(?P<stem>.*)\.(?P<n>0*1)$")  # image.001, image.0001, disk.1


class Media(Protocol):
    """Random access to the bytes of an acquired medium."""

    size: int
    format: str  # "ewf", "raw", "split-raw", "vhd", "vmdk", "qcow", "memory"
    missing: str | None  # a segment of the set that is absent, when one is known to be

    def read(self, offset: int, length: int) -> bytes: ...

    def close(self) -> None: ...


@dataclass
class FileMedia:
    """A raw image, possibly split into numbered segments (``.001``, ``.002``, ...)."""

    paths: list[Path]
    format: str = "raw"
    size: int = 0
    missing: str | None = None
    _files: list[BinaryIO] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        offset = 0
        for path in self.paths:
            f = open_readonly(path)
            self._files.append(f)
            self._starts.append(offset)
            offset += path.stat().st_size
        self.size = offset

    def read(self, offset: int, length: int) -> bytes:
        parts: list[bytes] = []
        end = min(offset + length, self.size)
        while offset < end:
            i = bisect.bisect_right(self._starts, offset) - 1
            f = self._files[i]
            seg_end = self._starts[i + 1] if i + 1 < len(self._starts) else self.size
            f.seek(offset - self._starts[i])
            data = f.read(min(end, seg_end) - offset)
            if not data:
                raise CorruptData(f"segment {self.paths[i].name} ends early")
            parts.append(data)
            offset += len(data)
        return b"".join(parts)

    def close(self) -> None:
        for f in self._files:
            f.close()


@dataclass
class StreamMedia:
    """An image held by a seekable file object (a disk image found inside an archive)."""

    fileobj: BinaryIO
    format: str = "raw"
    size: int = 0
    missing: str | None = None

    def __post_init__(self) -> None:
        self.size = self.fileobj.seek(0, 2)

    def read(self, offset: int, length: int) -> bytes:
        self.fileobj.seek(offset)
        return self.fileobj.read(max(0, min(length, self.size - offset)))

    def close(self) -> None:
        """The file object belongs to the caller."""


class EwfMedia:
    """Expert Witness (E01) media through libewf; all segments are found beside the first."""

    format = "ewf"

    def __init__(self, segments: list[Path] | None = None, fileobj: BinaryIO | None = None) -> None:
        import pyewf

        self.segments = segments or []
        ends = [_check_section_chain(path) for path in self.segments]
        # A set whose last segment ends in "next" lost the segments after it: what they held
        # is unreadable, what comes before is read as usual.
        self.missing = (f"the segment after {self.segments[-1].name} is missing"
                        if ends and ends[-1] == b"next" else None)
        self._files = [open_readonly(p) for p in self.segments] if segments else [fileobj]
        self._handle = pyewf.handle()
        try:
            self._handle.open_file_objects(self._files)
            self.size = int(self._handle.get_media_size())
        except (OSError, RuntimeError, ValueError) as exc:
            self.close()
            raise CorruptData(f"EWF image cannot be opened (truncated or corrupt?): {exc}") from exc

    def read(self, offset: int, length: int) -> bytes:
        try:
            self._handle.seek(offset)
            return bytes(self._handle.read(max(0, min(length, self.size - offset))))
        except (OSError, RuntimeError, ValueError) as exc:
            detail = self.missing or str(exc).split(". ")[0]  # libewf chains its call stack
            raise CorruptData(f"EWF image unreadable at offset {offset:,} (truncated or corrupt "
                              f"segment?): {detail}") from exc

    def stored_hashes(self) -> dict[str, str]:
        """The media hashes the acquisition tool recorded in the image (lower-case hex)."""
        found: dict[str, str] = {}
        for name, key in (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256")):
            try:
                value: Any = self._handle.get_hash_value(key)
            except (OSError, RuntimeError, KeyError):
                value = None
            if value:
                found[name] = str(value).strip().lower()
        return found

    def header(self) -> dict[str, str]:
        """Acquisition header values (case number, examiner, dates), as far as recorded."""
        values: dict[str, str] = {}
        for key in ("case_number", "evidence_number", "examiner_name", "description",
                    "acquiry_date", "acquiry_software_version"):
            try:
                value = self._handle.get_header_value(key)
            except (OSError, RuntimeError, KeyError):
                value = None
            if value:
                values[key] = str(value)
        return values

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):  # a handle that never opened
            self._handle.close()
        for f in self._files:
            if f is not None and self.segments:
                f.close()


_VHD_DIFFERENCING = 4  # libvhdi's disk type of a disk that stores only changes to a parent


class VirtualDiskMedia:
    """A virtual machine's disk (VHD and VHDX through libvhdi, VMDK through libvmdk, QCOW2
    through libqcow): the bytes its guest saw, however the container stores them (dynamic,
    sparse, stream-optimised).

    A differencing disk (a QCOW2 overlay) holds only what changed against a parent disk; alone
    it is refused with the parent's name, as a VMDK whose extent files are not beside its
    descriptor is.
    """

    def __init__(self, fmt: str, path: Path | None, fileobj: BinaryIO | None) -> None:
        self.format = fmt
        self.missing: str | None = None
        by_name = path is not None and fmt == "vmdk"  # libvmdk opens it (read-only) itself
        self._owned = path is not None and not by_name
        self._file = open_readonly(path) if self._owned and path is not None else fileobj
        self._handle: Any = None
        try:
            if fmt == "vhd":
                import pyvhdi

                self._handle = pyvhdi.file()
                self._handle.open_file_object(self._file)
                if int(self._handle.get_disk_type()) == _VHD_DIFFERENCING:
                    parent = self._handle.get_parent_filename() or "unknown"
                    raise CorruptData(f"differencing virtual disk: only changes to its parent "
                                      f"disk ({parent}), which is needed to read it")
            elif fmt == "qcow":
                import pyqcow

                self._handle = pyqcow.file()
                self._handle.open_file_object(self._file)
                if self._handle.get_backing_filename():
                    raise CorruptData(f"QCOW image with a backing file: only changes to "
                                      f"{self._handle.get_backing_filename()}, which is needed "
                                      "to read it")
                if self._handle.is_locked():
                    raise CorruptData("encrypted QCOW image (password required)")
            else:
                import pyvmdk

                self._handle = pyvmdk.handle()
                if path is not None:  # by name, so that a descriptor finds its extents beside it
                    self._handle.open(str(path), "r")
                    self._handle.open_extent_data_files()
                else:  # from memory (inside an archive): one file that is its own extent
                    self._handle.open_file_object(self._file)
                    self._handle.open_extent_data_files_as_file_objects([self._file])
            self.size = int(self._handle.get_media_size())
        except CorruptData:
            self.close()
            raise
        except (OSError, RuntimeError, ValueError, TypeError) as exc:
            self.close()
            raise CorruptData(f"{fmt.upper()} virtual disk cannot be opened (truncated, corrupt "
                              f"or missing extent files?): {str(exc).split('. ')[0]}") from exc

    def read(self, offset: int, length: int) -> bytes:
        try:
            self._handle.seek(offset)
            return bytes(self._handle.read(max(0, min(length, self.size - offset))))
        except (OSError, RuntimeError, ValueError) as exc:
            raise CorruptData(f"{self.format.upper()} virtual disk unreadable at offset "
                              f"{offset:,}: {str(exc).split('. ')[0]}") from exc

    def close(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self._handle.close()
        if self._owned and self._file is not None:
            self._file.close()


_EWF_FILE_HEADER = 13  # signature, fields start, segment number, fields end
_EWF_SECTION = 76  # type[16], next offset, size, padding, checksum
_EWF_MAX_SECTIONS = 1_000_000


def _check_section_chain(path: Path) -> bytes:
    """Refuse a segment whose chain of sections runs past its end (cut short while copying);
    return the type of its last section, ``next`` or ``done`` (the set's last segment).

    libewf opens such a set without complaint but, missing the segment's chunk table, serves
    the *next* segment's chunks at this one's offsets: files there would get another file's
    bytes and a wrong SHA-256 with no error.
    """
    with open_readonly(path) as f:
        size = f.seek(0, 2)
        offset = _EWF_FILE_HEADER
        for _ in range(_EWF_MAX_SECTIONS):
            f.seek(offset)
            descriptor = f.read(_EWF_SECTION)
            if len(descriptor) < _EWF_SECTION:
                raise CorruptData(f"EWF image unreadable: segment {path.name} is truncated at "
                                  f"{size:,} bytes (a section at {offset:,} is missing)")
            kind = descriptor[:16].rstrip(b"\x00")
            if kind in (b"next", b"done"):
                return kind
            following = int.from_bytes(descriptor[16:24], "little")
            if following <= offset:
                raise CorruptData(f"EWF image unreadable: segment {path.name} has a broken "
                                  f"section chain at {offset:,}")
            offset = following
    raise CorruptData(f"EWF image unreadable: segment {path.name} has more than "
                      f"{_EWF_MAX_SECTIONS:,} sections")


def ewf_segments(first: Path) -> list[Path]:
    """Every segment of the EWF image whose first segment is ``first`` (E01, E02, ..., EAA)."""
    import pyewf

    try:
        names = pyewf.glob(str(first))
    except (OSError, RuntimeError, ValueError) as exc:
        raise CorruptData(f"EWF segments of {first.name} not found: {exc}") from exc
    return [Path(n) for n in names]


def split_raw_segments(first: Path) -> list[Path]:
    """``image.001`` and the consecutive ``image.002``, ``image.003`` ... beside it; else itself."""
    m = _SPLIT_RAW.match(first.name)
    if not m:
        return [first]
    width = len(m["n"])
    paths = [first]
    n = 2
    while (nxt := first.with_name(f"{m['stem']}.{n:0{width}d}")).is_file():
        paths.append(nxt)
        n += 1
    return paths


def split_raw_gap(segments: list[Path]) -> str | None:
    """Why the set ``segments`` (from ``split_raw_segments``) is incomplete: a later segment
    lies beside it after a missing one (``.001`` and ``.003`` without ``.002``); else None.

    The image is read up to the gap only: where the later segments belong cannot be known.
    """
    m = _SPLIT_RAW.match(segments[0].name)
    if not m:
        return None
    width, stem = len(m["n"]), m["stem"]
    later = re.compile(rf"^{re.escape(stem)}\.(\d{{{width},}})$")
    beyond = sorted((int(found[1]), p.name) for p in segments[0].parent.iterdir()
                    if (found := later.match(p.name)) and int(found[1]) > len(segments)
                    and p.is_file())
    if not beyond:
        return None
    gap = f"{stem}.{len(segments) + 1:0{width}d}"
    return (f"segment {gap} of the split image is missing; read up to the end of "
            f"{segments[-1].name}, not read: {', '.join(name for _, name in beyond)}")


def open_media(kind: str, path: Path | None, fileobj: BinaryIO | None) -> Media:
    """Open an image sniffed as ``kind`` ("ewf", "disk", "vhd", "vmdk", "qcow") from its path
    when it has one."""
    if kind == "ewf":
        if path is not None:
            return EwfMedia(segments=ewf_segments(path))
        return EwfMedia(fileobj=fileobj)
    if kind == "disk":
        if path is not None:
            segments = split_raw_segments(path)
            return FileMedia(segments, "split-raw" if len(segments) > 1 else "raw",
                             missing=split_raw_gap(segments))
        assert fileobj is not None
        return StreamMedia(fileobj)
    if kind in ("vhd", "vmdk", "qcow"):
        return VirtualDiskMedia(kind, path, fileobj)
    raise UnsupportedFormat(f"not a disk image kind: {kind}")
