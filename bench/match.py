"""PDQ matching benchmark: Sichter's PdqIndex against python-threatexchange's PDQIndex (faiss
IndexBinaryMultiHash, nhash 16, b 16, nflip 1) on the same data, in the same run.

Data: N random PDQ hashes plus 1,000 real ones (PDQs of benign scikit-image photos under the demo
transforms, topped up with light variants of them); Q queries: half a real hash with exactly 8,
16, 24 or 31 random bits flipped (a quarter each), half random. Prints build time, resident
memory, lookups/s in the default mode (fast above 2 M hashes) and exact mode, recall by distance
against brute force (faiss IndexBinaryFlat over the real hashes, which is exact for the near
queries; plus a brute-force check of a query sample against the whole index), every returned
distance re-verified, then the peer. Usage (defaults = the issue's benchmark):
    .venv/bin/python bench/match.py [--size 10000000] [--queries 100000] [--peer-size N]
(threatexchange is installed into the venv for the bench only: pip install threatexchange)
"""

from __future__ import annotations

import argparse
import resource
import time

import faiss
import numpy as np
import psutil

from sichter.matching.pdq_index import PdqIndex

DISTANCES = (8, 16, 24, 31)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def real_hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    from sichter.demo.photos import variants
    from sichter.signals.pdq import PDQ

    hexes = sorted({PDQ.compute(np.asarray(im)).value for _, _, im in variants()})
    base = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32)
    picks = base[rng.integers(0, len(base), n)].copy()
    picks[len(base):] = flip(picks[len(base):], 8, rng)  # beyond the photos: light variants
    return picks


def flip(hashes: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """Each hash with exactly ``bits`` distinct random bits flipped."""
    positions = np.argsort(rng.random((len(hashes), 256)), axis=1)[:, :bits]
    mask = np.zeros((len(hashes), 256), dtype=np.uint8)
    np.put_along_axis(mask, positions, 1, axis=1)
    return hashes ^ np.packbits(mask, axis=1)


def make_queries(real: np.ndarray, q: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queries, the bits each near query was moved (-1: random query) and the real hash it was
    moved from (its position in ``real``; -1: random query)."""
    near = q // 2
    per = np.array_split(np.arange(near), len(DISTANCES))
    parts, moved, origin = [], [], []
    for d, idx in zip(DISTANCES, per, strict=True):
        picks = rng.integers(0, len(real), len(idx))
        parts.append(flip(real[picks], d, rng))
        moved.append(np.full(len(idx), d))
        origin.append(picks)
    parts.append(rng.integers(0, 256, (q - near, 32), dtype=np.uint8))
    moved.append(np.full(q - near, -1))
    origin.append(np.full(q - near, -1))
    return np.vstack(parts), np.concatenate(moved), np.concatenate(origin)


def pairs(query: np.ndarray, item: np.ndarray, dist: np.ndarray) -> set[tuple[int, int, int]]:
    return set(zip(query.tolist(), item.tolist(), dist.tolist(), strict=True))


def brute(db: np.ndarray, queries: np.ndarray, offset: int = 0) -> set[tuple[int, int, int]]:
    """Exact (query, item, distance) pairs within 31 bits, by faiss's flat (brute-force) index."""
    flat = faiss.IndexBinaryFlat(256)
    flat.add(db)
    lims, dist, ids = flat.range_search(queries, 32)  # faiss: distance < radius
    q = np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64))
    return pairs(q, ids + offset, dist)


