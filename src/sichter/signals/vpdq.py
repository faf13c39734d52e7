"""vPDQ (Meta ThreatExchange): a video as a bag of per-frame PDQ hashes, and its matching.

Hashing follows the reference ``vpdq`` package (ThreatExchange ``vpdq/cpp``): frames are
numbered in decode order from 0; every ``frame_mod = int(seconds_per_hash * fps)``-th frame
(at least every frame) is converted to RGB at full size and PDQ-hashed; its timestamp is
``frame_number / fps`` with ``fps`` the stream's average frame rate. Sichter hashes the frames
inside its own single decoding pass (``sichter.classify.video_frames``), so a video is read
once for keyframes and vPDQ together and stays within the per-video time budget; the reference
package (``hash_file``) is used to check compatibility and to hash reference videos on disk.

Matching is the reference "bag of hashes" comparison (formats.md §5.2): frames below the
quality threshold are dropped, identical hashes de-duplicated, and a video matches when at
least ``query_pct`` % of the query's frames have a frame of the other video within Hamming
distance ``distance`` (inclusive, as python-threatexchange: 31), and ``compared_pct`` % the
other way round (default 0).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sichter.errors import CorruptData

NAME = "vpdq"
DISTANCE_THRESHOLD = 31
QUALITY_THRESHOLD = 50
QUERY_MATCH_PCT = 80.0
COMPARED_MATCH_PCT = 0.0


@dataclass(frozen=True)
class VpdqFeature:
    """One hashed frame: decode-order number, PDQ quality (0-100), PDQ hex, seconds."""

    frame_number: int
    quality: int
    pdq_hex: str
    timestamp: float

    def line(self) -> str:
        """The C++ ``vpdq-hash-video`` line: ``frameNumber,quality,pdqhex,timestamp``."""
        return f"{self.frame_number},{self.quality},{self.pdq_hex},{self.timestamp:.3f}"

    @classmethod
    def parse(cls, line: str) -> VpdqFeature:
        """Read a C++-format line; raise CorruptData with the reason when it is malformed."""
        parts = line.strip().split(",")
        if len(parts) != 4:
            raise CorruptData(f"vPDQ line needs 4 comma-separated fields, got {len(parts)}")
        number, quality, pdq_hex, timestamp = parts
        pdq_hex = pdq_hex.lower()
        if len(pdq_hex) != 64 or any(c not in "0123456789abcdef" for c in pdq_hex):
            raise CorruptData("vPDQ line: the PDQ hash must be 64 hex digits")
        try:
            feature = cls(int(number), int(quality), pdq_hex, float(timestamp))
        except ValueError as exc:
            raise CorruptData(f"vPDQ line: {exc}") from exc
        if not 0 <= feature.quality <= 100 or feature.frame_number < 0:
            raise CorruptData("vPDQ line: quality must be 0-100 and the frame number >= 0")
        return feature


def frame_mod(fps: float, seconds_per_hash: float) -> int:
    """Every how many decoded frames one is hashed (the reference truncates, minimum 1)."""
    return max(1, int(seconds_per_hash * fps))


def hash_frame(rgb: np.ndarray) -> tuple[str, int]:
    """PDQ hex and quality of one full-size RGB frame (H x W x 3, uint8)."""
    import pdqhash

    from sichter.signals.pdq import bits_to_hex

    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb, dtype=np.uint8))
    return bits_to_hex(bits), int(quality)


def dumps(features: Iterable[VpdqFeature]) -> str:
    """The C++ text file: one line per hashed frame."""
    return "".join(f.line() + "\n" for f in features)


def loads(text: str) -> list[VpdqFeature]:
    """Parse a C++ text file (blank lines ignored)."""
    return [VpdqFeature.parse(line) for line in text.splitlines() if line.strip()]


def to_threatexchange(features: Iterable[VpdqFeature]) -> str:
    """python-threatexchange's signal string: a JSON array of ``"pdqhex,quality,timestamp"``."""
    return json.dumps([f"{f.pdq_hex},{f.quality},{f.timestamp:.3f}" for f in features])


