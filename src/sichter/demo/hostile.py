"""Broken and hostile files, benign in content, that every reader must survive."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: max(1, int(len(data) * keep))]


def png_bomb(width: int = 40000, height: int = 40000) -> bytes:
    """A tiny PNG whose header declares a huge canvas: a decompression bomb by declaration."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    # One compressed row of zeros; a decoder trusting the header would allocate 1.6 GB.
    idat = zlib.compress(b"\x00" * (width + 1), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bomb(uncompressed_bytes: int = 300 * 1024**2, name: str = "zeros.bin") -> bytes:
    """A zip of one member of zeros: ~300 KB that expands to ``uncompressed_bytes``."""
    buf = io.BytesIO()
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open(info, "w", force_zip64=True) as member:
        block = b"\x00" * (1024 * 1024)
        for _ in range(uncompressed_bytes // len(block)):
            member.write(block)
    return buf.getvalue()


def zip_slip(payload: bytes, name: str = "../../evil/x.jpg") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name), payload)
        zf.writestr("ok.txt", b"benign text\n")
    return buf.getvalue()


def corrupt_zip(valid_zip: bytes) -> bytes:
    """A zip whose central directory is cut off."""
    return valid_zip[: len(valid_zip) * 2 // 3]
