"""Ingest throughput against the naive loop, on benign 3–12 MP photos.

    .venv/bin/python bench/ingest.py [--n 500] [--workers 2]

Generates N benign JPEGs (scikit-image samples upscaled with noise; cached in bench/out/),
ingests them into a fresh SQLite store, and in the same run does the same work naively:
three separate hashlib passes, a full-size Pillow decode and pdqhash on the full image.
Prints files/s, MB/s, peak memory (sum of RSS over the process tree) and the ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pdqhash
import psutil
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import contextlib

from sichter.demo.photos import SAMPLES, encode, large_photo  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def make_photos(n: int) -> Path:
    folder = OUT / f"photos-{n}"
    if folder.is_dir() and len(list(folder.glob("*.jpg"))) == n:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    names = [s for s in SAMPLES if s not in {"logo", "text"}]
    for i in range(n):
        target = folder / f"IMG_{i:05d}.jpg"
        if target.exists():
            continue
        mp = float(rng.uniform(3, 12))
        im = large_photo(names[i % len(names)], mp, seed=i)
        target.write_bytes(encode(im, "JPEG", quality=int(rng.integers(80, 95))))
        if i % 50 == 0:
            print(f"  generated {i}/{n}", file=sys.stderr)
    return folder


class PeakRss:
    """Samples the summed RSS of this process and its children."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def naive(files: list[Path]) -> None:
    Image.MAX_IMAGE_PIXELS = None
    for path in files:
        for algo in ("md5", "sha1", "sha256"):
            h = hashlib.new(algo)
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            h.hexdigest()
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"))
        pdqhash.compute(pixels)


def sichter_ingest(folder: Path, workers: int, core_only: bool = False) -> None:
    from sichter.pipeline.ingest import ingest
    from sichter.settings import load_settings
    from sichter.store import cases
    from sichter.store.crypto import load_master_key
    from sichter.store.db import open_store

    home = Path(tempfile.mkdtemp(prefix="sichter-bench-"))
    try:
        settings = load_settings(home, workers=workers, user="bench")
        if core_only:  # the triage core's work only: digests, decode, EXIF, PDQ, thumbnail
            from sichter.pipeline.stages import registry

            reg = registry()
            settings = settings.model_copy(update={"skip_stages": [
                *reg.image, *reg.video, *reg.post_ingest]})
        sessions = open_store(settings.effective_database_url)
        cases.create_case(sessions, load_master_key(home, None), "bench", None, "bench")
        summary = ingest(settings, sessions, "bench", [folder])
        assert summary.progress.errors == 0, summary.progress
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--core-only", action="store_true",
                        help="skip the later stages (AI, robust features, matching, queue)")
    parser.add_argument("--naive-sample", type=int, default=0,
                        help="time the naive loop on this many files only (0 = all) and extrapolate")
    args = parser.parse_args()
    folder = make_photos(args.n)
    files = sorted(folder.glob("*.jpg"))
    total_mb = sum(p.stat().st_size for p in files) / 1e6
    megapixels = []
    for p in files[:50]:
        with Image.open(p) as im:
            megapixels.append(im.width * im.height / 1e6)
    print(f"{len(files)} benign JPEGs, {total_mb:,.0f} MB, {min(megapixels):.1f}–{max(megapixels):.1f} MP "
          f"(first 50), {args.workers} workers, {os.cpu_count()} cores, "
          f"{'core stages only' if args.core_only else 'every registered stage'}, "
          f"load average {os.getloadavg()[0]:.1f}")
    # Warm the page cache so both sides read from memory.
    for p in files:
        p.read_bytes()

    with PeakRss() as mem:
        t0 = time.perf_counter()
        sichter_ingest(folder, args.workers, args.core_only)
        t_sichter = time.perf_counter() - t0
    sample = files if not args.naive_sample else files[: args.naive_sample]
    with PeakRss() as naive_mem:
        t0 = time.perf_counter()
        naive(sample)
        t_naive = (time.perf_counter() - t0) * len(files) / len(sample)
    print(f"sichter ingest : {len(files) / t_sichter:7.1f} files/s  {total_mb / t_sichter:7.1f} MB/s  "
          f"peak RSS {mem.peak / 1e6:,.0f} MB  ({t_sichter:.1f} s)")
    print(f"naive loop     : {len(files) / t_naive:7.1f} files/s  {total_mb / t_naive:7.1f} MB/s  "
          f"peak RSS {naive_mem.peak / 1e6:,.0f} MB  ({t_naive:.1f} s"
          f"{f', extrapolated from {len(sample)} files' if args.naive_sample else ''})")
    print(f"ratio          : {t_naive / t_sichter:.2f}x")


if __name__ == "__main__":
    main()