def from_threatexchange(signal: str) -> list[VpdqFeature]:
    """Read python-threatexchange's signal string; frame numbers are not carried, so they are
    the list positions."""
    try:
        items = json.loads(signal)
    except json.JSONDecodeError as exc:
        raise CorruptData(f"vPDQ signal is not JSON: {exc.msg}") from exc
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise CorruptData("vPDQ signal must be a JSON array of strings")
    out = []
    for n, item in enumerate(items):
        parts = item.split(",")
        if len(parts) != 3:
            raise CorruptData("vPDQ signal items are 'pdqhex,quality,timestamp'")
        out.append(VpdqFeature.parse(f"{n},{parts[1]},{parts[0]},{parts[2]}"))
    return out


@dataclass(frozen=True)
class VpdqMatch:
    """How much of each video is found in the other, in percent of its usable frames."""

    query_pct: float
    compared_pct: float

    def is_match(self, query_pct: float = QUERY_MATCH_PCT,
                 compared_pct: float = COMPARED_MATCH_PCT) -> bool:
        # An empty side (no frame of sufficient quality) never matches, as in the C++ tool.
        return self.query_pct > 0 and self.query_pct >= query_pct and \
            self.compared_pct >= compared_pct


def _usable(features: Sequence[VpdqFeature], quality: int) -> np.ndarray:
    """Unique hashes of frames with quality >= ``quality``, as an (n, 32) uint8 array."""
    unique = sorted({f.pdq_hex for f in features if f.quality >= quality})
    if not unique:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(unique)), dtype=np.uint8).reshape(-1, 32)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def compare(query: Sequence[VpdqFeature], compared: Sequence[VpdqFeature],
            distance: int = DISTANCE_THRESHOLD, quality: int = QUALITY_THRESHOLD) -> VpdqMatch:
    """The percentages of the reference brute-force matcher (frame distance <= ``distance``)."""
    q = _usable(query, quality)
    c = _usable(compared, quality)
    if len(q) == 0 or len(c) == 0:
        return VpdqMatch(0.0, 0.0)
    # Pairwise Hamming distances via a byte popcount table, in blocks of query rows so
    # that two hour-long videos (3600 hashes each) stay within a few dozen MB.
    q_hit = np.zeros(len(q), dtype=bool)
    c_hit = np.zeros(len(c), dtype=bool)
    for start in range(0, len(q), 128):
        block = q[start:start + 128]
        close = _POPCOUNT[block[:, None, :] ^ c[None, :, :]].sum(axis=2) <= distance
        q_hit[start:start + 128] = close.any(axis=1)
        c_hit |= close.any(axis=0)
    return VpdqMatch(float(100.0 * q_hit.mean()), float(100.0 * c_hit.mean()))


def is_match(query: Sequence[VpdqFeature], compared: Sequence[VpdqFeature],
             distance: int = DISTANCE_THRESHOLD, quality: int = QUALITY_THRESHOLD,
             query_pct: float = QUERY_MATCH_PCT, compared_pct: float = COMPARED_MATCH_PCT) -> bool:
    """The default vPDQ match rule: >= 80 % of the query's frames match at distance 31 and
    quality 50 (python-threatexchange's thresholds)."""
    return compare(query, compared, distance, quality).is_match(query_pct, compared_pct)


def hash_file(path: Path, seconds_per_hash: float = 1.0) -> list[VpdqFeature]:
    """Hash a video file on disk with the reference ``vpdq`` package (single-threaded).

    For reference videos an agency holds as files; evidence goes through Sichter's own pass.
    """
    import vpdq

    try:
        raw = vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash, thread_count=1)
    except (ValueError, RuntimeError) as exc:
        raise CorruptData(f"vPDQ cannot hash this video: {exc}") from exc
    return [VpdqFeature(int(f.frame_number), int(f.quality), str(f.hex), float(f.timestamp))
            for f in raw]
