"""The Sleuth Kit, through pytsk3: volume systems, file systems and the files in them.

pytsk3 reports every failure as ``IOError``; it is caught here and turned into Sichter's
errors with a short reason. pytsk3 is imported lazily so the CLI starts fast.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sichter.errors import CorruptData, UnsupportedFormat
from sichter.evidence.disk.gpt import read_gpt
from sichter.evidence.disk.mbr import protective_only, read_mbr
from sichter.evidence.disk.media import Media
from sichter.evidence.model import Timestamps

READ_CHUNK = 1024 * 1024
# pytsk3 raises IOError for libtsk's own failures and RuntimeError when our read callback
# raised (an unreadable stretch of an E01); both mean "this part cannot be read".
TSK_FAILURES = (OSError, RuntimeError)
# NTFS keeps its own files in MFT records 0-15 and reserves up to 23; users' files come later.
NTFS_SYSTEM_RECORDS = 24


@cache
def _image_class() -> type:
    import pytsk3

    class MediaImage(pytsk3.Img_Info):  # type: ignore[misc]
        """Lets the Sleuth Kit read from any ``Media`` (EWF, split raw, memory)."""

        def __init__(self, media: Media) -> None:
            self._media = media
            self.last_error: str | None = None  # why the media failed; libtsk's own text is vague
            super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

        def close(self) -> None:
            """The media is closed by its owner."""

        def read(self, offset: int, size: int) -> bytes:
            try:
                return self._media.read(offset, size)
            except CorruptData as exc:  # the Sleuth Kit expects I/O failures as IOError
                self.last_error = str(exc)
                raise OSError(str(exc)) from exc

        def get_size(self) -> int:
            return self._media.size

    return MediaImage


def tsk_image(media: Media) -> Any:
    return _image_class()(media)


@dataclass(frozen=True)
class Partition:
    index: int  # 1-based among the partitions that hold data, in table order
    offset: int  # bytes from the start of the medium
    length: int  # bytes
    description: str
    dos: bool = False  # from a DOS/MBR table, whose sector size the table does not record


def partitions(image: Any, media: Media) -> list[Partition] | None:
    """Data partitions of a DOS/MBR, GPT, BSD, Sun or Mac table; None when there is no table.

    A GPT whose primary copy the Sleuth Kit cannot use (it then sees only the protective MBR,
    or a table without partitions) is read from whichever copy is intact, usually the backup.
    """
    import pytsk3

    vstype, found = _tsk_partitions(image)
    protective = vstype == pytsk3.TSK_VS_TYPE_DOS and protective_only(media)
    if vstype is None or protective or (vstype == pytsk3.TSK_VS_TYPE_GPT and not found):
        table = read_gpt(media)
        if table is not None:
            size = table.sector_size
            return [Partition(i + 1, e.first_lba * size, (e.last_lba - e.first_lba + 1) * size,
                              f"{e.name or 'GPT partition'} ({table.copy} GPT)")
                    for i, e in enumerate(table.entries)]
    return found if vstype is not None else None


def refused_dos_partitions(media: Media) -> list[Partition] | None:
    """The primary entries of a DOS table the Sleuth Kit refused outright (it does when the
    first or second partition starts beyond the end of the image); None without such a table.

    Asked only when the image holds no file system at offset 0 either, so a boot sector whose
    code happens to look like entries is never taken for a table.
    """
    primary = read_mbr(media)
    if primary is None:
        return None
    return [Partition(i + 1, e.first_lba * 512, e.sectors * 512,
                      f"DOS partition (0x{e.ptype:02x}), read by Sichter", dos=True)
            for i, e in enumerate(primary)]


def _tsk_partitions(image: Any) -> tuple[int | None, list[Partition]]:
    import pytsk3

    try:
        volume = pytsk3.Volume_Info(image)
    except OSError:
        return None, []
    except RuntimeError:
        # Our media failed under one of the probes (GPT's reads the last sectors, which a
        # truncated E01 lacks); the DOS table, and a protective MBR, need only sector 0.
        try:
            volume = pytsk3.Volume_Info(image, pytsk3.TSK_VS_TYPE_DOS)
        except TSK_FAILURES:
            return None, []
    block = volume.info.block_size
    dos = int(volume.info.vstype) == pytsk3.TSK_VS_TYPE_DOS
    found: list[Partition] = []
    for part in volume:
        if part.flags != pytsk3.TSK_VS_PART_FLAG_ALLOC:
            continue  # unallocated gaps, the table itself, extended-partition containers
        desc = part.desc.decode("utf-8", "replace") if isinstance(part.desc, bytes) else str(part.desc)
        found.append(Partition(len(found) + 1, part.start * block, part.len * block, desc, dos))
    return int(volume.info.vstype), found


def open_fs(image: Any, offset: int) -> Any:
    """The file system at ``offset``; ``UnsupportedFormat`` when the Sleuth Kit reads none."""
    import pytsk3

    try:
        return pytsk3.FS_Info(image, offset=offset)
    except OSError as exc:
        raise UnsupportedFormat(f"no file system the Sleuth Kit can read at offset {offset:,} "
                                f"({failure_reason(exc)})") from exc
    except RuntimeError as exc:
        first = exc
    # Our media failed under one of the type probes (some read far into the volume, which a
    # damaged E01 may lack); one type at a time, the file system that is there still opens.
    for name in _FS_PROBES:
        try:
            return pytsk3.FS_Info(image, offset=offset, type=getattr(pytsk3, name))
        except TSK_FAILURES:
            continue
    raise UnsupportedFormat(f"no file system the Sleuth Kit can read at offset {offset:,} "
                            f"({failure_reason(first)})") from first


_FS_PROBES = ("TSK_FS_TYPE_FAT_DETECT", "TSK_FS_TYPE_NTFS_DETECT", "TSK_FS_TYPE_EXT_DETECT",
              "TSK_FS_TYPE_EXFAT", "TSK_FS_TYPE_HFS_DETECT", "TSK_FS_TYPE_ISO9660_DETECT")


def fs_type_name(fs: Any) -> str:
    import pytsk3

    code = fs.info.ftype
    for name in dir(pytsk3):
        if name.startswith("TSK_FS_TYPE_") and getattr(pytsk3, name) == code and not name.endswith("_DETECT"):
            return name.removeprefix("TSK_FS_TYPE_").lower()
    return f"type-{int(code)}"


@dataclass
class FsFile:
    """One regular file found in a file system, with what its metadata says."""

    path: str  # inside the file system, without a leading slash
    handle: Any  # pytsk3.File, readable until the walk moves on
    size: int
    deleted: bool
    times: Timestamps
    inode: int
    stream: int | None = None  # attribute id of a named NTFS data stream ("name:stream")


def _when(seconds: int, nano: int = 0) -> datetime | None:
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds + nano / 1e9, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _times(meta: Any) -> Timestamps:
    def get(name: str) -> datetime | None:
        return _when(getattr(meta, name, 0) or 0, getattr(meta, name + "_nano", 0) or 0)

    return Timestamps(modified=get("mtime"), accessed=get("atime"), changed=get("ctime"),
                      created=get("crtime"))


def files(fs: Any) -> Iterator[FsFile]:
    """Every regular file, allocated or deleted-with-metadata, in a stable depth-first order.

    Virtual files the Sleuth Kit invents for file-system structures ($MBR, $FAT1) and NTFS's
    own metadata files are left out; deleted files without a name appear under $OrphanFiles.
    NTFS's named data streams ("alternate data streams", a known place to hide a file behind
    an innocent one or a folder) follow their file or folder as ``path:stream``.
    """
    import pytsk3

    is_ntfs = fs_type_name(fs).startswith("ntfs")
    # The root counts as seen: a directory entry leading back to it (a loop in damaged or
    # hostile metadata) would otherwise list the whole file system a second time.
    seen_dirs: set[int] = {int(fs.info.root_inum)}
    stack: list[tuple[Any, str, bool]] = [(fs.open_dir(path="/"), "", False)]
    if is_ntfs:
        try:
            root = fs.open(path="/")
        except TSK_FAILURES:
            root = None
        if root is not None and root.info.meta is not None:
            yield from _named_streams(root, "", False, root.info.meta)  # ":stream" of the root
    while stack:
        directory, prefix, parent_deleted = stack.pop()
        entries: list[tuple[str, Any]] = []
        try:
            for entry in directory:
                raw = entry.info.name.name
                name = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else str(raw)
                if name in (".", ".."):
                    continue
                entries.append((name, entry))
        except TSK_FAILURES:
            continue  # a damaged directory: what was listed before the damage is kept
        entries.sort(key=lambda pair: pair[0])
        subdirs: list[tuple[Any, str, bool]] = []
        for name, entry in entries:
            name_flags = int(entry.info.name.flags)
            meta = entry.info.meta
            if meta is None:
                entry = _unallocated_meta(fs, entry)
                if entry is None:
                    continue  # a name whose metadata is gone or reused: nothing to read
                meta = entry.info.meta
            if is_ntfs and not prefix and meta.addr < NTFS_SYSTEM_RECORDS and name.startswith("$"):
                continue  # $MFT, $LogFile, ...: the file system's own; a user's "$x" is not
            deleted = (parent_deleted
                       or bool(name_flags & int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC))
                       or bool(int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_UNALLOC)))
            path = f"{prefix}{name}"
            if is_ntfs and meta.type in (pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_REG):
                streams = list(_named_streams(entry, path, deleted, meta))
            else:
                streams = []
            if meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                if meta.addr in seen_dirs:
                    continue  # a deleted entry pointing at a reused directory inode
                seen_dirs.add(meta.addr)
                with contextlib.suppress(*TSK_FAILURES):  # an unreadable folder: its streams stay
                    subdirs.append((entry.as_directory(), path + "/",
                                    deleted or name == "$OrphanFiles"))
                yield from streams
            elif meta.type == pytsk3.TSK_FS_META_TYPE_REG:
                size = int(meta.size)
                if not (deleted and size == 0):  # an emptied slot is not a file
                    yield FsFile(path, entry, size, deleted, _times(meta), int(meta.addr))
                yield from streams
        stack.extend(reversed(subdirs))


def _named_streams(entry: Any, path: str, deleted: bool, meta: Any) -> Iterator[FsFile]:
    import pytsk3

    found: list[FsFile] = []
    try:
        for attribute in entry:
            info = attribute.info
            if int(info.type) != int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA) or not info.name:
                continue
            raw = info.name
            name = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else str(raw)
            if deleted and not int(info.size):
                continue
            found.append(FsFile(f"{path}:{name}", entry, int(info.size), deleted, _times(meta),
                                int(meta.addr), int(info.id)))
    except TSK_FAILURES:
        pass  # damaged attribute list: the streams read before the damage are kept
    yield from sorted(found, key=lambda f: f.path)


def _is_read_stream(file: FsFile, attribute: Any) -> bool:
    """Whether ``attribute`` holds the data ``file`` stands for: its unnamed stream, or the
    named stream it was listed as."""
    if file.stream is None:
        return not attribute.info.name
    return int(attribute.info.id) == file.stream


def read_at(file: FsFile, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes of the file (or of its named stream) from ``offset``."""
    if file.stream is None:
        return bytes(file.handle.read_random(offset, size))
    import pytsk3

    return bytes(file.handle.read_random(offset, size, pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA,
                                         file.stream))


