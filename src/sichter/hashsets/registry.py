"""The hash-set formats Sichter reads, by their stable ``--format`` name, and auto-detection."""

from __future__ import annotations

from pathlib import Path

from sichter.errors import UnsupportedFormat
from sichter.hashsets.lists import HashListReader, PdqReader
from sichter.hashsets.model import HashSetReader
from sichter.hashsets.nsrl import NsrlReader
from sichter.hashsets.vics import VicsReader
from sichter.hashsets.vpdq_reader import VpdqReader

READERS: dict[str, HashSetReader] = {}


def register(reader: HashSetReader) -> HashSetReader:
    if reader.name in READERS:
        raise ValueError(f"a hash-set reader named {reader.name!r} is already registered")
    READERS[reader.name] = reader
    return reader


# Detection order matters: NSRL and VICS have unmistakable heads; PDQ lines start with "pdq";
# a bare 64-hex line is a SHA-256 list, not PDQ.
for _reader in (NsrlReader(), VicsReader(), PdqReader(), HashListReader("md5"), HashListReader("sha1"),
                HashListReader("sha256"), VpdqReader()):
    register(_reader)


def reader_for(path: Path, fmt: str = "auto") -> HashSetReader:
    """The reader for ``fmt``, or the first whose sniff accepts the file's head."""
    if fmt != "auto":
        if fmt not in READERS:
            raise UnsupportedFormat(f"unknown hash-set format {fmt!r}; choose auto or "
                                    + ", ".join(READERS))
        return READERS[fmt]
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    for reader in READERS.values():
        if reader.sniff(head, path):
            return reader
    raise UnsupportedFormat(f"{path.name}: not a hash-set format Sichter recognises "
                            f"({', '.join(READERS)}); name one with --format")
