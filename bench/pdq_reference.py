"""How far Sichter's PDQ is from the hashes ThreatExchange's reference hashers make of the same
files — the hashes known-material sets are built with — and what the decode costs.

    .venv/bin/python bench/pdq_reference.py [--n 100]

References, each applied to the JPEG file as its tool reads it:
- Python reference (pdq/python/pdqhashing/hasher/pdq_hasher.py, ``fromFile``): Pillow's
  ``thumbnail((512, 512))``, then PDQ on those pixels;
- C++ reference (pdq/cpp/io/pdqio.cpp, ``pdqHash256FromFile``): the full decode resized to
  512 x 512 with CImg's default (nearest neighbour), then PDQ;
- PDQ of the full-resolution decode (what ``pdqhash.compute`` gives on the whole image).
PDQ itself is ``pdqhash`` (the reference C++ core) in every column, so the columns differ only
by how the pixels were brought to size. Photos: bench/ingest.py's 3–12 MP JPEGs and
scikit-image samples upscaled 2.5–8x (Lanczos, mild noise, JPEG 90) — textures included.
The match threshold is 31 bits.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parents[0] / "src"))
sys.path.insert(0, str(BENCH))


def _hex(bits: np.ndarray) -> str:
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def upscaled_samples() -> list[bytes]:
    from sichter.demo.photos import SAMPLES, sample

    rng = np.random.default_rng(3)
    out = []
    for name in SAMPLES:
        base = sample(name).convert("RGB")
        for factor in (2.5, 4, 6, 8):
            big = base.resize((int(base.width * factor), int(base.height * factor)),
                              Image.Resampling.LANCZOS)
            noisy = np.asarray(big, dtype=np.int16) + rng.normal(0, 3, (big.height, big.width, 1)
                                                                 ).astype(np.int16)
            buf = io.BytesIO()
            Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
            out.append(buf.getvalue())
    return out


def compare(label: str, files: list[bytes]) -> None:
    from sichter.signals.image import decode
    from sichter.signals.pdq import PDQ

    columns: dict[str, list[int]] = {"python reference": [], "C++ reference": [], "full image": [],
                                     "python vs C++ reference": []}
    seconds = 0.0
    for data in files:
        t = time.process_time()
        ours = PDQ.compute(np.asarray(decode(data, 512, 10**9).image)).value
        seconds += time.process_time() - t
        thumb = Image.open(io.BytesIO(data))
        thumb.thumbnail((512, 512))
        python_ref = _hex(pdqhash.compute(np.asarray(thumb.convert("RGB")))[0])
        full = Image.open(io.BytesIO(data)).convert("RGB")
        squashed = full.resize((512, 512), Image.Resampling.NEAREST) if max(full.size) > 512 else full
        cpp_ref = _hex(pdqhash.compute(np.asarray(squashed))[0])
        full_hash = _hex(pdqhash.compute(np.asarray(full))[0])
        columns["python reference"].append(_distance(ours, python_ref))
        columns["C++ reference"].append(_distance(ours, cpp_ref))
        columns["full image"].append(_distance(ours, full_hash))
        columns["python vs C++ reference"].append(_distance(python_ref, cpp_ref))
    print(f"{label}: {len(files)} photos; Sichter decode + PDQ {seconds / len(files) * 1000:.1f} ms "
          f"CPU per photo")
    print(f"  {'Sichter vs':<26} {'mean':>5} {'median':>6} {'p95':>4} {'max':>4} {'> 31':>5}")
    for name, values in columns.items():
        v = np.array(values)
        print(f"  {name:<26} {v.mean():5.1f} {np.median(v):6.0f} {np.percentile(v, 95):4.0f} "
              f"{v.max():4d} {(v > 31).sum():5d}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100, help="bench photos (3–12 MP)")
    args = parser.parse_args()
    from ingest import make_photos  # bench/ingest.py's benign photo generator

    photos = sorted(make_photos(max(args.n, 200)).glob("*.jpg"))[: args.n]
    compare("bench photos, 3–12 MP", [p.read_bytes() for p in photos])
    compare("scikit-image samples upscaled 2.5–8x", upscaled_samples())


if __name__ == "__main__":
    main()
