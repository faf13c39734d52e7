"""The PDQ range index: exact mode finds exactly what brute force finds; fast mode never returns
a pair beyond the threshold and misses nothing up to its guaranteed distance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sichter.matching.pdq_index import FAST_COMPLETE, PdqIndex, exact_radii, hex_to_bytes


def _flip(h: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(h)
    bits[rng.choice(256, n, replace=False)] ^= 1
    return np.packbits(bits)


def _data(n: int, seed: int, spread: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    db = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    near = [_flip(db[rng.integers(n)], int(rng.integers(0, spread)), rng) for _ in range(20)] if n else []
    queries = np.array(near + list(rng.integers(0, 256, (5, 32), dtype=np.uint8)), dtype=np.uint8)
    return db, queries


def _brute(db: np.ndarray, queries: np.ndarray, threshold: int) -> set[tuple[int, int, int]]:
    if not len(db):
        return set()
    dist = np.bitwise_count(queries[:, None, :] ^ db[None, :, :]).sum(axis=2)
    return {(q, i, int(dist[q, i])) for q, i in zip(*np.nonzero(dist <= threshold), strict=True)}


def _got(index: PdqIndex, queries: np.ndarray, **kw: object) -> set[tuple[int, int, int]]:
    r = index.range_search(queries, **kw)  # type: ignore[arg-type]
    return set(zip(r.query.tolist(), r.item.tolist(), r.distance.tolist(), strict=True))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1), threshold=st.sampled_from([0, 8, 31, 40]))
def test_exact_range_search_equals_brute_force(n: int, seed: int, threshold: int) -> None:
    db, queries = _data(n, seed, 45)
    index = PdqIndex(db, threshold)
    assert index.exact  # small sets are searched exactly by default
    assert _got(index, queries, batch=7) == _brute(db, queries, threshold)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(4100, 8000), seed=st.integers(0, 2**32 - 1))
def test_fast_mode_misses_nothing_up_to_its_guarantee_and_returns_nothing_beyond_threshold(
        n: int, seed: int) -> None:
    # Above 4,096 hashes chunks are 13+ bits (<= 20 chunks), so at threshold 63 the exact radii
    # reach 2 and fast mode (radius <= 1) really probes less.
    threshold = 63
    db, queries = _data(n, seed, 70)
    index = PdqIndex(db, threshold, exact=False)
    assert index.probes_per_query(False) < index.probes_per_query(True)
    guarantee = index.guaranteed_distance()
    assert 0 < guarantee < threshold
    truth = _brute(db, queries, threshold)
    got = _got(index, queries, batch=5)
    assert got <= truth
    assert {p for p in truth if p[2] <= guarantee} <= got
    assert _got(index, queries, exact=True) == truth


def test_fast_mode_finds_every_match_at_its_guaranteed_distance() -> None:
    rng = np.random.default_rng(7)
    db = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    index = PdqIndex(db, 31, exact=False)
    assert index.probes_per_query() < index.probes_per_query(exact=True)
    g = index.guaranteed_distance()
    assert g == FAST_COMPLETE
    queries = np.array([_flip(db[i], g, rng) for i in range(200)])
    r = index.range_search(queries)
    assert set(zip(r.query.tolist(), r.item.tolist(), strict=True)) >= {(i, i) for i in range(200)}


def test_threads_and_batches_do_not_change_the_result() -> None:
    db, queries = _data(4000, 3, 40)
    one = PdqIndex(db, 31, threads=1)
    two = PdqIndex(db, 31, threads=2)
    a, b = one.range_search(queries, batch=3), two.range_search(queries, batch=4)
    for x, y in ((a.query, b.query), (a.item, b.item), (a.distance, b.distance)):
        np.testing.assert_array_equal(x, y)
    # sorted by query, then distance
    keys = list(zip(a.query.tolist(), a.distance.tolist(), strict=True))
    assert keys == sorted(keys)


def test_the_complement_at_distance_256_is_never_a_match() -> None:
    rng = np.random.default_rng(1)
    db = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    r = PdqIndex(db, 255).range_search(~db[:3])
    assert (r.distance <= 255).all()
    for q in range(3):
        assert q not in r.item[r.query == q].tolist()  # its own complement: distance 256
        assert len(r.item[r.query == q]) == 49


def test_pigeonhole_radii_are_minimal_and_sufficient() -> None:
    for m in (10, 11, 13, 32):
        for t in (0, 8, 31, 40):
            radii = exact_radii(m, t)
            assert len(radii) == m and sum(r + 1 for r in radii) == t + 1


def test_hex_round_trip_and_bad_threshold() -> None:
    h = "f" * 32 + "0" * 32
    assert hex_to_bytes([h]).tobytes().hex() == h
    with pytest.raises(ValueError):
        PdqIndex(hex_to_bytes([h]), 256)
