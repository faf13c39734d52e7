"""The index behind robust matching: every known keypoint in one faiss binary index, a vote
per query keypoint for the known images its nearest neighbours belong to, then RANSAC on the
best-voted candidates. A match is declared only when at least ``min_inliers`` keypoint pairs
agree on one similarity transform with a plausible scale, which unrelated images do not reach.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from sichter.errors import CorruptData
from sichter.matching.robust import NAME, LocalFeatures


@dataclass(frozen=True)
class RobustConfig:
    """Thresholds of the robust stage; recorded with every match it makes."""

    knn: int = 4  # neighbours looked up per query keypoint
    max_hamming: int = 64  # of 256 bits; a neighbour farther away is no evidence
    candidates: int = 8  # known images verified geometrically per query
    min_inliers: int = 20  # distinct keypoint pairs on one transform (bench: copies >= 49,
    # unrelated <= 11)
    reprojection_px: float = 6.0  # RANSAC tolerance in the 512 px normalised image
    min_scale: float = 0.25  # a known image shown at less than 1/4 its size is not claimed
    max_scale: float = 4.0
    nprobe: int = 16  # inverted lists searched once the index is large enough to cluster

    def as_dict(self) -> dict[str, float | int | str]:
        return {"kind": NAME, **self.__dict__}


@dataclass(frozen=True)
class RobustMatch:
    """A verified match: ``inliers`` distinct keypoint pairs (one per 8 px cell) agree on one
    transform; ``score`` is their share of the smaller keypoint set (0..1)."""

    key: str
    score: float
    inliers: int
    kind: str = NAME


_MAGIC = b"SRI1"
_CELL_PX = 8.0
_FLAT_UP_TO = 20_000  # descriptors; beyond this an exhaustive search costs > 0.1 s per query


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run faiss on one thread: a query is a few hundred vectors, and OpenMP's spinning
    threads made it 5-10x slower on a loaded machine (measured, bench/RESULTS.md); ingest
    already runs one worker per core. The previous thread count is restored."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _binary_index(descriptors: np.ndarray, nprobe: int) -> Any:
    """Exact search for small sets; beyond, an inverted file over about 4·sqrt(n) lists whose
    centroids are a fixed random sample of the descriptors (k-means training in Hamming space
    took minutes at 130 k descriptors and bought no recall that RANSAC needs: a match needs
    only ``min_inliers`` of ~1,000 keypoint pairs). ``nprobe`` lists are visited per query."""
    import faiss

    if len(descriptors) <= _FLAT_UP_TO:
        flat = faiss.IndexBinaryFlat(256)
        flat.add(descriptors)
        return flat
    nlist = int(min(65536, 4 * np.sqrt(len(descriptors))))
    rng = np.random.default_rng(0)  # fixed centroids keep results reproducible
    quantiser = faiss.IndexBinaryFlat(256)
    quantiser.add(np.ascontiguousarray(descriptors[rng.choice(len(descriptors), nlist,
                                                               replace=False)]))
    ivf = faiss.IndexBinaryIVF(quantiser, 256, nlist)
    ivf.train(descriptors[:nlist])  # a no-op: the quantiser already holds nlist centroids
    ivf.add(descriptors)
    ivf.nprobe = nprobe
    ivf.referenced_objects = [quantiser]  # type: ignore[attr-defined]  # keeps it alive
    return ivf


def _distinct_inliers(src: np.ndarray, dst: np.ndarray) -> int:
    """Inlier pairs counted once per 8 px cell on both sides: ORB finds one corner at several
    pyramid levels, and unrelated images with a few shared corners (synthetic shapes) reached
    16 raw inliers but never more than 9 distinct ones (bench/RESULTS.md)."""
    cells = [len(np.unique(np.floor(p.reshape(-1, 2) / _CELL_PX), axis=0)) for p in (src, dst)]
    return min(cells)


class RobustIndex:
    """Local features of known images, searchable with :meth:`query`."""

    def __init__(self, config: RobustConfig | None = None) -> None:
        self.config = config or RobustConfig()
        self._entries: list[tuple[str, LocalFeatures]] = []
        self._owner = np.zeros(0, np.int64)
        self._index: Any = None

    @classmethod
    def build(cls, items: Iterable[tuple[str, LocalFeatures]],
              config: RobustConfig | None = None) -> RobustIndex:
        """An index of ``(key, features)``; one key may come with several feature sets (as
        :func:`~sichter.matching.robust.known_variants` gives), a match reports the key."""
        index = cls(config)
        for key, features in items:
            index.add(key, features)
        return index

    def add(self, key: str, features: LocalFeatures) -> None:
        if len(features):
            self._entries.append((key, features))
            self._index = None  # rebuilt lazily on the next query

    def __len__(self) -> int:
        return len({key for key, _ in self._entries})

    def _faiss(self) -> Any:
        if self._index is None:
            descriptors = (np.ascontiguousarray(np.concatenate([f.descriptors for _, f in
                                                                self._entries]))
                           if self._entries else np.zeros((0, 32), np.uint8))
            with _one_thread():
                index = _binary_index(descriptors, self.config.nprobe)
            self._owner = np.concatenate(
                [np.full(len(f), i, np.int64) for i, (_, f) in enumerate(self._entries)]
            ) if self._entries else np.zeros(0, np.int64)
            self._index = index
        return self._index

    def query(self, features: LocalFeatures, top_k: int = 1) -> list[RobustMatch]:
        """Known images that ``features`` shows (cropped, watermarked, resized, rotated or
        mirrored), best first; empty when none passes geometric verification."""
        cfg = self.config
        index = self._faiss()
        if len(features) < cfg.min_inliers or not self._entries:
            return []
        with _one_thread():
            distances, neighbours = index.search(np.ascontiguousarray(features.descriptors),
                                                 cfg.knn)
        valid = (neighbours >= 0) & (distances <= cfg.max_hamming)
        owners = np.where(valid, self._owner[np.maximum(neighbours, 0)], -1)
        best: dict[str, RobustMatch] = {}
        for entry in self._shortlist(owners):
            match = self._verify(features, entry, owners, neighbours)
            if match and (match.key not in best or match.inliers > best[match.key].inliers):
                best[match.key] = match
        return sorted(best.values(), key=lambda m: (-m.inliers, m.key))[:top_k]

    def _shortlist(self, owners: np.ndarray) -> list[int]:
        """Known entries with the most query keypoints voting for them (one vote each)."""
        rows = np.repeat(np.arange(owners.shape[0]), owners.shape[1])
        flat = owners.ravel()
        keep = flat >= 0
        pairs = np.unique(rows[keep] * len(self._entries) + flat[keep])
        votes = np.bincount(pairs % len(self._entries), minlength=len(self._entries))
        order = np.argsort(-votes, kind="stable")[: self.config.candidates]
        return [int(e) for e in order if votes[e] >= self.config.min_inliers]

    def _verify(self, features: LocalFeatures, entry: int, owners: np.ndarray,
                neighbours: np.ndarray) -> RobustMatch | None:
        import cv2

        cfg = self.config
        key, known = self._entries[entry]
        hit = owners == entry
        rows = np.flatnonzero(hit.any(axis=1))
        # neighbours come sorted by distance: the first hit in a row is the closest one
        train = neighbours[rows, hit[rows].argmax(axis=1)] - self._offset(entry)
        train, first = np.unique(train, return_index=True)  # one-to-one pairs only
        rows = rows[first]
        if len(rows) < cfg.min_inliers:
            return None
        src = features.points[rows].reshape(-1, 1, 2)
        dst = known.points[train].reshape(-1, 1, 2)
        transform, mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=cfg.reprojection_px,
            maxIters=2000, confidence=0.995)
        if transform is None or mask is None:
            return None
        scale = float(np.hypot(transform[0, 0], transform[1, 0]))
        inliers = _distinct_inliers(src[mask.ravel() == 1], dst[mask.ravel() == 1])
        if inliers < cfg.min_inliers or not cfg.min_scale <= scale <= cfg.max_scale:
            return None
        score = inliers / min(len(features), len(known))
        return RobustMatch(key, round(score, 4), inliers)

    def _offset(self, entry: int) -> int:
        return int(np.searchsorted(self._owner, entry))

    def to_bytes(self) -> bytes:
        """The index's entries and thresholds; faiss structures are rebuilt on load."""
        cfg = self.config
        parts = [_MAGIC, struct.pack("<I", len(self._entries)),
                 struct.pack("<iiiidddi", cfg.knn, cfg.max_hamming, cfg.candidates,
                             cfg.min_inliers, cfg.reprojection_px, cfg.min_scale, cfg.max_scale,
                             cfg.nprobe)]
        for key, features in self._entries:
            raw_key, raw = key.encode(), features.to_bytes()
            parts += [struct.pack("<HI", len(raw_key), len(raw)), raw_key, raw]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> RobustIndex:
        """An index from :meth:`to_bytes`; anything else raises :class:`CorruptData`."""
        try:
            if data[:4] != _MAGIC:
                raise CorruptData("not a Sichter robust index (bad magic)")
            (count,) = struct.unpack_from("<I", data, 4)
            values = struct.unpack_from("<iiiidddi", data, 8)
            index = cls(RobustConfig(*values))
            offset = 8 + struct.calcsize("<iiiidddi")
            for number in range(count):
                key_len, raw_len = struct.unpack_from("<HI", data, offset)
                offset += 6
                key = data[offset : offset + key_len].decode()
                offset += key_len
                try:
                    features = LocalFeatures.from_bytes(data[offset : offset + raw_len])
                except CorruptData as exc:
                    raise CorruptData(f"robust index entry {number} ({key!r}): {exc}") from exc
                index.add(key, features)
                offset += raw_len
        except (struct.error, UnicodeDecodeError) as exc:
            raise CorruptData(f"robust index truncated or damaged: {exc}") from exc
        if offset != len(data):
            raise CorruptData("robust index has trailing bytes")
        return index
