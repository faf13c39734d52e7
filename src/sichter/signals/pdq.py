"""PDQ perceptual hash (Meta ThreatExchange), bit-exact with the ``pdqhash`` package.

The hex form is ThreatExchange's: the first hash bit is the most significant bit of the
first hex digit, lowercase, 64 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pdqhash

from sichter.signals.base import ImageSignalValue, register_image_signal


def bits_to_hex(bits: np.ndarray) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hex_to_bits(value: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(value), dtype=np.uint8))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class PdqSignal:
    name: str = "pdq"

    def compute(self, rgb: np.ndarray) -> ImageSignalValue:
        # compute_dihedral costs what compute costs (one DCT; the variants are sign flips and
        # transposes of it) and its first hash is compute's, so the variants come for free.
        hashes, quality = self.dihedral(rgb)
        return ImageSignalValue(hashes[0], quality, tuple(hashes[1:]))

    def dihedral(self, rgb: np.ndarray) -> tuple[list[str], int]:
        """The eight rotations and flips, in pdqhash's order (original first)."""
        vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb, dtype=np.uint8))
        return [bits_to_hex(v) for v in vectors], int(quality)


PDQ = register_image_signal(PdqSignal())
