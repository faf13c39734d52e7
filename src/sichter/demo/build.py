"""The demo case: a phone-like folder tree, chat exports as archives, and broken files."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from sichter.demo import hostile
from sichter.demo.photos import TRANSFORMS, encode, sample

PEOPLE_AND_THINGS = ["astronaut", "coffee", "chelsea", "rocket", "camera", "motorcycle_left"]
TEXTURES = ["brick", "grass", "gravel", "moon", "coins"]


def generate(target: Path) -> int:
    """Write the demo evidence under ``target`` (created); returns the number of files written."""
    target.mkdir(parents=True, exist_ok=True)
    written = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal written
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1

    camera = target / "phone" / "DCIM" / "Camera"
    for i, name in enumerate(PEOPLE_AND_THINGS + TEXTURES):
        im = sample(name)
        put(f"{camera.relative_to(target)}/IMG_{1000 + i}.jpg", encode(im, "JPEG", quality=90))
        for tname in ("half", "gray", "mirror"):
            put(f"phone/Pictures/edited/{name}_{tname}.jpg",
                encode(TRANSFORMS[tname](im), "JPEG", quality=80))
    formats = {"png": "PNG", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF", "gif": "GIF", "heic": "HEIF"}
    for ext, fmt in formats.items():
        put(f"phone/Download/coffee.{ext}", encode(sample("coffee"), fmt))
    # Same photo twice under other names: one content, several occurrences.
    put("phone/Download/copy_of_IMG_1000.jpg", (camera / "IMG_1000.jpg").read_bytes())
    # A JPEG that pretends to be text, and text that pretends to be a JPEG.
    put("phone/Documents/notes.txt", encode(sample("chelsea"), "JPEG"))
    put("phone/Documents/shopping.jpg", b"milk, bread, coffee\n")
    put("phone/Documents/readme.md", b"# Holiday\nPhotos from the trip.\n")
    # Broken files.
    put("phone/broken/truncated.jpg", hostile.truncated(encode(sample("rocket"), "JPEG")))
    put("phone/broken/empty.jpg", b"")
    put("phone/broken/bomb.png", hostile.png_bomb())

    chat = _zip({f"chat/IMG-{i:03d}.jpg": encode(sample(n), "JPEG", quality=70)
                 for i, n in enumerate(["astronaut", "coffee", "grass"], 1)}
                | {"chat/messages.txt": b"see you tomorrow\n"})
    put("exports/whatsapp-export.zip", chat)
    put("exports/nested.zip", _zip({"inner/inner.zip": chat,
                                    "inner/cat.png": encode(sample("chelsea"), "PNG")}))
    put("exports/backup.tar.gz", _tar_gz({"backup/DCIM/rocket.jpg": encode(sample("rocket"), "JPEG"),
                                          "backup/DCIM/moon.webp": encode(sample("moon"), "WEBP")}))
    put("exports/photos.7z", _7z({"album/camera.jpg": encode(sample("camera"), "JPEG"),
                                  "album/horse.png": encode(sample("horse"), "PNG")}))
    put("exports/corrupt.zip", hostile.corrupt_zip(chat))
    put("exports/slip.zip", hostile.zip_slip(encode(sample("coins"), "JPEG")))
    return written


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _7z(members: dict[str, bytes]) -> bytes:
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return buf.getvalue()
