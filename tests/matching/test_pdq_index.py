"""The PDQ range index finds exactly what brute force finds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sichter.matching.pdq_index import PdqIndex


def _flip(h: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(h)
    bits[rng.choice(256, n, replace=False)] ^= 1
    return np.packbits(bits)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1), threshold=st.sampled_from([0, 8, 31, 40]))
def test_range_search_equals_brute_force(n: int, seed: int, threshold: int) -> None:
    rng = np.random.default_rng(seed)
    db = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    near = [_flip(db[rng.integers(n)], int(rng.integers(0, 45)), rng) for _ in range(20)] if n else []
    queries = np.array(near + list(rng.integers(0, 256, (5, 32), dtype=np.uint8)), dtype=np.uint8)
    result = PdqIndex(db, threshold).range_search(queries, batch=7)
    got = set(zip(result.query.tolist(), result.item.tolist(), result.distance.tolist(), strict=True))
    dist = np.bitwise_count(queries[:, None, :] ^ db[None, :, :]).sum(axis=2) if n else np.zeros((25, 0))
    want = {(q, i, int(dist[q, i])) for q, i in zip(*np.nonzero(dist <= threshold), strict=True)}
    assert got == want
