"""vPDQ files as hash sets: one file is one known video (formats.md §5.2).

Two serialisations are read: the C++ ``vpdq-hash-video`` text (``frameNumber,quality,pdqhex,
timestamp`` per line) and python-threatexchange's signal string (a JSON array of
``"pdqhex,quality,timestamp"``). The entry keeps the frames as C++ lines in
``extra["vpdq"]``; category and series come from the import options.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from sichter.errors import CorruptData
from sichter.hashsets.model import BadRecord, Record, SetFacts
from sichter.signals.vpdq import VpdqFeature, from_threatexchange

_CPP_LINE = re.compile(r"^\s*\d+\s*,\s*\d+\s*,\s*[0-9a-fA-F]{64}\s*,\s*[-+0-9.eE]+\s*$")
_TX_ITEM = re.compile(r'^\s*\[\s*"[0-9a-fA-F]{64},')
MAX_BYTES = 64 << 20  # a day of video at one hash a second is ~7 MB


class VpdqReader:
    name = "vpdq"
    role = "reference"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.decode("utf-8-sig", errors="replace")
        if _TX_ITEM.match(text) or text.strip() == "[]":
            return True
        first = next((line for line in text.splitlines() if line.strip()), "")
        return bool(_CPP_LINE.match(first))

    def read(self, path: Path, facts: SetFacts) -> Iterator[Record | BadRecord]:
        if path.stat().st_size > MAX_BYTES:
            yield BadRecord(1, "record", f"a vPDQ file larger than {MAX_BYTES >> 20} MB is no video hash")
            return
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        facts.details["vpdq_format"] = "threatexchange" if text.lstrip().startswith("[") else "cpp"
        frames: list[VpdqFeature] = []
        if text.lstrip().startswith("["):
            try:
                frames = from_threatexchange(text)
            except CorruptData as exc:
                yield BadRecord(1, "record", str(exc))
                return
        else:
            for number, line in enumerate(text.splitlines(), 1):
                if not line.strip() or line.startswith("#"):
                    continue
                try:
                    frames.append(VpdqFeature.parse(line))
                except CorruptData as exc:
                    yield BadRecord(number, "line", str(exc))
        if not frames:
            yield BadRecord(1, "record", "no vPDQ frame in the file")
            return
        yield Record(name=path.name, extra={"vpdq": [f.line() for f in frames]})

