"""Decoding images for analysis: JPEGs in draft mode straight to about 512 px, every format
bounded by a pixel limit so that a decompression bomb is an error, never an outage."""

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from sichter.errors import CorruptData, LimitExceeded, UnsupportedFormat
from sichter.signals.base import ImageSignalValue
from sichter.signals.exif import extract_exif

_HEIF_READY = False


def _register_heif() -> None:
    global _HEIF_READY
    if not _HEIF_READY:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _HEIF_READY = True


@dataclass
class DecodedImage:
    """Pixels for analysis (long side at most ``analysis_px``) and facts about the original."""

    image: Image.Image  # RGB, as stored (no EXIF rotation), for bit-exact hashing
    width: int
    height: int
    exif: dict[str, Any] | None
    orientation: int | None
    problems: tuple[str, ...] = ()  # what the decoder warned about (damaged metadata ...)
    # The decoder applied ``orientation`` itself (Pillow turns TIFFs on load): ``image`` is
    # already as shown, and turning it again would lay its people on their side.
    turned_on_load: bool = False
    # Animated GIF/WebP/PNG, multi-page TIFF: how many frames the file has, and the analysis
    # pixels of up to MAX_MORE_FRAMES further ones spread over them (the ai stage scores them:
    # what is hidden on page 3 must not go unseen because page 1 is a blank).
    frames_total: int = 1
    more_frames: tuple[tuple[int, np.ndarray], ...] = ()
    # The image signals computed on these pixels, by name; the analysis fills it before the
    # image stages run so that they can reuse what a signal already derived.
    signals: dict[str, ImageSignalValue] = field(default_factory=dict)
    _pixels: np.ndarray | None = field(default=None, repr=False)
    _upright: tuple[Image.Image, np.ndarray] | None = field(default=None, repr=False)

    @property
    def pixels(self) -> np.ndarray:
        """``image`` as a read-only RGB uint8 array [h, w, 3], made once: every stage reads
        the same array instead of copying the image out of Pillow again (0.2 ms each)."""
        if self._pixels is None:
            self._pixels = rgb_pixels(self.image)
        return self._pixels


def rgb_pixels(image: Image.Image | np.ndarray) -> np.ndarray:
    """An RGB image as a read-only uint8 array [h, w, 3]; an array passes through as it is."""
    if isinstance(image, np.ndarray):
        return image
    pixels = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    pixels.flags.writeable = False
    return pixels