def allocated_bytes(file: FsFile) -> int | None:
    """The bytes the file's data really occupies (holes of a sparse file left out), or None
    when its block runs cannot be read."""
    import pytsk3

    sparse = int(pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE) | int(pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER)
    try:
        block = int(file.handle.info.fs_info.block_size)
        total = 0
        for attribute in file.handle:
            if int(attribute.info.type) not in (int(pytsk3.TSK_FS_ATTR_TYPE_DEFAULT),
                                                int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)):
                continue
            if not _is_read_stream(file, attribute):
                continue  # another stream of the same file
            for run in attribute:
                if not int(run.flags) & sparse:
                    total += int(run.len) * block
        return total
    except TSK_FAILURES:
        return None


def _unallocated_meta(fs: Any, entry: Any) -> Any:
    """The file behind a name whose metadata the directory walk did not load (NTFS marks a
    deleted MFT record free but may keep its index entry), only while no live file reuses it."""
    import pytsk3

    addr = int(entry.info.name.meta_addr or 0)
    if not addr or entry.info.name.type != pytsk3.TSK_FS_NAME_TYPE_REG:
        return None
    try:
        found = fs.open_meta(inode=addr)
    except TSK_FAILURES:
        return None
    meta = found.info.meta
    if meta is None or not int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_UNALLOC):
        return None
    return found


