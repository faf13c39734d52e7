"""Reading a large JSON document one array element at a time, in bounded memory.

The standard library decodes whole documents only; here ``raw_decode`` is applied to a sliding
text buffer, so that a hash set of millions of Media objects never sits in memory at once.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

CHUNK = 1 << 20
MAX_ELEMENT_CHARS = 64 << 20  # one element (a Case with its Media) larger than this is refused
_WS = " \t\r\n"


class JsonStreamError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _decoder_for(head: bytes) -> tuple[str, int]:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    return "utf-8", 0


class JsonStream:
    """A cursor over a JSON text that decodes values on demand."""

    def __init__(self, raw: BinaryIO) -> None:
        head = raw.read(4)
        encoding, skip = _decoder_for(head)
        self._raw = raw
        self._dec = codecs.getincrementaldecoder(encoding)(errors="strict")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._lines_before = 0
        self._feed(head[skip:])

    def _feed(self, data: bytes) -> None:
        try:
            text = self._dec.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise JsonStreamError(f"not valid text: {exc.reason}", self.line) from exc
        if self.pos:
            self._lines_before += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += text

    def fill(self) -> bool:
        """Read more text; False at the end of the file."""
        if self.eof:
            return False
        data = self._raw.read(CHUNK)
        if not data:
            self.eof = True
        self._feed(data)
        return not self.eof or bool(self.buf)

    @property
    def line(self) -> int:
        return self._lines_before + self.buf.count("\n", 0, self.pos) + 1

    def peek(self) -> str:
        """The next non-blank character, or "" at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof or not self.fill():
                return ""

    def expect(self, chars: str) -> str:
        ch = self.peek()
        if not ch or ch not in chars:
            found = repr(ch) if ch else "end of file"
            raise JsonStreamError(f"expected {' or '.join(repr(c) for c in chars)}, found {found}",
                                  self.line)
        self.pos += 1
        return ch

    def value(self) -> Any:
        """Decode the next JSON value; it may span many buffer refills."""
        self.peek()
        decoder = json.JSONDecoder()
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:  # a number cut at the buffer's end would lie
                    self.pos = end
                    return value
            except json.JSONDecodeError as exc:
                if self.eof or len(self.buf) - self.pos > MAX_ELEMENT_CHARS:
                    line = self._lines_before + self.buf.count("\n", 0, exc.pos) + 1
                    raise JsonStreamError(f"malformed JSON: {exc.msg}", line) from exc
            self.fill()


def top_level(stream: JsonStream) -> Iterator[tuple[str, Any]]:
    """The top-level object's members in order; an array member is yielded as ``(key, None)``
    with the cursor on its first element, and must be consumed with ``elements`` first."""
    stream.expect("{")
    if stream.peek() == "}":
        stream.pos += 1
        return
    while True:
        key = stream.value()
        if not isinstance(key, str):
            raise JsonStreamError("expected a member name", stream.line)
        stream.expect(":")
        if stream.peek() == "[":
            stream.pos += 1
            yield key, None
        else:
            yield key, stream.value()
        if stream.expect(",}") == "}":
            return


def elements(stream: JsonStream) -> Iterator[Any]:
    """The elements of the array the cursor is in, up to and including its closing bracket."""
    if stream.peek() == "]":
        stream.pos += 1
        return
    while True:
        yield stream.value()
        if stream.expect(",]") == "]":
            return
