"""Crop- and watermark-robust matching: ORB keypoints verified by RANSAC geometry.

PDQ describes the whole frame, so a 5 % border crop or a text watermark moves it far beyond
its threshold. Local features do not care: a copy shares hundreds of keypoints with its
original, arranged by one similarity transform (shift, scale, rotation). This module is the
algorithm (pixels -> :class:`LocalFeatures`) and its compact serialisation; the index that
finds and verifies candidates lives in :mod:`sichter.matching.robust_index`.

Mirrored copies are matched by indexing each known image twice (as is and mirrored, see
:func:`known_variants`); ORB's orientation makes 90° rotations free.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from sichter.errors import CorruptData

NAME = "orb_ransac"  # the match kind in the store and the export; never change it
VERSION = 1  # bump when extraction changes in a way that makes stored features stale
MIME = "application/x-sichter-features"
DERIVATIVE_KIND = "local_features"

NORMALISED_PX = 512  # every image is brought to this long side before detection
MAX_FEATURES = 1000
# FAST corner contrast 1 (OpenCV's default is 20): ORB keeps the best corners by Harris score
# anyway, so textured photos get the same keypoints, while smooth ones (a colour wheel, faint
# microscopy) get any at all. One fixed threshold keeps a copy and its original consistent:
# an adaptive one let a watermark's text push a smooth copy to another threshold (measured).
_FAST_THRESHOLD = 1
_EDGE = 15  # ORB's edgeThreshold (= its patch radius)
_MAGIC = b"SLF"
_HEADER = struct.Struct("<3sBBHHI")  # magic, format version, extractor version, w, h, count
_DESCRIPTOR_BYTES = 32
_POINT_SCALE = 4.0  # points are stored in quarter pixels as uint16


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoint positions (in the normalised image of ``width`` x ``height``) and their
    256-bit ORB descriptors, one row each."""

    width: int
    height: int
    points: np.ndarray  # float32, shape (n, 2)
    descriptors: np.ndarray  # uint8, shape (n, 32)
    version: int = VERSION

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def to_bytes(self) -> bytes:
        """A compact form (36 bytes per keypoint) that :meth:`from_bytes` reads back."""
        count = len(self)
        header = _HEADER.pack(_MAGIC, 1, self.version, self.width, self.height, count)
        quantised = np.clip(np.rint(self.points * _POINT_SCALE), 0, 65535).astype("<u2")
        return header + quantised.tobytes() + np.ascontiguousarray(self.descriptors).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> LocalFeatures:
        """Features from :meth:`to_bytes`; anything else raises :class:`CorruptData`."""
        if len(data) < _HEADER.size:
            raise CorruptData(f"local features too short ({len(data)} bytes)")
        magic, fmt, version, width, height, count = _HEADER.unpack_from(data)
        if magic != _MAGIC or fmt != 1:
            raise CorruptData("not Sichter local features (bad magic or format)")
        expected = _HEADER.size + count * (4 + _DESCRIPTOR_BYTES)
        if len(data) != expected:
            raise CorruptData(f"local features truncated or padded: {len(data)} bytes, "
                              f"{expected} expected for {count} keypoints")
        offset = _HEADER.size
        points = np.frombuffer(data, dtype="<u2", count=count * 2, offset=offset)
        points = points.reshape(count, 2).astype(np.float32) / _POINT_SCALE
        offset += count * 4
        descriptors = np.frombuffer(data, dtype=np.uint8, count=count * _DESCRIPTOR_BYTES,
                                    offset=offset).reshape(count, _DESCRIPTOR_BYTES).copy()
        return cls(width, height, points, descriptors, version)


def extract(rgb: np.ndarray, max_features: int = MAX_FEATURES) -> LocalFeatures:
    """ORB keypoints of an RGB (or grey) image, normalised to a long side of 512 px so that
    resized and upscaled copies are described at the same scale as their original."""
    import cv2

    arr = np.ascontiguousarray(rgb, dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] >= 3:
        grey = cv2.cvtColor(arr[:, :, :3], cv2.COLOR_RGB2GRAY)
    elif arr.ndim == 2:
        grey = arr
    else:
        raise CorruptData(f"cannot extract features from an array of shape {arr.shape}")
    height, width = grey.shape
    if min(height, width) < 1:
        raise CorruptData(f"cannot extract features from an empty image {width}x{height}")
    scale = NORMALISED_PX / max(height, width)
    if abs(scale - 1.0) > 1e-3:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        grey = cv2.resize(grey, size, interpolation=interp)
    keypoints: Any = ()
    descriptors: Any = None
    # ORB keeps keypoints _EDGE px away from every border: a strip thinner than twice that has
    # none, and one a pixel or two thin makes OpenCV's pyramid assert. Such images simply
    # have no local features.
    if min(grey.shape) > 2 * _EDGE:
        orb = cv2.ORB_create(  # type: ignore[attr-defined]
            nfeatures=max_features, fastThreshold=_FAST_THRESHOLD, edgeThreshold=_EDGE,
            patchSize=31)
        keypoints, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        points = np.zeros((0, 2), np.float32)
        descriptors = np.zeros((0, _DESCRIPTOR_BYTES), np.uint8)
    else:
        points = np.array([kp.pt for kp in keypoints], dtype=np.float32)
    return LocalFeatures(grey.shape[1], grey.shape[0], points, descriptors)


def known_variants(rgb: np.ndarray, max_features: int = MAX_FEATURES) -> list[LocalFeatures]:
    """The features to index for one known image: as is and mirrored (ORB is not mirror
    invariant, and mirrored re-shares are common)."""
    arr = np.asarray(rgb)
    return [extract(arr, max_features), extract(arr[:, ::-1], max_features)]
