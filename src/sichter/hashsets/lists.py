"""Plain hash lists (one MD5, SHA-1 or SHA-256 per line, optional ``,filename``) and PDQ lists
(CSV with header ``pdq,category[,series]``, or lines ``pdq <64 hex>``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from sichter.hashsets.model import BadRecord, BadValue, Record, SetFacts, hex_hash, int_or_none

# Header lines some tools write above a plain list (X-Ways: "MD5", "SHA-1").
_HEADERS = {"md5", "sha1", "sha-1", "sha256", "sha-256", "hash"}

HashKind = Literal["md5", "sha1", "sha256"]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        for number, line in enumerate(f, 1):
            yield number, line.strip()


def _first_line(head: bytes) -> str:
    text = head.decode("utf-8-sig", errors="replace")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return line.strip()
    return ""


class HashListReader:
    role = "reference"

    def __init__(self, kind: HashKind) -> None:
        self.name: str = kind  # the --format value, as HashSetReader declares it
        self.kind = kind

    def sniff(self, head: bytes, path: Path) -> bool:
        first = _first_line(head)
        if first.lower() in _HEADERS:
            first = _first_line(head.split(b"\n", 1)[1] if b"\n" in head else b"")
        try:
            return hex_hash(self.kind, first.split(",", 1)[0]) is not None
        except BadValue:
            return False

    def read(self, path: Path, facts: SetFacts) -> Iterator[Record | BadRecord]:
        for number, line in _lines(path):
            if not line or line.startswith("#") or (number == 1 and line.lower() in _HEADERS):
                continue
            value, _, name = line.partition(",")
            try:
                digest = hex_hash(self.kind, value)
            except BadValue as exc:
                yield BadRecord(number, "line", str(exc))
                continue
            yield _record(self.kind, digest, name.strip() or None)


def _record(kind: HashKind, digest: str | None, name: str | None) -> Record:
    """A record carrying ``digest`` in the field named ``kind``."""
    if kind == "md5":
        return Record(md5=digest, name=name)
    if kind == "sha1":
        return Record(sha1=digest, name=name)
    return Record(sha256=digest, name=name)


class PdqReader:
    name = "pdq"
    role = "reference"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = _first_line(head).lower()
        return first.startswith("pdq,") or first == "pdq" or first.startswith("pdq ")

    def read(self, path: Path, facts: SetFacts) -> Iterator[Record | BadRecord]:
        lines = _lines(path)
        for number, line in lines:
            if not line or line.startswith("#"):
                continue
            if line.lower().replace(" ", "").startswith("pdq,") or line.lower() == "pdq":
                yield from self._csv(line, lines)
                return
            yield self._line(number, line)

    @staticmethod
    def _line(number: int, line: str) -> Record | BadRecord:
        word, _, value = line.partition(" ")
        if word.lower() != "pdq":
            return BadRecord(number, "line", f"expected 'pdq <64 hex>', got {line!r:.80}")
        try:
            return Record(pdq=hex_hash("pdq", value.strip()) or _missing())
        except BadValue as exc:
            return BadRecord(number, "line", str(exc))

    @staticmethod
    def _csv(header: str, lines: Iterator[tuple[int, str]]) -> Iterator[Record | BadRecord]:
        columns = [c.strip().lower() for c in next(csv.reader([header]))]
        for number, line in lines:
            if not line or line.startswith("#"):
                continue
            try:
                row = next(csv.reader(io.StringIO(line)))
                if len(row) > len(columns):
                    raise BadValue(f"{len(row)} fields, the header has {len(columns)}")
                fields = dict(zip(columns, (f.strip() for f in row), strict=False))
                yield Record(pdq=hex_hash("pdq", fields.get("pdq")) or _missing(),
                             category=int_or_none("category", fields.get("category")),
                             series=fields.get("series") or None)
            except (BadValue, csv.Error, StopIteration) as exc:
                yield BadRecord(number, "line", str(exc) or "empty CSV line")


def _missing() -> str:
    raise BadValue("no PDQ hash")
