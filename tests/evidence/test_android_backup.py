"""Android backups (``adb backup``, an extraction many field tools make) are opened: the files
of the tar inside are walked with their paths and SHA-256, compressed or not; an encrypted one
says it needs the password; a cut one keeps what came before the cut."""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
import zlib
from pathlib import Path

import pytest
from walk_support import content, walked

from sichter.demo.photos import encode, sample
from sichter.evidence.model import FileOccurrence


def tar_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def backup(members: dict[str, bytes], compressed: bool = True, encryption: str = "none") -> bytes:
    tar = tar_of(members)
    header = b"ANDROID BACKUP\n5\n" + (b"1\n" if compressed else b"0\n") + encryption.encode() + b"\n"
    return header + (zlib.compress(tar) if compressed else tar)


def sha(occ: FileOccurrence) -> str:
    return hashlib.sha256(content(occ)).hexdigest()


@pytest.mark.parametrize("compressed", [True, False], ids=["compressed", "plain"])
def test_the_files_of_an_android_backup_are_walked(compressed: bool, tmp_path: Path) -> None:
    photo = encode(sample("coffee").resize((120, 90)), "JPEG")
    # Larger than the reads the walker makes, half compressible: inflating it spans many reads.
    big = bytes(range(256)) * 4096 + random.Random(1).randbytes(1 << 20)
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "phone.ab").write_bytes(backup(
        {"apps/com.example.gallery/f/IMG_0001.jpg": photo, "apps/com.example.gallery/_manifest":
         b"manifest\n", "shared/0/Download/big.bin": big}, compressed))
    found, done = walked(tmp_path / "ev")
    member = found["ev/phone.ab!/apps/com.example.gallery/f/IMG_0001.jpg"]
    assert sha(member) == hashlib.sha256(photo).hexdigest()
    assert sha(found["ev/phone.ab!/shared/0/Download/big.bin"]) == hashlib.sha256(big).hexdigest()
    assert all(d.error is None for d in done)


def test_an_encrypted_android_backup_says_it_needs_the_password(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    data = b"ANDROID BACKUP\n5\n1\nAES-256\n" + b"00" * 64 + b"\n" + bytes(range(256))
    (tmp_path / "ev" / "locked.ab").write_bytes(data)
    found, done = walked(tmp_path / "ev")
    assert "ev/locked.ab" in found
    assert any(d.error and "password" in d.error for d in done)


def test_a_cut_android_backup_keeps_the_files_before_the_cut(tmp_path: Path) -> None:
    first = encode(sample("coffee").resize((120, 90)), "JPEG")
    second = encode(sample("rocket").resize((400, 300)), "PNG")
    data = backup({"apps/a/f/first.jpg": first, "apps/a/f/second.png": second})
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "cut.ab").write_bytes(data[: len(data) * 2 // 3])
    found, done = walked(tmp_path / "ev")
    assert sha(found["ev/cut.ab!/apps/a/f/first.jpg"]) == hashlib.sha256(first).hexdigest()
    cut = [d for d in done if str(d.locator).endswith("cut.ab")]
    assert cut and cut[0].error and "truncated" in cut[0].error
