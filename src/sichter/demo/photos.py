"""Benign photos: scikit-image's bundled samples under ordinary transformations."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageOps

# Bundled with scikit-image (no download): people, animals, objects, textures, landscapes.
SAMPLES = ["astronaut", "camera", "coffee", "chelsea", "rocket", "motorcycle_left", "horse",
           "brick", "grass", "gravel", "coins", "moon", "hubble_deep_field", "page", "clock_motion",
           "color", "logo", "text", "cell", "ihc"]


def sample(name: str) -> Image.Image:
    import skimage
    from skimage import io as skio

    path = f"{skimage.__path__[0]}/data/{_FILES.get(name, name + '.png')}"
    arr = skio.imread(path)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    im = Image.fromarray(arr)
    return im.convert("RGB")


_FILES = {"hubble_deep_field": "hubble_deep_field.jpg", "rocket": "rocket.jpg",
          "retina": "retina.jpg"}


Transform = Callable[[Image.Image], Image.Image]

TRANSFORMS: dict[str, Transform] = {
    "original": lambda im: im,
    "half": lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2))),
    "gray": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "mirror": ImageOps.mirror,
    "rot90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "crop5": lambda im: im.crop((im.width // 20, im.height // 20, im.width - im.width // 20,
                                 im.height - im.height // 20)),
    "watermark": lambda im: _watermark(im),
    "upscale3": lambda im: im.resize((im.width * 3, im.height * 3), Image.Resampling.BICUBIC),
}


def _watermark(im: Image.Image) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    draw.text((out.width // 20, out.height - out.height // 8), "shared via demo-app", fill=(255, 255, 255))
    return out


def encode(im: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    save_im = im.convert("P") if fmt == "GIF" else im
    save_im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def large_photo(name: str, megapixels: float, seed: int) -> Image.Image:
    """A benign sample upscaled to about ``megapixels``, with mild noise so that copies differ."""
    im = sample(name)
    scale = (megapixels * 1e6 / (im.width * im.height)) ** 0.5
    big = im.resize((int(im.width * scale), int(im.height * scale)), Image.Resampling.BILINEAR)
    rng = np.random.default_rng(seed)
    arr = np.asarray(big, dtype=np.int16)
    noise = rng.integers(-6, 7, size=(arr.shape[0] // 8 + 1, arr.shape[1] // 8 + 1, 1), dtype=np.int16)
    noise = np.repeat(np.repeat(noise, 8, axis=0), 8, axis=1)[: arr.shape[0], : arr.shape[1]]
    return Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8))


def variants(names: list[str] | None = None) -> Iterator[tuple[str, str, Image.Image]]:
    for name in names or SAMPLES:
        base = sample(name)
        for tname, fn in TRANSFORMS.items():
            yield name, tname, fn(base)
