"""A PNG's text and ICC chunks cannot keep its pixels from being decoded."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.demo.photos import encode, sample
from sichter.errors import EvidenceError
from sichter.signals.image import _png_without_text, decode

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def with_chunk_after_header(png: bytes, extra: bytes) -> bytes:
    ihdr_end = len(SIGNATURE) + 12 + 13
    return png[:ihdr_end] + extra + png[ihdr_end:]


def test_a_photo_with_a_comment_that_inflates_past_pillows_limit_still_decodes() -> None:
    photo = encode(sample("coffee").resize((120, 80)), "PNG")
    comment = chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (4 * 1024**2), 9))
    decoded = decode(with_chunk_after_header(photo, comment), 512, 200_000_000)
    assert (decoded.width, decoded.height) == (120, 80)


def test_a_png_cut_inside_its_pixels_is_still_reported_as_truncated() -> None:
    photo = encode(sample("coffee").resize((120, 80)), "PNG")
    comment = chunk(b"tEXt", b"Comment\x00hello")
    with pytest.raises(EvidenceError, match="truncated"):
        decode(with_chunk_after_header(photo, comment)[: len(photo) // 2], 512, 200_000_000)


def test_a_truncated_png_is_an_error_even_after_the_pdf_report_was_made_in_the_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import ImageFile

    # What importing WeasyPrint does to the whole process (only the first import runs it, so
    # the test sets it itself rather than depending on which test imported WeasyPrint first).
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    photo = encode(sample("coffee").resize((120, 80)), "PNG")
    with pytest.raises(EvidenceError, match="truncated"):
        decode(photo[: len(photo) // 2], 512, 200_000_000)


_chunks = st.lists(st.tuples(st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"IDAT",
                                               b"acTL", b"eXIf"]),
                             st.binary(max_size=40)), max_size=8)


@given(_chunks, st.binary(max_size=11))  # a tail too short to be a chunk
def test_only_text_and_icc_chunks_are_left_out(chunks: list[tuple[bytes, bytes]], tail: bytes) -> None:
    data = SIGNATURE + b"".join(chunk(k, v) for k, v in chunks) + tail
    kept = SIGNATURE + b"".join(chunk(k, v) for k, v in chunks
                                if k not in {b"tEXt", b"zTXt", b"iTXt", b"iCCP"})
    assert _png_without_text(data) == kept + tail


@given(st.binary(max_size=300))
def test_any_bytes_after_a_png_signature_are_an_image_or_a_reasoned_error(body: bytes) -> None:
    try:
        decoded = decode(SIGNATURE + body, 512, 200_000_000)
    except EvidenceError as exc:
        assert str(exc)
    else:
        assert decoded.width > 0 and decoded.image.mode == "RGB"
