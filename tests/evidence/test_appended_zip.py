"""A ZIP appended to a photo or a program ("rarjpeg"-style hiding, self-extracting archives) is
opened like any archive: the photo shows as a photo, and the archive's members are listed under
it. Bytes that merely look like a ZIP's end are not taken for one."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from walk_support import content, walked

from sichter.demo.photos import encode, sample
from sichter.evidence.model import FileOccurrence
from sichter.evidence.sniff import appended_zip


def zipped(members: dict[str, bytes], comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.comment = comment
    return out.getvalue()


def sha(occ: FileOccurrence) -> str:
    return hashlib.sha256(content(occ)).hexdigest()


def test_a_zip_appended_to_a_photo_is_opened(tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    hidden = encode(sample("astronaut").resize((90, 90)), "PNG")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "holiday.jpg").write_bytes(
        photo + zipped({"x/inner.png": hidden}, comment=b"c" * 1000))
    found, _ = walked(tmp_path / "ev")
    assert sha(found["ev/holiday.jpg!/x/inner.png"]) == hashlib.sha256(hidden).hexdigest()
    assert found["ev/holiday.jpg"].error is None


def test_a_photo_ending_in_bytes_like_a_zip_end_is_only_a_photo(tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    fake_end = b"PK\x05\x06" + bytes(6) + b"\x01\x00\x01\x00" + (46).to_bytes(4, "little") \
        + (0).to_bytes(4, "little") + bytes(2)  # counts look right, no central directory
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "a.jpg").write_bytes(photo + fake_end)
    (tmp_path / "ev" / "b.jpg").write_bytes(photo + b"PK\x05\x06" + bytes(40))
    found, _ = walked(tmp_path / "ev")
    assert set(found) == {"ev/a.jpg", "ev/b.jpg"}
    assert all(o.error is None for o in found.values())


@settings(max_examples=300, deadline=None)
@given(prefix=st.binary(max_size=200), tail=st.binary(max_size=300))
def test_the_appended_zip_check_never_fails_and_needs_a_real_directory(prefix: bytes,
                                                                       tail: bytes) -> None:
    data = prefix + tail

    def peek(offset: int, n: int) -> bytes:
        return data[offset:offset + n] if offset >= 0 else b""

    found = appended_zip(data[-4096:], len(data), peek)
    if found:  # only with a central directory signature where the end record says
        assert b"PK\x01\x02" in data and b"PK\x05\x06" in data

