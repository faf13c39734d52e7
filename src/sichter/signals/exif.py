"""The EXIF fields an examiner asks for first, as plain JSON: camera, time taken, place.

Only parsed values are kept. Raw EXIF is never stored: it may embed a JPEG thumbnail of the
evidence, which would then sit in the store unencrypted.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from PIL import Image

_BASE = {271: "make", 272: "model", 305: "software", 306: "datetime", 315: "artist"}
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_EXIF_TAGS = {36867: "datetime_original", 36868: "datetime_digitized", 36881: "offset_time_original",
              42033: "body_serial_number", 42036: "lens_model"}


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(Fraction(int(value[0]), int(value[1]) or 1))
    return float(value)


def _degrees(dms: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_rational(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if _text(ref) in {"S", "W"}:
        value = -value
    return round(value, 7)


def extract_exif(im: Image.Image) -> tuple[dict[str, Any] | None, int | None]:
    """Selected EXIF fields (or None when there are none) and the orientation tag."""
    try:
        exif = im.getexif()
    except (OSError, ValueError, SyntaxError, TypeError, KeyError, IndexError):
        return None, None
    if not exif:
        return None, None
    out: dict[str, Any] = {}
    for tag, key in _BASE.items():
        if (text := _text(exif.get(tag))) is not None:
            out[key] = text
    orientation = exif.get(274)
    orientation = int(orientation) if isinstance(orientation, int) and 1 <= orientation <= 8 else None
    if orientation:
        out["orientation"] = orientation
    try:
        sub = exif.get_ifd(_EXIF_IFD)
        for tag, key in _EXIF_TAGS.items():
            if (text := _text(sub.get(tag))) is not None:
                out[key] = text
        gps = exif.get_ifd(_GPS_IFD)
    except (OSError, ValueError, SyntaxError, TypeError, KeyError, IndexError):
        gps = {}
    if gps and 2 in gps and 4 in gps:
        lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            point: dict[str, Any] = {"lat": lat, "lon": lon}
            try:
                if 6 in gps:
                    alt = _rational(gps[6])
                    point["alt"] = round(-alt if gps.get(5) in (1, b"\x01") else alt, 2)
            except (TypeError, ValueError, ZeroDivisionError):
                pass  # an unreadable altitude leaves the position itself valid
            out["gps"] = point
    return (out or None), orientation
