"""Large JPEGs decode at the smallest DCT scale that still gives 512 px (what PDQ's reference
hashers hash), also when their sides are not multiples of 8 (most real and generated sizes);
and PDQ then agrees with the ThreatExchange reference's way of hashing a file."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sichter.signals.image import decode


def jpeg(width: int, height: int) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) % 256)], axis=2)
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, format="JPEG", quality=85)
    return out.getvalue()


@pytest.mark.parametrize(("size", "expected"), [
    ((4600, 3000), (512, 334)),   # 1/8 (575 px, the ceiling of libjpeg), then to 512
    ((4096, 3072), (512, 384)),   # exactly 512 at 1/8: no resize
    ((4040, 2687), (512, 341)),   # 1/8 would be 505 px < 512: 1/4 (1010 px), then to 512
    ((2137, 1425), (512, 342)),   # 1/4 (535 px), then to 512
    ((1000, 700), (512, 358)),    # 1/1: 1/2 would be 500 px
])
def test_draft_picks_the_smallest_scale_that_keeps_512_px(
        size: tuple[int, int], expected: tuple[int, int]) -> None:
    decoded = decode(jpeg(*size), 512, 10**9)
    assert (decoded.width, decoded.height) == size
    assert decoded.image.size == expected


@pytest.mark.parametrize("name", ["brick", "grass", "coffee", "rocket", "page"])
@pytest.mark.parametrize("upscale", [2.5, 6])
def test_pdq_agrees_with_the_threatexchange_python_reference_on_large_photos(
        name: str, upscale: float) -> None:
    import pdqhash

    from sichter.demo.photos import sample
    from sichter.signals.pdq import PDQ, bits_to_hex, hamming

    base = sample(name).convert("RGB")
    big = base.resize((int(base.width * upscale), int(base.height * upscale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    big.save(out, format="JPEG", quality=90)
    data = out.getvalue()
    # The reference (pdq/python/pdqhashing/hasher/pdq_hasher.py, fromFile): Pillow's
    # thumbnail to 512 px, then PDQ on those pixels.
    reference = Image.open(io.BytesIO(data))
    reference.thumbnail((512, 512))
    expected = bits_to_hex(pdqhash.compute(np.asarray(reference.convert("RGB")))[0])
    ours = PDQ.compute(np.asarray(decode(data, 512, 10**9).image)).value
    # Textures are the most sensitive; the old 320 px floor measured up to 44 bits here.
    assert hamming(ours, expected) <= 12


def test_a_thin_jpeg_still_decodes() -> None:
    decoded = decode(jpeg(2600, 7), 512, 10**9)
    assert decoded.image.size[0] <= 512 and decoded.image.size[1] >= 1


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 1024))
def test_fitted_size_is_the_size_pillows_thumbnail_gives(width: int, height: int, target: int) -> None:
    from sichter.signals.image import fitted_size

    im = Image.new("L", (width, height))
    im.thumbnail((target, target))
    assert fitted_size(width, height, target) == im.size


def test_a_large_png_is_reduced_with_a_filter_that_sees_every_pixel() -> None:
    # A 1-px checkerboard averages to mid-grey; sampling a few pixels (a plain bilinear
    # resize far below half size) would give stripes of black and white instead.
    board = (np.indices((2048, 3072)).sum(axis=0) % 2 * 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(board).convert("RGB").save(out, format="PNG")
    pixels = np.asarray(decode(out.getvalue(), 512, 10**9).image, dtype=np.int16)
    assert pixels.shape == (341, 512, 3)
    assert np.abs(pixels[2:-2, 2:-2] - 128).max() <= 8
