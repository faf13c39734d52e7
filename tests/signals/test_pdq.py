"""Sichter's PDQ gives pdqhash's hashes and quality bit for bit, for photos and for the images
where rounding decides bits (flat, striped, repeated rows); and it does so without pdqhash's
full-image passes on ordinary photos, which is what makes it fast."""

from __future__ import annotations

import numpy as np
import pdqhash
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data

from sichter.signals import pdq
from sichter.signals.pdq import PDQ, bits_to_hex, sampled_jarosz


def reference(pixels: np.ndarray) -> tuple[list[str], int]:
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(pixels))
    return [bits_to_hex(v) for v in vectors], int(quality)


def make_image(kind: str, height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    if kind == "noise":
        return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if kind == "flat":
        return np.full((height, width, 3), rng.integers(0, 256), dtype=np.uint8)
    if kind == "columns":  # every row the same: half the DCT is rounding noise
        row = rng.integers(0, 256, (1, width, 3), dtype=np.uint8)
        return np.repeat(row, height, axis=0)
    if kind == "halves":
        image = np.zeros((height, width, 3), dtype=np.uint8)
        image[: height // 2] = rng.integers(0, 256, 3)
        return image
    waves = 128 + 100 * np.sin(x / rng.uniform(2, 40) + y / rng.uniform(2, 40))
    colour = np.stack([waves, np.roll(waves, 3, axis=1), 255 - waves], axis=2)
    return np.clip(colour + rng.normal(0, 8, colour.shape), 0, 255).astype(np.uint8)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["noise", "flat", "columns", "halves", "waves"]),
       height=st.integers(1, 700), width=st.integers(1, 700), seed=st.integers(0, 2**32 - 1))
def test_hashes_and_quality_equal_pdqhash_on_any_image(kind: str, height: int, width: int,
                                                      seed: int) -> None:
    pixels = make_image(kind, height, width, seed)
    assert PDQ.dihedral(pixels) == reference(pixels)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "camera"])
def test_sample_photos_equal_pdqhash_and_orientation_variants_match_rotated_copies(
        name: str) -> None:
    pixels = getattr(data, name)()
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=2)
    pixels = np.ascontiguousarray(pixels[:, :, :3])
    hashes, quality = PDQ.dihedral(pixels)
    assert (hashes, quality) == reference(pixels)
    # The rotate-90 variant is (nearly) the hash of the image turned a quarter: the lookup
    # that finds rotated copies in a hash set relies on it.
    turned = PDQ.dihedral(np.ascontiguousarray(np.rot90(pixels)))[0][0]
    assert min(pdq.hamming(turned, h) for h in hashes[1:4]) <= 16


@given(n=st.integers(1, 2000), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_sampled_jarosz_is_the_reference_box_filter_twice_then_sampled(n: int, seed: int) -> None:
    values = np.random.default_rng(seed).uniform(0, 255, n)

    def box(vec: np.ndarray, window: int) -> np.ndarray:
        # box1DFloat's four phases, literally: the window shrinks at both ends.
        half = (window + 2) // 2
        out, total, count, left, right = [], 0.0, 0, 0, 0
        for _ in range(half - 1):
            total, count, right = total + vec[right], count + 1, right + 1
        for _ in range(window - half + 1):
            total, count, right = total + vec[right], count + 1, right + 1
            out.append(total / count)
        for _ in range(n - window):
            total, right = total + vec[right] - vec[left], right + 1
            left += 1
            out.append(total / count)
        for _ in range(half - 1):
            total, count = total - vec[left], count - 1
            left += 1
            out.append(total / count)
        return np.asarray(out)

    window = (n + 127) // 128
    blurred = box(box(values, window), window)
    picks = [int((k + 0.5) * n / 64) for k in range(64)]
    assert np.allclose(sampled_jarosz(n) @ values, blurred[picks], rtol=1e-5, atol=1e-3)


def test_ordinary_photos_do_not_need_the_reference_and_flat_images_use_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, ...]] = []
    original = pdqhash.compute_dihedral

    def counted(pixels: np.ndarray) -> object:
        calls.append(pixels.shape)
        return original(pixels)

    monkeypatch.setattr(pdq.pdqhash, "compute_dihedral", counted)
    for name in ("astronaut", "coffee", "chelsea"):
        PDQ.dihedral(getattr(data, name)())
    assert calls == []
    flat = np.full((300, 400, 3), 90, dtype=np.uint8)
    hashes, quality = PDQ.dihedral(flat)
    assert calls == [(300, 400, 3)] and quality == 0
