"""Benign RAR archives written by the tests themselves (no RAR writer is free software): the
RAR 4 block format with members stored uncompressed, as WinRAR's "store" method writes them."""

from __future__ import annotations

import struct
import zlib


def _block(head_type: int, flags: int, body: bytes) -> bytes:
    header = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(header) & 0xFFFF) + header


def rar4(members: dict[str, bytes], encrypted: frozenset[str] = frozenset()) -> bytes:
    """A RAR 4 archive holding ``members`` (name -> bytes); names in ``encrypted`` carry the
    password flag (their data is then unreadable, as for a real encrypted member)."""
    out = [b"Rar!\x1a\x07\x00", _block(0x73, 0, bytes(6))]  # marker, archive header
    for name, data in members.items():
        raw = name.encode("utf-8", "surrogateescape")  # "\udce9" writes the byte 0xE9
        flags = 0x8000 | (0x0004 if name in encrypted else 0)  # long block [+ password]
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 0, zlib.crc32(data), 0x5A8E0000,
                           20, 0x30, len(raw), 0x20) + raw  # store method (0x30)
        out.append(_block(0x74, flags, body) + data)
    out.append(_block(0x7B, 0x4000, b""))  # end of archive
    return b"".join(out)


def _vint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _header5(head_type: int, flags: int, fields: bytes, data_size: int | None = None) -> bytes:
    body = _vint(head_type) + _vint(flags) + (_vint(data_size) if data_size is not None else b"")
    sized = _vint(len(body + fields)) + body + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized


def rar5(members: dict[str, bytes]) -> bytes:
    """A RAR 5 archive holding ``members``, stored uncompressed (WinRAR 5's default format)."""
    out = [b"Rar!\x1a\x07\x01\x00", _header5(1, 0, _vint(0))]  # signature, main header
    for name, data in members.items():
        raw = name.encode()
        fields = (_vint(0x4) + _vint(len(data)) + _vint(0x20) + struct.pack("<I", zlib.crc32(data))
                  + _vint(0) + _vint(0) + _vint(len(raw)) + raw)  # CRC, store, Windows
        out.append(_header5(2, 0x2, fields, len(data)) + data)
    out.append(_header5(5, 0, _vint(0)))  # end of archive
    return b"".join(out)
