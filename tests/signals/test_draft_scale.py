"""Large JPEGs decode at the smallest DCT scale that still gives the detector its 320 px,
also when their sides are not multiples of 8 (most real and generated sizes)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sichter.signals.image import decode


def jpeg(width: int, height: int) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) % 256)], axis=2)
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, format="JPEG", quality=85)
    return out.getvalue()


@pytest.mark.parametrize(("size", "expected"), [
    ((2745, 1830), (344, 229)),   # 1/8 scale (ceil of libjpeg), not 1/4 then a resize
    ((4040, 2687), (505, 336)),
    ((2137, 1425), (512, 342)),   # 1/8 would be 268 px < 320: 1/4 (535 px), then to 512
    ((4000, 3000), (500, 375)),
])
def test_draft_picks_the_eighth_scale_whenever_it_keeps_320_px(
        size: tuple[int, int], expected: tuple[int, int]) -> None:
    decoded = decode(jpeg(*size), 512, 10**9)
    assert (decoded.width, decoded.height) == size
    assert decoded.image.size == expected


def test_a_thin_jpeg_still_decodes() -> None:
    decoded = decode(jpeg(2600, 7), 512, 10**9)
    assert decoded.image.size[0] <= 512 and decoded.image.size[1] >= 1
