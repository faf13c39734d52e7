"""An exact PDQ range index: multi-index hashing over direct-addressed chunk tables, in numpy.

Why not faiss's IndexBinaryMultiHash: measured here, its range search slows with the size of
the index (311 queries/s at 1 M hashes, one thread), far from the 10,000/s needed at 10 M.

How: the 256 bits are cut into ``m`` chunks of about log2(N) bits. If two hashes differ in at
most T bits, some chunk differs in at most floor(T/m) bits (pigeonhole), so probing every chunk
value within that radius finds every true match: no approximation. Each chunk has a table
sorted by chunk value with a direct-addressed offset array, so a probe is one array lookup;
candidates are verified by popcount of XOR. Everything runs vectorised over a batch of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

BITS = 256
MAX_CHUNK_BITS = 24  # offset arrays of 2**24 int32 = 64 MiB each


def hex_to_bytes(hexes: list[str]) -> np.ndarray:
    """(N, 32) uint8 from PDQ hex strings (first hex digit = most significant bits)."""
    if not hexes:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32)


def _chunk_widths(n: int) -> list[int]:
    width = int(min(MAX_CHUNK_BITS, max(8, np.ceil(np.log2(max(n, 2))))))
    m = int(np.ceil(BITS / width))
    base, extra = divmod(BITS, m)
    return [base + 1] * extra + [base] * (m - extra)


def _keys(hashes: np.ndarray, widths: list[int]) -> np.ndarray:
    """(N, m) uint32 chunk values."""
    out = np.empty((len(hashes), len(widths)), dtype=np.uint32)
    block = 1 << 18
    for start in range(0, len(hashes), block):
        bits = np.unpackbits(hashes[start:start + block], axis=1)
        pos = 0
        for j, w in enumerate(widths):
            weights = (1 << np.arange(w - 1, -1, -1, dtype=np.uint64)).astype(np.uint64)
            out[start:start + block, j] = (bits[:, pos:pos + w].astype(np.uint64) @ weights).astype(np.uint32)
            pos += w
    return out


def _flip_masks(width: int, radius: int) -> np.ndarray:
    masks = [0]
    for r in range(1, radius + 1):
        masks.extend(sum(1 << b for b in combo) for combo in combinations(range(width), r))
    return np.array(masks, dtype=np.uint32)


@dataclass
class RangeResult:
    query: np.ndarray  # index of the query
    item: np.ndarray  # position of the matched hash in the index (as added)
    distance: np.ndarray


class PdqIndex:
    """Every indexed hash within ``threshold`` bits of a query, exactly."""

    def __init__(self, hashes: np.ndarray, threshold: int = 31) -> None:
        self.hashes = np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, 32)
        self.words = self.hashes.view(np.uint64)  # (N, 4)
        self.threshold = threshold
        n = len(self.hashes)
        self.widths = _chunk_widths(n)
        radius = threshold // len(self.widths)
        self.masks = [_flip_masks(w, radius) for w in self.widths]
        keys = _keys(self.hashes, self.widths)
        self.orders: list[np.ndarray] = []
        self.offsets: list[np.ndarray] = []
        index_dtype = np.int32 if n < 2**31 else np.int64
        for j, w in enumerate(self.widths):
            order = np.argsort(keys[:, j], kind="stable").astype(index_dtype)
            counts = np.bincount(keys[:, j], minlength=1 << w)
            offsets = np.zeros((1 << w) + 1, dtype=index_dtype)
            np.cumsum(counts, out=offsets[1:])
            self.orders.append(order)
            self.offsets.append(offsets)

    def __len__(self) -> int:
        return len(self.hashes)

    def range_search(self, queries: np.ndarray, batch: int = 1024) -> RangeResult:
        """All (query, item, distance) with distance <= threshold, sorted by query then distance."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        parts = [self._batch(queries[s:s + batch], s) for s in range(0, len(queries), batch)]
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return RangeResult(empty, empty, empty)
        q = np.concatenate([p[0] for p in parts])
        i = np.concatenate([p[1] for p in parts])
        d = np.concatenate([p[2] for p in parts])
        return RangeResult(q, i, d)

    def _batch(self, queries: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self.hashes) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        qkeys = _keys(queries, self.widths)
        cand_q: list[np.ndarray] = []
        cand_i: list[np.ndarray] = []
        for j in range(len(self.widths)):
            probes = (qkeys[:, j, None] ^ self.masks[j][None, :]).ravel()
            starts = self.offsets[j][probes]
            lengths = (self.offsets[j][probes + 1] - starts).astype(np.int64)
            total = int(lengths.sum())
            if total == 0:
                continue
            # positions start..start+len-1 of every probe, without a Python loop
            shift = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths)
            cand_i.append(self.orders[j][shift + np.arange(total)])
            qidx = np.repeat(np.arange(len(queries)), len(self.masks[j]))
            cand_q.append(np.repeat(qidx, lengths))
        if not cand_i:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        items = np.concatenate(cand_i).astype(np.int64)
        qs = np.concatenate(cand_q).astype(np.int64)
        # Verify first, deduplicate after: candidates are many, survivors few.
        qwords = queries.view(np.uint64)
        dist = np.bitwise_count(self.words[items] ^ qwords[qs]).sum(axis=1)
        keep = dist <= self.threshold
        qs, items, dist = qs[keep], items[keep], dist[keep].astype(np.int64)
        pair, first_seen = np.unique(qs * len(self.hashes) + items, return_index=True)
        qs, items, dist = qs[first_seen], items[first_seen], dist[first_seen]
        order = np.lexsort((dist, qs))
        return qs[order] + first, items[order], dist[order]
