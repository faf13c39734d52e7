"""One registry of container readers, keyed by the archive kind that sniffing reports."""

from __future__ import annotations

from sichter.evidence.compressed_reader import CompressedReader
from sichter.evidence.disk.reader import DiskImageReader
from sichter.evidence.model import ContainerReader
from sichter.evidence.rar_reader import RarReader
from sichter.evidence.sevenzip_reader import SevenZipReader
from sichter.evidence.tar_reader import TarReader
from sichter.evidence.thumbcache_reader import ThumbcacheReader
from sichter.evidence.zip_reader import ZipReader

_READERS: dict[str, ContainerReader] = {}


def register(kind: str, reader: ContainerReader) -> None:
    """Register a reader; a second reader for the same kind is refused at once."""
    if kind in _READERS:
        raise ValueError(f"a container reader for {kind!r} is already registered")
    _READERS[kind] = reader


def reader_for(kind: str | None) -> ContainerReader | None:
    return _READERS.get(kind) if kind else None


def kinds() -> list[str]:
    return sorted(_READERS)


register("zip", ZipReader())
register("tar", TarReader())
register("7z", SevenZipReader())
register("rar", RarReader())
register("thumbcache", ThumbcacheReader())
for _kind in ("gzip", "bzip2", "xz", "android-backup"):
    register(_kind, CompressedReader(_kind))
for _kind in ("ewf", "disk", "vhd", "vmdk", "qcow"):
    register(_kind, DiskImageReader(_kind))
