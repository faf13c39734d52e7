"""ISO 9660 disc images are recognised by content (past their 32 KiB system area) and walked."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from sichter.demo.photos import encode, sample
from sichter.evidence.model import FileOccurrence, open_payload
from sichter.evidence.walk import walk
from sichter.settings import Limits

pytestmark = pytest.mark.skipif(shutil.which("genisoimage") is None, reason="genisoimage missing")


def test_iso_image_with_a_photo_is_opened_under_any_name(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "DCIM").mkdir(parents=True)
    photo = encode(sample("coffee"), "JPEG")
    (src / "DCIM" / "IMG_0001.JPG").write_bytes(photo)
    image = tmp_path / "backup.bin"  # the name says nothing; the content says ISO 9660
    subprocess.run(["genisoimage", "-quiet", "-J", "-R", "-V", "CASE", "-o", str(image), str(src)],
                   check=True)
    found = {e.path: e for e in walk(image, Limits()) if isinstance(e, FileOccurrence)}
    member = found["backup.bin!/DCIM/IMG_0001.JPG"]
    assert member.payload is not None
    with open_payload(member.payload) as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(photo).hexdigest()
