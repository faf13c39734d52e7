"""A PDQ range index: multi-index hashing over direct-addressed chunk tables, batched in numpy.

How: the 256 bits are cut into ``m`` chunks of about log2(N) bits (at most 24). Chunk ``i`` is
probed with every chunk value within radius ``r_i`` of the query's; each chunk has its items
sorted by chunk value and a direct-addressed offset array, so a probe is one array lookup.
Candidates are verified by popcount of XOR, so a returned pair is never farther than the
threshold. By the general pigeonhole principle, if ``sum(r_i + 1) > d`` then any two hashes at
distance ``d`` agree within radius ``r_i`` on some chunk ``i``: probing up to that total is
*guaranteed* to find every match up to ``d``.

Two modes over the same tables (the radii are chosen per query, not at build time):

- ``exact=True``: radii sum to the threshold, so every hash within the threshold is found
  (about 3,100 probes per query at 10 M hashes).
- ``exact=False`` ("fast"): the pigeonhole radii for ``complete_to`` bits (default 23) instead
  of the threshold: about 820 probes per query at 10 M instead of 2,870. Every match up to
  23 bits is still guaranteed; between 24 and 31 bits matches are found with a high but
  *measured* probability (bench/match.py prints recall at 8, 16, 24 and 31 bits, sweeps
  ``complete_to`` and checks a sample against brute force; bench/RESULTS.md: at 10 M, 99.55 %
  of true pairs at 25-31 bits at 12,200 lookups per CPU-second; complete_to=24: 8,700).

``exact=None`` (default) picks exact up to ``EXACT_MAX`` hashes, where it is fast enough, and
fast above. Why not faiss's binary hash indexes: measured in bench/match.py, the
``IndexBinaryMultiHash`` keeps one ``unordered_map`` node and vector per item and table (GBs at
10 M) and its range search slows with the bucket size (b = 16: ~150 items per bucket at 10 M).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

BITS = 256
MAX_CHUNK_BITS = 24  # offset arrays of 2**24 int32 = 64 MiB each
EXACT_MAX = 2_000_000  # default mode: exact up to this many hashes, fast above (bench/RESULTS.md)
FAST_COMPLETE = 23  # fast mode still finds every match up to this distance (chosen by bench)
PROBE_BUDGET = 1 << 20  # probes per batch: bounds the temporary arrays to tens of MiB


def hex_to_bytes(hexes: list[str]) -> np.ndarray:
    """(N, 32) uint8 from PDQ hex strings (first hex digit = most significant bits)."""
    if not hexes:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32)


def chunk_widths(n: int, bits: int | None = None) -> list[int]:
    """Chunk widths (summing to 256) for an index of ``n`` hashes: about log2(n) bits each,
    or about ``bits`` each when given."""
    width = bits or int(min(MAX_CHUNK_BITS, max(8, np.ceil(np.log2(max(n, 2))))))
    if not 1 <= width <= MAX_CHUNK_BITS:
        raise ValueError(f"chunk bits must be in 1..{MAX_CHUNK_BITS}, not {width}")
    m = int(np.ceil(BITS / width))
    base, extra = divmod(BITS, m)
    return [base + 1] * extra + [base] * (m - extra)


def exact_radii(m: int, threshold: int) -> list[int]:
    """Per-chunk radii with sum(r + 1) = threshold + 1: the least probing that is still exact.

    A radius of -1 means the chunk is not probed at all (possible when threshold + 1 < m).
    """
    units, extra = divmod(threshold + 1, m)
    return [units] * extra + [units - 1] * (m - extra)


def _chunk_keys(hashes: np.ndarray, widths: list[int], j: int) -> np.ndarray:
    """(N,) uint32 value of chunk ``j`` (bits read most-significant first)."""
    pos = sum(widths[:j])
    w = widths[j]
    word, off = divmod(pos, 64)
    out = np.empty(len(hashes), dtype=np.uint32)
    mask = np.uint64((1 << w) - 1)
    block = 1 << 20
    for s in range(0, len(hashes), block):
        big = hashes[s:s + block].view(">u8").astype(np.uint64)  # (b, 4) big-endian words
        if off + w <= 64:
            v = big[:, word] >> np.uint64(64 - off - w)
        else:
            spill = off + w - 64
            v = (big[:, word] << np.uint64(spill)) | (big[:, word + 1] >> np.uint64(64 - spill))
        out[s:s + block] = (v & mask).astype(np.uint32)
    return out


def _flip_masks(width: int, radius: int) -> np.ndarray:
    masks: list[int] = []
    for r in range(0, radius + 1):
        masks.extend(sum(1 << b for b in combo) for combo in combinations(range(width), r))
    return np.array(masks, dtype=np.int64)


@dataclass
class RangeResult:
    query: np.ndarray  # index of the query
    item: np.ndarray  # position of the matched hash in the index (as added)
    distance: np.ndarray


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = np.zeros(0, dtype=np.int64)
    return e, e, e


class PdqIndex:
    """Every indexed hash within ``threshold`` bits of a query (exactly, or fast; see module doc).

    ``threads`` batches of queries are searched concurrently (numpy releases the GIL in its
    gathers and ufuncs); default: the number of CPUs. ``chunk_bits`` overrides the chunk width
    (default about log2(N), at most 24; measured at 10 M: narrower chunks mean more candidates
    and a slower search). ``complete_to``: the distance fast mode still guarantees.
    """

    def __init__(self, hashes: np.ndarray, threshold: int = 31, exact: bool | None = None,
                 threads: int | None = None, chunk_bits: int | None = None,
                 complete_to: int = FAST_COMPLETE) -> None:
        if not 0 <= threshold < BITS:
            raise ValueError(f"threshold must be in 0..255, not {threshold}")
        self.hashes = np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, 32)
        self.words = self.hashes.view(np.uint64)  # (N, 4), native order: only XOR-popcounted
        self._halves = self.hashes.view(np.complex128).ravel()  # 16-byte items: one take each
        self.threshold = threshold
        n = len(self.hashes)
        self.exact = n <= EXACT_MAX if exact is None else exact
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.widths = chunk_widths(n, chunk_bits)
        m = len(self.widths)
        self.complete_to = complete_to
        self._masks: dict[int, list[np.ndarray | None]] = {}
        index_dtype: type[np.signedinteger[Any]] = np.int32 if n * m < 2**31 else np.int64

        sizes = [(1 << w) + 1 for w in self.widths]
        self._bases = [0, *np.cumsum(sizes)[:-1].tolist()]
        # One table for all chunks, so a batch's probes of every chunk are one gather; filled
        # in place (no concatenation) to keep the build's peak memory near the final size.
        self._offsets = np.zeros(max(1, sum(sizes)), dtype=index_dtype)
        self._order = np.empty(m * n, dtype=index_dtype)

        def table(j: int) -> None:
            keys = _chunk_keys(self.hashes, self.widths, j)
            # Order within a bucket does not matter, so the faster unstable sort will do.
            self._order[j * n:(j + 1) * n] = np.argsort(keys)
            off = self._offsets[self._bases[j]:self._bases[j] + sizes[j]]
            np.cumsum(np.bincount(keys, minlength=sizes[j] - 1), out=off[1:])
            np.add(off, j * n, out=off)  # positions in the concatenated order array

        with ThreadPoolExecutor(self.threads) as pool:  # numpy sorts without the GIL
            list(pool.map(table, range(m)))

    def guaranteed_distance(self, exact: bool | None = None, complete_to: int | None = None) -> int:
        """Every match at distance <= this is found; above it (fast mode only) most are.

        ``exact`` and ``complete_to`` default to the index's own settings, as in range_search.
        """
        if self.exact if exact is None else exact:
            return self.threshold
        return max(0, min(self.threshold, self.complete_to if complete_to is None else complete_to))

    def probes_per_query(self, exact: bool | None = None, complete_to: int | None = None) -> int:
        """Table probes per query for these settings."""
        masks = self._chunk_masks(self.guaranteed_distance(exact, complete_to))
        return sum(len(mk) for mk in masks if mk is not None)

    def _chunk_masks(self, complete: int) -> list[np.ndarray | None]:
        """Per chunk, the XOR masks to probe so every match up to ``complete`` bits is found."""
        if complete not in self._masks:
            radii = exact_radii(len(self.widths), complete)
            self._masks[complete] = [_flip_masks(w, r) if r >= 0 else None
                                     for w, r in zip(self.widths, radii, strict=True)]
        return self._masks[complete]

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index: the hashes plus the chunk tables."""
        return self.hashes.nbytes + self._offsets.nbytes + self._order.nbytes

    def range_search(self, queries: np.ndarray, batch: int | None = None,
                     exact: bool | None = None, complete_to: int | None = None) -> RangeResult:
        """All (query, item, distance) with distance <= threshold, sorted by query, distance, item.

        In exact mode (``exact``, default: the index's) nothing within the threshold is missed;
        in fast mode nothing up to ``complete_to`` bits (default: the index's). In either mode
        nothing farther than the threshold is returned (every candidate's distance is computed).
        """
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        masks = self._chunk_masks(self.guaranteed_distance(exact, complete_to))
        probes = sum(len(mk) for mk in masks if mk is not None)
        if len(queries) == 0 or len(self.hashes) == 0 or probes == 0:
            return RangeResult(*_empty())
        batch = batch or max(1, PROBE_BUDGET // probes)
        starts = range(0, len(queries), batch)
        if self.threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(self.threads) as pool:
                parts = list(pool.map(lambda s: self._batch(queries[s:s + batch], s, masks), starts))
        else:
            parts = [self._batch(queries[s:s + batch], s, masks) for s in starts]
        q, i, d = (np.concatenate([p[k] for p in parts]) for k in range(3))
        return RangeResult(q, i, d)

    def _probes(self, queries: np.ndarray, chunk_masks: list[np.ndarray | None]) -> np.ndarray:
        """(B, P) positions in the offset table: every chunk value each query probes."""
        cols = []
        for j, masks in enumerate(chunk_masks):
            if masks is None:
                continue
            keys = _chunk_keys(queries, self.widths, j).astype(np.int64)
            cols.append((keys[:, None] ^ masks[None, :]) + self._bases[j])
        return np.concatenate(cols, axis=1)

    def _batch(self, queries: np.ndarray, first: int, chunk_masks: list[np.ndarray | None]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        probes = self._probes(queries, chunk_masks)
        per_query = probes.shape[1]
        probes = probes.ravel()
        starts = np.take(self._offsets, probes)
        lengths = np.take(self._offsets, probes + 1) - starts
        hit = np.flatnonzero(lengths)
        if len(hit) == 0:
            return _empty()
        starts, lengths = starts[hit], lengths[hit]
        # Most non-empty buckets hold one item: gather those directly, expand only the rest.
        one = lengths == 1
        many = np.flatnonzero(~one)
        pos = [starts[one]]
        qs = [hit[one] // per_query]
        if len(many):
            s, n = starts[many].astype(np.int64), lengths[many].astype(np.int64)
            total = int(n.sum())
            pos.append(np.repeat(s - np.cumsum(n) + n, n) + np.arange(total))
            qs.append(np.repeat(hit[many] // per_query, n))
        items = np.take(self._order, np.concatenate(pos)).astype(np.int64)
        qidx = np.concatenate(qs)
        # Verify first, deduplicate after: candidates are many, survivors few. The first 128
        # bits alone reject nearly every random candidate (they differ in ~64 of them), so
        # only those are gathered for all candidates; survivors get the full distance.
        qwords = queries.view(np.uint64)
        half = np.take(self._halves, 2 * items).view(np.uint64).reshape(-1, 2)
        diff = half ^ np.take(qwords[:, :2], qidx, axis=0)
        count = np.bitwise_count(diff)
        keep = np.flatnonzero(count[:, 0].astype(np.int32) + count[:, 1] <= self.threshold)
        items, qidx = items[keep], qidx[keep]
        diff = np.take(self.words, items, axis=0) ^ np.take(qwords, qidx, axis=0)
        dist = np.bitwise_count(diff).sum(axis=1, dtype=np.int64)
        keep = np.flatnonzero(dist <= self.threshold)
        qidx, items, dist = qidx[keep].astype(np.int64), items[keep], dist[keep]
        _, first_seen = np.unique(qidx * len(self.hashes) + items, return_index=True)
        qidx, items, dist = qidx[first_seen], items[first_seen], dist[first_seen]
        order = np.lexsort((items, dist, qidx))
        return qidx[order] + first, items[order], dist[order]