def decode(data: bytes, analysis_px: int, max_pixels: int) -> DecodedImage:
    _register_heif()
    Image.MAX_IMAGE_PIXELS = None  # our own check below gives the clearer error
    # A truncated image is an error, never silently padded: WeasyPrint (the PDF report) turns
    # Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when it is imported.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        # Pillow reports damaged metadata ("Corrupt EXIF data", "Truncated File Read") as
        # warnings, which a worker printed to the examiner's terminal, detached from the file;
        # they are kept with the image instead. A decompression bomb stays an error.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(_png_without_text(data)))
            width, height = im.size
            if width <= 0 or height <= 0:
                raise CorruptData(f"image declares an empty size {width}×{height}")
            if width * height > max_pixels:
                raise LimitExceeded(
                    f"image too large: {width}×{height} px exceeds the limit of "
                    f"{max_pixels / 1e6:g} MP (decompression bomb?)"
                )
            exif, orientation = extract_exif(im)
            if im.format == "JPEG":
                scale = _draft_scale(width, height, analysis_px)
                if scale > 1:
                    # Floor, not ceiling: Pillow picks the DCT scale as size // requested, so
                    # a rounded-up request on a side not divisible by 8 fell back to 1/4.
                    im.draft("RGB", (max(1, width // scale), max(1, height // scale)))
            im.seek(0)  # first frame of GIF, first page of TIFF
            total, count_problem = (_frame_count(im) if im.format in MULTI_FRAME_FORMATS
                                    else (1, None))
            first = _to_rgb(im)
            turned = bool(orientation and orientation != 1
                          and im.getexif().get(_ORIENTATION, 1) in (None, 1))
            rgb, pixels = _shrink(first.copy() if first is im and total > 1 else first,
                                  analysis_px)
            more, frame_problem = (_more_frames(im, total, analysis_px, max_pixels,
                                                None if turned else orientation)
                                   if total > 1 else ((), count_problem))
    except (LimitExceeded, CorruptData):
        raise
    except UnidentifiedImageError as exc:
        raise UnsupportedFormat("not a decodable image (format not recognised)") from exc
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(f"image too large (decompression bomb): {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
            struct.error, ZeroDivisionError, KeyError) as exc:
        reason = str(exc) or type(exc).__name__
        if "truncated" in reason:
            raise CorruptData(f"truncated image: {reason}") from exc
        raise CorruptData(f"corrupt image: {reason}") from exc
    except MemoryError as exc:
        raise LimitExceeded("image needs more memory than a worker may use") from exc
    problems = tuple(sorted({str(w.message).strip() for w in caught}))[:5]
    if frame_problem:
        problems += (frame_problem,)
    return DecodedImage(rgb, width, height, exif, orientation, problems=problems,
                        turned_on_load=turned, frames_total=total, more_frames=more,
                        _pixels=pixels)


MAX_MORE_FRAMES = 15
# Formats whose further frames are pictures of their own. Not MPO: a phone JPEG's second
# image is a depth or gain map or a preview of the same picture (one person counted twice).
MULTI_FRAME_FORMATS = ("GIF", "PNG", "WEBP", "TIFF")
# What a damaged later frame raises in Pillow's decoders (a page with an unknown compression
# raises KeyError); the first frame was read, so it only ends the sampling.
_FRAME_ERRORS = (OSError, EOFError, ValueError, SyntaxError, struct.error, IndexError, KeyError,
                 TypeError, ZeroDivisionError, AttributeError)
# Pixels decoded to reach the sampled frames (a GIF frame needs every frame before it).
FRAME_BUDGET_PX = 400_000_000


def _frame_count(im: Image.Image) -> tuple[int, str | None]:
    try:
        return max(1, int(getattr(im, "n_frames", 1))), None
    except _FRAME_ERRORS as exc:  # a damaged later frame: the first is still read
        im.seek(0)
        return 1, f"frames after the first cannot be read: {str(exc) or type(exc).__name__}"


def _more_frames(im: Image.Image, total: int, analysis_px: int, max_pixels: int,
                 orientation: int | None) -> tuple[tuple[tuple[int, np.ndarray], ...], str | None]:
    """Analysis pixels, turned for ``orientation`` like the first frame, of up to
    MAX_MORE_FRAMES frames after the first, spread evenly; stops at a frame that cannot be
    decoded, that is larger than ``max_pixels`` (a TIFF's pages each declare their own size)
    or when the decoding budget is spent, and says so."""
    n = min(MAX_MORE_FRAMES, total - 1)
    wanted = sorted({round(1 + k * (total - 2) / max(1, n - 1)) for k in range(n)})
    out: list[tuple[int, np.ndarray]] = []
    for index in wanted:
        if index * im.width * im.height > FRAME_BUDGET_PX:
            return tuple(out), (f"frames after {out[-1][0] if out else 0} of {total} not "
                                f"analysed (decoding budget)")
        try:
            im.seek(index)
            if im.width * im.height > max_pixels:
                return tuple(out), (f"frame {index} of {total} not analysed: {im.width}×"
                                    f"{im.height} px exceeds the limit of {max_pixels / 1e6:g} MP")
            frame, pixels = _shrink(_to_rgb(im).copy(), analysis_px)
        except _FRAME_ERRORS as exc:
            return tuple(out), f"frame {index} of {total} cannot be decoded: {exc}"
        if orientation and orientation != 1:
            frame, pixels = _apply_orientation(frame, orientation), None
        out.append((index, pixels if pixels is not None else rgb_pixels(frame)))
    return tuple(out), None


_ORIENTATION = 0x0112  # EXIF tag
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"iCCP"}


def _png_without_text(data: bytes) -> bytes:
    """A PNG without its text and ICC chunks; any other data as it is.

    Nothing here reads them, but Pillow refuses the whole image when one inflates past 1 MB
    (its text bomb guard): a padded comment kept a photo from getting a PDQ at all. Chunks
    are copied as they are, so damage elsewhere still reaches the decoder and is reported.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        end = pos + 12 + length  # length, type, data, CRC
        if end > len(data) or data[pos + 4:pos + 8] not in _PNG_TEXT_CHUNKS:
            kept.append(data[pos:end])
        pos = end
    return b"".join(kept)


def _draft_scale(width: int, height: int, target: int) -> int:
    """The largest JPEG DCT scale (1/1..1/8) whose result keeps the long side at least
    ``target``; the result is then reduced to ``target``.

    Decoding at a DCT scale costs a fraction of a full decode. It must not go below ``target``
    though: ThreatExchange's reference hashers take PDQ from the image brought to 512 px, and
    hash sets are made with them. Stopping at 5/8 of it (320 px, enough for the detector) put
    our PDQ 9.6 bits on average and up to 48 bits away from the Python reference on 3–12 MP
    photos (5 % beyond the match threshold of 31); at 512 px it is 3.0 on average, at most 18
    (bench photos) and 1.0 / 8 on upscaled samples and textures, for 4 ms more decoding.
    """
    long_side = max(width, height)
    for scale in (8, 4, 2):
        if long_side // scale >= target:
            return scale
    return 1


def fitted_size(width: int, height: int, target: int) -> tuple[int, int]:
    """The size Pillow's ``thumbnail((target, target))`` gives (its rounding, mirrored here so
    that the faster resizes below keep the sizes users and tests see): aspect kept, long side
    ``target``, the short side rounded to whichever neighbour keeps the aspect closest."""
    if width <= target and height <= target:
        return width, height
    aspect = width / height
    if aspect <= 1:
        short = min(math.floor(target * aspect), math.ceil(target * aspect),
                    key=lambda n: abs(aspect - n / target))
        return max(short, 1), target
    short = min(math.floor(target / aspect), math.ceil(target / aspect),
                key=lambda n: 0 if n == 0 else abs(aspect - target / n))
    return target, max(short, 1)


def _shrink(rgb: Image.Image, target: int) -> tuple[Image.Image, np.ndarray | None]:
    """``rgb`` with its long side brought down to ``target`` (unchanged when it is not longer),
    and its pixels as an array when the resize made one anyway.

    Below a factor of two (every JPEG after its draft decode) OpenCV's bilinear resize does it:
    about a tenth of Pillow's time (0.5 vs 4.6 ms from 1000 px, bench/RESULTS.md), and PDQ of
    the result is as close to ThreatExchange's reference hashers as Pillow's was (mean 3.2 vs
    3.2 bits on bench photos, 0.9 vs 1.0 on upscaled textures). Larger factors (PNGs, TIFFs at
    full size) need a filter that looks at every pixel: Pillow's, as before.
    """
    size = fitted_size(rgb.width, rgb.height, target)
    if size == rgb.size:
        return rgb, None
    if rgb.width < 2 * size[0] and rgb.height < 2 * size[1]:
        cv2 = opencv()
        pixels = cv2.resize(np.asarray(rgb), size, interpolation=cv2.INTER_LINEAR)
        pixels.flags.writeable = False
        return Image.fromarray(pixels), pixels
    rgb.thumbnail((target, target), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return rgb, None


_OPENCV_THREADS_SET = False
_BLAS_THREADS_SET = False


def opencv() -> Any:
    """OpenCV with one thread: image work runs in analysis workers, a pool already sized to
    the cores, where OpenCV's own threads only oversubscribe them (ORB measured 22.7 -> 19.7
    ms CPU per photo)."""
    global _OPENCV_THREADS_SET
    import cv2

    if not _OPENCV_THREADS_SET:
        cv2.setNumThreads(1)
        _OPENCV_THREADS_SET = True
    return cv2


def single_threaded_blas() -> None:
    """NumPy's BLAS with one thread, for the same reason as ``opencv``: its threads waking for
    PDQ's small matrix products cost 30 ms where one thread takes 0.3 ms (measured)."""
    global _BLAS_THREADS_SET
    if not _BLAS_THREADS_SET:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
        _BLAS_THREADS_SET = True


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        im.load()
        return im
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        # Transparent pixels carry arbitrary colours; composite on white as viewers show them.
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return Image.fromarray(_grey_to_8bit(im), "L").convert("RGB")
    return im.convert("RGB")