class FileReader:
    """A read-only stream over one file in a file system (for files too large for memory)."""

    def __init__(self, file: FsFile) -> None:
        self._file = file
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        remaining = self._file.size - self._pos
        want = remaining if size is None or size < 0 else min(size, remaining)
        if want <= 0:
            return b""
        want = min(want, READ_CHUNK * 8)
        try:
            data = read_at(self._file, self._pos, want)
        except RuntimeError as exc:  # our media failed under pytsk3: a plain read error here
            raise OSError(str(exc)) from exc
        if not data:
            raise OSError(f"read failed at offset {self._pos:,} of {self._file.path}")
        self._pos += len(data)
        return bytes(data)

    def close(self) -> None:
        """Nothing to release: the file system owns the handle."""

    def __enter__(self) -> FileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_all(file: FsFile) -> tuple[bytes, str | None]:
    """The file's bytes up to the first unreadable part, and why the rest is missing."""
    parts: list[bytes] = []
    pos = 0
    while pos < file.size:
        try:
            data = read_at(file, pos, min(READ_CHUNK, file.size - pos))
        except TSK_FAILURES as exc:
            reason = failure_reason(exc)
            return b"".join(parts), (f"bytes {pos:,}-{file.size:,} of {file.size:,} not "
                                     f"recoverable ({reason})")
        if not data:
            return b"".join(parts), f"bytes {pos:,}-{file.size:,} of {file.size:,} not recoverable"
        parts.append(bytes(data))
        pos += len(data)
    return b"".join(parts), None


def failure_reason(exc: BaseException) -> str:
    """The last line of a pytsk3 failure; our own media error when pytsk3 merely wrapped it."""
    text = str(exc).strip()
    if isinstance(exc, RuntimeError) and (m := re.fullmatch(r"\w+Error\('(.*)'\)", text)):
        return m[1]  # pytsk3 shows a failed read callback as the repr of its exception
    return text.splitlines()[-1] if text else "read error"