def run_index(index: PdqIndex, qs: np.ndarray, moved: np.ndarray, origin: np.ndarray,
              data: np.ndarray, real_at: int, exact: bool, label: str,
              complete_to: int | None = None) -> None:
    t, cpu = time.perf_counter(), time.process_time()
    res = index.range_search(qs, exact=exact, complete_to=complete_to)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    got = pairs(res.query, res.item, res.distance)
    # every returned distance recomputed from the hashes: nothing beyond the threshold
    recomputed = np.bitwise_count(data[res.item] ^ qs[res.query]).sum(axis=1)
    wrong = int((recomputed != res.distance).sum() + (res.distance > 31).sum())
    truth = brute(data[real_at:], qs, real_at)  # exact for near queries: made from real hashes
    found_real = {p for p in got if p[1] >= real_at}
    print(f"  {label}: {len(qs) / elapsed:,.0f} lookups/s ({len(qs):,} queries in {elapsed:.1f} s, "
          f"{len(qs) / cpu:,.0f} per CPU-second, "
          f"{index.probes_per_query(exact, complete_to)} probes/query, complete up to "
          f"{index.guaranteed_distance(exact, complete_to)} bits), wrong distances or > 31: {wrong}, "
          f"returned but not in brute force: {len(found_real - truth)}")
    got_pairs = {(q, i) for q, i, _ in got}
    for d in DISTANCES:
        near = np.flatnonzero(moved == d)
        hit = sum((int(q), int(origin[q]) + real_at) in got_pairs for q in near)
        print(f"    recall, query {d:2d} bits from a real hash: {hit / max(1, len(near)):.4%} "
              f"({hit:,}/{len(near):,} found their origin)")
    bands = ((0, 8), (9, 16), (17, 24), (25, 31))
    line = []
    for lo, hi in bands:  # all true pairs (near queries also match other variants of a photo)
        want = {p for p in truth if lo <= p[2] <= hi}
        line.append(f"{lo}-{hi}: {len(want & got) / max(1, len(want)):.4%} of {len(want):,}")
    print(f"    recall of all true pairs by distance: {'; '.join(line)}")
    randoms = int((moved[res.query] == -1).sum())
    print(f"    random queries: {randoms} matches returned")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--exact-queries", type=int, default=20_000, help="queries for exact mode")
    ap.add_argument("--sample", type=int, default=200, help="queries checked by brute force vs all")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--sweep", type=int, nargs="*", default=[21, 22, 24],
                    help="fast mode also run with these complete_to distances")
    ap.add_argument("--peer-size", type=int, default=-1, help="peer index size (default: same)")
    ap.add_argument("--peer-queries", type=int, default=2_000)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    real = real_hashes(1000, rng)
    data = np.vstack([rng.integers(0, 256, (args.size, 32), dtype=np.uint8), real])
    qs, moved, origin = make_queries(real, args.queries, rng)
    print(f"index: {len(data):,} hashes ({args.size:,} random + 1,000 real); {len(qs):,} queries "
          f"(half moved {'/'.join(map(str, DISTANCES))} bits from a real hash, half random); "
          f"{psutil.cpu_count()} CPUs, load average {psutil.getloadavg()[0]:.1f}")

    before = rss_mb()
    t = time.perf_counter()
    index = PdqIndex(data, 31, threads=args.threads or None)
    build = time.perf_counter() - t
    mem = rss_mb() - before
    print(f"sichter PdqIndex: build {build:.1f} s, tables {mem:,.0f} MiB resident (RSS delta) "
          f"+ {data.nbytes / 2**20:,.0f} MiB hashes = {mem + data.nbytes / 2**20:,.0f} MiB; "
          f"default mode {'exact' if index.exact else 'fast'}, {index.threads} threads")
    run_index(index, qs, moved, origin, data, args.size, index.exact, "default mode")
    if not index.exact:  # the other fast settings, so the default can be chosen by the numbers
        for c in args.sweep:
            run_index(index, qs, moved, origin, data, args.size, False, f"fast, complete to {c}", c)
    step = max(1, len(qs) // max(1, args.exact_queries))  # every distance group, and randoms
    run_index(index, qs[::step], moved[::step], origin[::step], data, args.size, True, "exact mode")
    pick = rng.choice(len(qs), min(args.sample, len(qs)), replace=False)
    t = time.perf_counter()
    truth = brute(data, qs[pick])
    print(f"  brute force over all {len(data):,} hashes for {len(pick)} sampled queries "
          f"({time.perf_counter() - t:.1f} s, {len(truth)} pairs):")
    for exact in (True, False):
        res = index.range_search(qs[pick], exact=exact)
        got = pairs(res.query, res.item, res.distance)
        missed = sorted(p[2] for p in truth - got)
        print(f"    {'exact' if exact else 'fast'} mode: {len(got - truth)} returned beyond brute force, "
              f"{len(missed)} missed (distances {missed[:3]}{'...' if len(missed) > 3 else ''})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory so far: {peak:,.0f} MiB")
    if args.no_peer:
        return
    run_peer(index, data, qs, moved, args)


def run_peer(index: PdqIndex, data: np.ndarray, qs: np.ndarray, moved: np.ndarray,
             args: argparse.Namespace) -> None:
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    size = len(data) if args.peer_size < 0 else args.peer_size + 1000
    subset = data[-size:]  # the real hashes are last: the subset keeps them
    half = args.peer_queries // 2
    pq = np.vstack([qs[moved >= 0][:half], qs[moved < 0][:half]])
    t = time.perf_counter()
    ours = PdqIndex(subset, 31, threads=index.threads) if size != len(data) else index
    ours_build = time.perf_counter() - t if size != len(data) else None
    t = time.perf_counter()
    for h in pq:  # one lookup at a time, as the peer is used
        ours.range_search(h[None, :])
    ours_single = len(pq) / (time.perf_counter() - t)
    t, cpu = time.perf_counter(), time.process_time()
    ours.range_search(pq)
    ours_batch = len(pq) / (time.perf_counter() - t)
    ours_cpu = len(pq) / (time.process_time() - cpu)
    del index, ours
    hexes = [h.tobytes().hex() for h in subset]
    before = rss_mb()
    t = time.perf_counter()
    peer = PDQIndex.build((h, i) for i, h in enumerate(hexes))
    build = time.perf_counter() - t
    mem = rss_mb() - before
    t, cpu = time.perf_counter(), time.process_time()
    found = sum(1 for h in pq[:half] if peer.query(h.tobytes().hex()))
    for h in pq[half:]:
        peer.query(h.tobytes().hex())
    rate = len(pq) / (time.perf_counter() - t)
    peer_cpu = len(pq) / (time.process_time() - cpu)
    what = f"subset: {args.peer_size:,} random + 1,000 real" if size != len(data) else "same data"
    print(f"peer on {len(subset):,} hashes ({what})"
          f"{f', our build {ours_build:.1f} s' if ours_build else ''}:")
    print(f"  threatexchange PDQIndex: build {build:.1f} s, {mem:,.0f} MiB resident (RSS delta), "
          f"{rate:,.0f} lookups/s over {len(pq):,} queries ({peer_cpu:,.0f} per CPU-second; "
          f"near found {found}/{half})")
    print(f"  sichter PdqIndex on the same queries: {ours_single:,.0f} lookups/s one at a time, "
          f"{ours_batch:,.0f} batched; ratio to peer {ours_single / rate:.1f}x one at a time, "
          f"{ours_batch / rate:.1f}x batched; per CPU-second {ours_cpu:,.0f} batched, "
          f"{ours_cpu / peer_cpu:.1f}x the peer's")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the run: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
