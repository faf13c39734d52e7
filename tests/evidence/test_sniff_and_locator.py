"""Content type comes from magic bytes; locators print and parse as the export contract says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.demo.photos import encode, sample
from sichter.evidence.locator import Locator, printable
from sichter.evidence.sniff import sniff


@pytest.mark.parametrize(("fmt", "mime"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
    ("BMP", "image/bmp"), ("TIFF", "image/tiff"), ("HEIF", "image/heic"),
])
def test_images_are_recognised_by_content(fmt: str, mime: str) -> None:
    data = encode(sample("coffee").resize((64, 48)), fmt)
    ctype = sniff(data[:4096])
    assert ctype.media_type == "image"
    assert ctype.mime == mime


def test_text_is_other_even_when_it_starts_like_nothing_known() -> None:
    assert sniff(b"milk, bread, coffee\n").media_type == "other"
    assert sniff(b"").mime == "application/x-empty"


def test_video_containers_are_videos() -> None:
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    mov = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64
    gp3 = b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x003gp4" + b"\x00" * 64
    mkv = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 32
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 32
    avi = b"RIFF\x00\x00\x00\x00AVI LIST" + b"\x00" * 32
    assert [sniff(x).mime for x in (mp4, mov, gp3, mkv, webm, avi)] == [
        "video/mp4", "video/quicktime", "video/3gpp", "video/x-matroska", "video/webm",
        "video/x-msvideo"]
    assert all(sniff(x).media_type == "video" for x in (mp4, mov, gp3, mkv, webm, avi))


@given(st.binary(max_size=5000))
def test_sniff_never_fails_on_arbitrary_bytes(data: bytes) -> None:
    ctype = sniff(data)
    assert ctype.media_type in {"image", "video", "other"}
    assert "/" in ctype.mime


def test_locator_prints_the_export_path() -> None:
    loc = Locator("file", "a.zip").child("zip", "inner.zip").child("zip", "x.jpg")
    assert str(loc) == "a.zip!/inner.zip!/x.jpg"
    assert loc.depth == 2
    assert loc.name == "x.jpg"


_name = st.text(st.characters(blacklist_characters="!", blacklist_categories=("Cs",)),
                min_size=1, max_size=30)


@given(st.lists(_name, min_size=1, max_size=6))
def test_locator_round_trips_through_print_and_parse(parts: list[str]) -> None:
    kinds = ["file"] + ["zip"] * (len(parts) - 1)
    loc = Locator.from_chain(list(zip(kinds, parts, strict=True)))
    assert Locator.parse(str(loc), kinds) == loc
    assert Locator.from_chain(loc.chain()) == loc


def test_names_that_are_not_utf8_print_their_bytes_as_escapes() -> None:
    raw = b"DCIM/Caf\xe9 \xff.jpg".decode("utf-8", "surrogateescape")  # as os.listdir gives it
    assert Locator("file", raw).inner_path == "DCIM/Caf\\xe9 \\xff.jpg"
    assert str(Locator("file", "a.tar").child("tar", "x\x00y.jpg")) == "a.tar!/x\\x00y.jpg"
    assert Locator("file", "ünïcödé 名前\n.jpg").inner_path == "ünïcödé 名前\n.jpg"


@given(st.text())
def test_every_name_becomes_storable_text(name: str) -> None:
    shown = printable(name)
    shown.encode("utf-8")  # a lone surrogate would raise here, as the database driver did
    assert "\x00" not in shown
    assert printable(shown) == shown
