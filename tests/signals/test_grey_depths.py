"""Grey images deeper than 8 bits (16-bit PNG and TIFF scans, 10/12-bit data in 16-bit files,
32-bit integer and float TIFFs) are seen as their 8-bit version: same pixels for the detector
and the reviewer's thumbnail, same PDQ for hash sets. Pillow's own conversion clips at 255 and
made a 16-bit photo nearly white."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from sichter.signals.image import decode
from sichter.signals.pdq import PDQ, hamming

GREY = np.asarray(Image.fromarray(data.astronaut()).convert("L"))


def encoded(pixels: np.ndarray, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("name", "pixels", "fmt"), [
    ("16-bit PNG", GREY.astype(np.uint16) * 257, "PNG"),
    ("16-bit TIFF", GREY.astype(np.uint16) * 257, "TIFF"),
    ("12-bit data in a 16-bit TIFF", GREY.astype(np.uint16) * 16, "TIFF"),
    ("32-bit integer TIFF", GREY.astype(np.int32) * 257, "TIFF"),
    ("float TIFF in [0, 1]", GREY.astype(np.float32) / 255, "TIFF"),
    ("float TIFF in [0, 255]", GREY.astype(np.float32), "TIFF"),
    ("float TIFF, any range", GREY.astype(np.float32) * 10 - 1000, "TIFF"),
])
def test_deep_grey_images_decode_like_their_8_bit_version(name: str, pixels: np.ndarray,
                                                          fmt: str) -> None:
    eight = decode(encoded(GREY, "PNG"), 512, 10**9)
    deep = decode(encoded(pixels, fmt), 512, 10**9)
    difference = np.abs(deep.pixels.astype(int) - eight.pixels.astype(int))
    assert difference.mean() < 0.5 and difference.max() <= 1, name
    assert hamming(PDQ.compute(deep.pixels).value, PDQ.compute(eight.pixels).value) <= 2, name


def test_float_image_with_nan_and_infinity_decodes() -> None:
    pixels = GREY.astype(np.float32) / 255
    pixels[:10] = np.nan
    pixels[10:20] = np.inf
    decoded = decode(encoded(pixels, "TIFF"), 512, 10**9)
    assert decoded.pixels.shape == (512, 512, 3)
    assert abs(float(decoded.pixels[200:].mean()) - float(GREY[200:].mean())) < 2
