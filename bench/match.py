"""PDQ matching benchmark: Sichter's exact multi-index PDQ index against python-threatexchange's
PDQIndex (faiss IndexBinaryMultiHash) on the same data, in the same run.

Data: N random PDQ hashes plus the PDQs of benign photos (scikit-image samples under the demo
transforms, 1,000 with random flips when fewer exist); Q queries, half a real hash with <= 20
random bits flipped, half random. Usage:
    .venv/bin/python bench/match.py --size 10000000 --queries 100000 --peer-queries 5000
(threatexchange is installed into the venv for the bench only: pip install threatexchange)
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import psutil

from sichter.matching.pdq_index import PdqIndex


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def real_hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    from sichter.demo.photos import variants
    from sichter.signals.pdq import PDQ

    hexes = [PDQ.compute(np.asarray(im)).value for _, _, im in variants()]
    base = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32)
    picks = base[rng.integers(0, len(base), n)].copy()
    bits = np.unpackbits(picks[len(base):], axis=1)  # beyond the photos: light variants of them
    for row in bits:
        row[rng.choice(256, 8, replace=False)] ^= 1
    picks[len(base):] = np.packbits(bits, axis=1)
    return picks


def queries(real: np.ndarray, q: int, rng: np.random.Generator) -> np.ndarray:
    near = real[rng.integers(0, len(real), q // 2)].copy()
    bits = np.unpackbits(near, axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(0, 21)), replace=False)] ^= 1
    return np.vstack([np.packbits(bits, axis=1), rng.integers(0, 256, (q - q // 2, 32), dtype=np.uint8)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--peer-queries", type=int, default=5_000)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    real = real_hashes(1000, rng)
    data = np.vstack([rng.integers(0, 256, (args.size, 32), dtype=np.uint8), real])
    qs = queries(real, args.queries, rng)
    print(f"index: {len(data):,} hashes ({args.size:,} random + 1,000 real); {len(qs):,} queries")

    before = rss_mb()
    t = time.perf_counter()
    index = PdqIndex(data, 31)
    build = time.perf_counter() - t
    mem = rss_mb() - before
    t = time.perf_counter()
    result = index.range_search(qs)
    elapsed = time.perf_counter() - t
    found = len(set(result.query[result.query < len(qs) // 2].tolist()))
    print(f"sichter PdqIndex: build {build:.1f} s, index memory {mem:,.0f} MiB, "
          f"{len(qs) / elapsed:,.0f} lookups/s, near queries found {found}/{len(qs) // 2}, "
          f"random queries matched {int((result.query >= len(qs) // 2).sum())}")
    if args.no_peer:
        return
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    hexes = [h.tobytes().hex() for h in data]
    del index
    before = rss_mb()
    t = time.perf_counter()
    peer = PDQIndex.build((h, i) for i, h in enumerate(hexes))
    build = time.perf_counter() - t
    mem = rss_mb() - before
    half = args.peer_queries // 2
    pq = [h.tobytes().hex() for h in np.vstack([qs[:half], qs[len(qs) // 2:][:half]])]
    t = time.perf_counter()
    peer_found = sum(1 for h in pq[: len(pq) // 2] if peer.query(h))
    for h in pq[len(pq) // 2:]:
        peer.query(h)
    elapsed = time.perf_counter() - t
    print(f"threatexchange PDQIndex: build {build:.1f} s, index memory {mem:,.0f} MiB, "
          f"{len(pq) / elapsed:,.0f} lookups/s over {len(pq):,} queries, "
          f"near found {peer_found}/{len(pq) // 2}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the run: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
