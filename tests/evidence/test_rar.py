"""RAR archives are opened like zip and 7z: every member with its path and SHA-256, nested
archives inside them too; damage, encryption and limits are errors on what they affect."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from rar_files import rar4, rar5
from walk_support import content, walked

from sichter.demo.build import _zip
from sichter.demo.photos import encode, sample
from sichter.evidence.sniff import sniff
from sichter.settings import Limits


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("make", [rar4, rar5], ids=["RAR 4", "RAR 5"])
def test_rar_members_and_a_zip_inside_come_back_with_their_hashes(make: Callable[..., bytes],
                                                                  tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    other = encode(sample("chelsea").resize((90, 60)), "PNG")
    (tmp_path / "ev").mkdir()
    archive = make({"DCIM/IMG_0001.jpg": photo, "inner.zip": _zip({"x.png": other})})
    (tmp_path / "ev" / "backup.rar").write_bytes(archive)
    found, done = walked(tmp_path / "ev")
    assert sniff(archive[:64]).archive == "rar"
    assert sha(content(found["ev/backup.rar!/DCIM/IMG_0001.jpg"])) == sha(photo)
    assert sha(content(found["ev/backup.rar!/inner.zip!/x.png"])) == sha(other)
    rar_done = [d for d in done if str(d.locator).endswith("backup.rar")]
    assert rar_done and rar_done[0].error is None and rar_done[0].members == 2


def test_an_encrypted_rar_member_is_an_error_the_others_are_read(tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "a.rar").write_bytes(
        rar4({"open.jpg": photo, "locked.jpg": b"\x00" * 64}, encrypted=frozenset({"locked.jpg"})))
    found, _ = walked(tmp_path / "ev")
    assert sha(content(found["ev/a.rar!/open.jpg"])) == sha(photo)
    locked = found["ev/a.rar!/locked.jpg"]
    assert locked.payload is None and "encrypted" in (locked.error or "")


def test_a_truncated_rar_keeps_what_came_before_the_damage(tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    data = rar4({"first.jpg": photo, "second.jpg": photo[::-1]})
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "cut.rar").write_bytes(data[: len(data) - len(photo) // 2])
    found, done = walked(tmp_path / "ev")
    assert sha(content(found["ev/cut.rar!/first.jpg"])) == sha(photo)
    second = found.get("ev/cut.rar!/second.jpg")
    cut_done = [d for d in done if str(d.locator).endswith("cut.rar")][0]
    assert (second is not None and second.error) or cut_done.error


def test_rar_members_count_against_the_member_limit(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "many.rar").write_bytes(rar4({f"f{i}.txt": b"x" * i for i in range(1, 8)}))
    found, done = walked(tmp_path / "ev", Limits(max_members=3))
    assert len([p for p in found if p.startswith("ev/many.rar!/")]) == 3
    assert "limit" in ([d for d in done if str(d.locator).endswith("many.rar")][0].error or "")


def test_garbage_after_the_rar_signature_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "bad.rar").write_bytes(b"Rar!\x1a\x07\x00" + bytes(range(256)) * 4)
    found, done = walked(tmp_path / "ev")
    assert "ev/bad.rar" in found
    bad = [d for d in done if str(d.locator).endswith("bad.rar")][0]
    assert bad.error and "RAR" in bad.error


def test_a_rar_member_name_that_is_not_utf8_is_kept_escaped(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "n.rar").write_bytes(rar4({"caf\udce9.jpg": b"x" * 10}))  # Latin-1 é
    found, _ = walked(tmp_path / "ev")
    assert content(found["ev/n.rar!/caf\\xe9.jpg"]) == b"x" * 10
