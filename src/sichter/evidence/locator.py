"""Where a file was found: an immutable chain of containers, printable and parseable.

``str(loc)`` is the evidence path of the export contract, e.g. ``export.zip!/chat/IMG-001.jpg``
or ``disk.E01!/p1/DCIM/x.zip!/IMG_1.jpg``. Every stage passes locators, never open handles.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SEPARATOR = "!/"


def printable(text: str) -> str:
    """``text`` as Unicode any database and export can hold.

    File systems and tar headers may carry names that are not UTF-8; Python hands their bytes
    over as lone surrogates (U+DC80..U+DCFF), which SQLite and PostgreSQL refuse, so a single
    such name used to stop the whole ingest. Those bytes are written as ``\\xNN`` (as Python's
    repr and ``ls -b`` show them), other lone surrogates as ``\\uNNNN`` and NUL, which
    PostgreSQL text cannot hold, as ``\\x00``. Valid names come back unchanged.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escape(ch) for ch in text)
    return text.replace("\x00", "\\x00")


def on_disk(printed: str) -> str:
    """The file-system path a :func:`printable` path was made from: its ``\\xNN`` escapes of
    undecodable bytes (NN >= 80) back to the bytes (as surrogates, Python's form for them).

    Best effort: a name that literally contains such an escape is taken as it is when it exists.
    """
    if "\\x" not in printed or os.path.lexists(printed):
        return printed
    return _BYTE_ESCAPE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), printed)


_BYTE_ESCAPE = re.compile(r"\\x([89a-f][0-9a-f])")


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # one undecodable byte, as surrogateescape carries it
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return "\\x00" if ch == "\x00" else ch


@dataclass(frozen=True, slots=True)
class Locator:
    """One hop of an origin chain.

    ``kind`` names how ``inner_path`` is resolved inside ``parent``: ``file`` for the top level
    (a path relative to the source's parent folder), ``zip``, ``tar``, ``7z`` for archive members,
    and later ``ewf``, ``volume``, ``fs`` for disk images.
    """

    kind: str
    inner_path: str
    parent: Locator | None = None

    def __post_init__(self) -> None:
        # Escaped once here, so that every reader's names reach the store and the export
        # as valid Unicode; the evidence itself is opened through payloads, never by this name.
        object.__setattr__(self, "inner_path", printable(self.inner_path))

    def child(self, kind: str, inner_path: str) -> Locator:
        return Locator(kind=kind, inner_path=inner_path, parent=self)

    @property
    def depth(self) -> int:
        """How many containers lie between the top-level source and this file."""
        return 0 if self.parent is None else 1 + self.parent.depth

    @property
    def name(self) -> str:
        """The last path component, as an examiner would call the file."""
        return self.inner_path.rstrip("/").rsplit("/", 1)[-1]

    def chain(self) -> list[tuple[str, str]]:
        """(kind, inner_path) pairs from the top-level source down to this file."""
        hops: list[tuple[str, str]] = []
        node: Locator | None = self
        while node is not None:
            hops.append((node.kind, node.inner_path))
            node = node.parent
        return hops[::-1]

    @classmethod
    def from_chain(cls, hops: list[tuple[str, str]] | list[list[str]]) -> Locator:
        node: Locator | None = None
        for kind, inner in hops:
            node = Locator(kind=kind, inner_path=inner, parent=node)
        if node is None:
            raise ValueError("an origin chain needs at least one hop")
        return node

    def __str__(self) -> str:
        return SEPARATOR.join(inner for _, inner in self.chain())

    @classmethod
    def parse(cls, text: str, kinds: list[str] | None = None) -> Locator:
        """Parse a printed evidence path back; ``kinds`` restores the hop kinds if known.

        Without kinds, the hops are typed ``file`` then ``member``. A member whose own name
        contains ``!/`` cannot be told apart in print; the stored chain is authoritative.
        """
        parts = text.split(SEPARATOR)
        if kinds is None:
            kinds = ["file"] + ["member"] * (len(parts) - 1)
        if len(kinds) != len(parts):
            raise ValueError(f"{len(parts)} hops in {text!r} but {len(kinds)} kinds given")
        return cls.from_chain(list(zip(kinds, parts, strict=True)))
