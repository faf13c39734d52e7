"""Disk-image reading throughput against The Sleuth Kit's own fls + icat, on one ext4 image.

    .venv/bin/python bench/disk.py [--gb 1.0] [--ewf] [--ingest]

Generates (once; cached in bench/out/) a raw ext4 image of about ``--gb`` GB filled with
benign photos (scikit-image samples; each copy gets unique trailing bytes, so every file is a
distinct content), built without root through mkfs.ext4 -d. Then, in the same run:

- Sichter: ``evidence.walk`` over the image, reading every file's bytes through the payload
  it hands to the pipeline (what `sichter ingest` reads; analysis is a separate cost);
- The Sleuth Kit: ``fls -r -p -F`` to list the files, then ``icat`` per file into a pipe
  that is read and discarded.

Prints files/s and MB/s of both and the ratio. ``--ewf`` runs both again on an E01 of the same
image (deflate "fast"; Sichter's time there includes verifying the stored MD5/SHA-1, one
extra full read of the media). ``--ingest`` also times a full `sichter
ingest` into a fresh SQLite case (hashing, decoding, PDQ, thumbnails, stages).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sichter.demo.photos import SAMPLES, encode, large_photo  # noqa: E402
from sichter.evidence.model import FileOccurrence, open_payload  # noqa: E402
from sichter.evidence.walk import walk  # noqa: E402
from sichter.settings import Limits  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
DISTINCT = 120


def make_image(gb: float) -> Path:
    image = OUT / f"disk-ext4-{gb:g}gb.img"
    if image.is_file():
        return image
    tree = OUT / f"disk-tree-{gb:g}gb"
    tree.mkdir(parents=True, exist_ok=True)
    names = [s for s in SAMPLES if s not in {"logo", "text"}]
    photos = [encode(large_photo(names[i % len(names)], 1.5, seed=i), "JPEG", quality=90)
              for i in range(DISTINCT)]
    budget = int(gb * 0.85 * 1024**3)
    total = i = 0
    while total < budget:
        folder = tree / "DCIM" / f"{100 + i // 500:03d}CAMERA"
        folder.mkdir(parents=True, exist_ok=True)
        data = photos[i % DISTINCT] + i.to_bytes(8, "big")  # trailing bytes: a new SHA-256
        (folder / f"IMG_{i:05d}.JPG").write_bytes(data)
        total += len(data)
        i += 1
    partial = image.with_suffix(".partial")
    with partial.open("wb") as f:
        f.truncate(int(gb * 1024**3))
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(tree), str(partial)], check=True)
    partial.rename(image)
    for path in sorted(tree.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    tree.rmdir()
    print(f"generated {image} with {i} photos ({total / 1e6:.0f} MB)", file=sys.stderr)
    return image


def make_ewf(image: Path) -> Path:
    target = image.with_name(image.stem + "-ewf")
    e01 = target.with_name(target.name + ".E01")
    if not e01.is_file():
        subprocess.run(["ewfacquire", "-u", "-q", "-t", str(target), "-c", "fast", "-d", "sha1",
                        str(image)], check=True, capture_output=True)
    return e01


def compare(image: Path) -> tuple[int, int]:
    # Warm the page cache for both readers alike, so neither pays the first read alone.
    subprocess.run(["cat", str(image)], stdout=subprocess.DEVNULL, check=True)
    s_files, s_bytes, s_t = sichter_walk(image)
    t_files, t_bytes, t_t = tsk_fls_icat(image)
    print(f"{image.name}:")
    for label, files, nbytes, secs in (("sichter walk+read", s_files, s_bytes, s_t),
                                       ("fls -r -p + icat", t_files, t_bytes, t_t)):
        print(f"  {label:18s} {files:6d} files {nbytes / 1e6:8.0f} MB {secs:7.1f} s "
              f"{files / secs:8.1f} files/s {nbytes / 1e6 / secs:7.1f} MB/s")
    print(f"  ratio (sichter / tsk, MB/s): {(s_bytes / s_t) / (t_bytes / t_t):.2f}x")
    return s_files, s_bytes


def sichter_walk(image: Path) -> tuple[int, int, float]:
    start = time.perf_counter()
    files = size = 0
    for event in walk(image, Limits()):
        if not isinstance(event, FileOccurrence) or event.locator.depth == 0 or event.payload is None:
            continue
        with open_payload(event.payload) as f:
            while chunk := f.read(1024 * 1024):
                size += len(chunk)
        files += 1
    return files, size, time.perf_counter() - start


def tsk_fls_icat(image: Path) -> tuple[int, int, float]:
    start = time.perf_counter()
    listing = subprocess.run(["fls", "-r", "-p", "-F", str(image)], check=True,
                             capture_output=True, text=True).stdout
    files = size = 0
    for line in listing.splitlines():
        meta = line.split("\t", 1)[0].split()[-1].rstrip(":")
        with subprocess.Popen(["icat", str(image), meta], stdout=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            while chunk := proc.stdout.read(1024 * 1024):
                size += len(chunk)
        files += 1
    return files, size, time.perf_counter() - start


def sichter_ingest(image: Path, core_only: bool) -> tuple[int, float]:
    """Seconds of a full `sichter ingest`; ``core_only`` skips the later issues' stages
    (AI triage, robust matching, ...) so that hashing, decode, PDQ and thumbnails remain."""
    from sichter.pipeline.stages import registry

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SICHTER_HOME": home, "SICHTER_USER": "bench"}
        if core_only:
            reg = registry()
            names = sorted({*reg.image, *reg.video, *reg.post_ingest})
            env["SICHTER_SKIP_STAGES"] = json.dumps(names)
        exe = Path(sys.executable).with_name("sichter")
        subprocess.run([str(exe), "case", "create", "bench"], check=True, env=env,
                       capture_output=True)
        start = time.perf_counter()
        subprocess.run([str(exe), "ingest", "bench", str(image)], check=True, env=env,
                       capture_output=True)
        return 0, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--ewf", action="store_true", help="also compare on an E01 of the image")
    parser.add_argument("--ingest", action="store_true", help="also time a full sichter ingest")
    args = parser.parse_args()
    image = make_image(args.gb)
    print(f"image {image.name}: {image.stat().st_size / 1e9:.2f} GB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    s_files, s_bytes = compare(image)
    if args.ewf:
        compare(make_ewf(image))
    for core_only in [True, False] if args.ingest else []:
        _, secs = sichter_ingest(image, core_only)
        label = "core stages only" if core_only else "all registered stages"
        print(f"sichter ingest ({label}): {s_files / secs:.1f} files/s "
              f"{s_bytes / 1e6 / secs:.1f} MB/s ({secs:.1f} s)")


if __name__ == "__main__":
    main()
