"""What a hash-set reader yields: records, bad records (with their line or record number),
and facts about the whole set (its scheme, as the file declares it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HEX = re.compile(r"^[0-9a-fA-F]+$")
HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}


@dataclass
class Record:
    """One known file. Hashes are lowercase hex; ``category`` is the file's integer code."""

    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    category: int | None = None
    series: str | None = None
    name: str | None = None
    extra: dict[str, Any] | None = None


@dataclass(frozen=True)
class BadRecord:
    number: int  # line number for text formats, record number for JSON and SQLite
    unit: str  # "line" or "record"
    reason: str

    def __str__(self) -> str:
        return f"{self.unit} {self.number}: {self.reason}"


@dataclass
class SetFacts:
    """Facts about the whole file, filled in while it is read."""

    scheme: str | None = None
    version: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class HashSetReader(Protocol):
    name: str  # the --format value
    role: str  # "known_good" or "reference"

    def sniff(self, head: bytes, path: Path) -> bool:
        """True when the file's first bytes look like this format."""

    def read(self, path: Path, facts: SetFacts) -> Iterator[Record | BadRecord]:
        """Every record of the file, in order, without holding the file in memory."""


class BadValue(ValueError):
    """A field of one record is malformed; the record is reported and skipped."""


def hex_hash(kind: str, value: Any) -> str | None:
    """A hash as lowercase hex; None for absent or empty; BadValue if malformed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadValue(f"{kind} is not a string: {value!r:.40}")
    text = value.strip()
    if len(text) != HEX_LENGTHS[kind] or not HEX.match(text):
        raise BadValue(f"{kind} must be {HEX_LENGTHS[kind]} hex digits, got {text!r:.80}")
    return text.lower()


def int_or_none(field_name: str, value: Any) -> int | None:
    """An integer from an int or a numeric string; None for absent, null or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadValue(f"{field_name} is a boolean, not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    raise BadValue(f"{field_name} is not an integer: {value!r:.40}")


def bool_or_none(field_name: str, value: Any) -> bool | None:
    """A boolean from true/false or the strings "true"/"false" (any case), "1"/"0"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise BadValue(f"{field_name} is not a boolean: {value!r:.40}")