def _grey_to_8bit(im: Image.Image) -> np.ndarray:
    """A 16-bit, 32-bit or float grey image as 8-bit grey, brightness kept where the range is
    known. Pillow's own conversion clips at 255, which turns a 16-bit photo (scanners, TIFFs,
    PNGs) white where anything is brighter than 1/256 of full scale."""
    # float32 holds every 16-bit value exactly and costs what Pillow's "F" conversion did.
    values = np.nan_to_num(np.array(im, dtype=np.float32), copy=False, nan=0.0, posinf=0.0,
                           neginf=0.0)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if im.mode.startswith("I;16") or (im.mode == "I" and low >= 0 and 255 < high <= 65535):
        scaled = values / 257.0
        if high < 4096:  # 10- or 12-bit data in a 16-bit container would be all but black
            scaled = values * (255.0 / max(high, 1.0))
    elif low >= 0 and high <= 1.0 and im.mode == "F":
        scaled = values * 255.0  # float images in [0, 1]
    elif low >= 0 and high <= 255:
        scaled = values
    else:  # any other range: stretched to 0-255
        scaled = (values - low) * (255.0 / max(high - low, 1e-12))
    out: np.ndarray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return out


def upright(decoded: DecodedImage) -> tuple[Image.Image, np.ndarray]:
    """The analysis image as a viewer shows it (EXIF orientation applied), and its pixels.

    Hashes stay on the stored pixels (ThreatExchange's hashers read them so); what a person
    or a detector looks at is turned: a portrait photo stored on its side would otherwise be
    scored with its people lying down, and its boxes would not fit the picture a browser shows.
    """
    if not decoded.orientation or decoded.orientation == 1 or decoded.turned_on_load:
        return decoded.image, decoded.pixels
    if decoded._upright is None:  # turned once; the thumbnail and the ai stage both ask
        image = _apply_orientation(decoded.image, decoded.orientation)
        decoded._upright = image, rgb_pixels(image)
    return decoded._upright


def thumbnail_jpeg(decoded: DecodedImage, size: int, quality: int = 80) -> bytes:
    """A small JPEG as a viewer shows the photo (EXIF rotation applied); encrypt before storing."""
    thumb, pixels = upright(decoded)
    target = fitted_size(thumb.width, thumb.height, size)
    if target != thumb.size:
        # Area averaging looks at every pixel at any factor; from the 512 px analysis image
        # it takes a twentieth of Pillow's bilinear thumbnail (0.06 vs 1.1 ms).
        cv2 = opencv()
        thumb = Image.fromarray(cv2.resize(pixels, target, interpolation=cv2.INTER_AREA))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=quality)
    return out.getvalue()


_ORIENT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _apply_orientation(im: Image.Image, orientation: int) -> Image.Image:
    for op in _ORIENT.get(orientation, ()):
        im = im.transpose(op)
    return im
