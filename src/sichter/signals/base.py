"""The two small interfaces every signal implements, and the one registry of them.

A byte signal is computed from the content's bytes in the single read pass; an image signal
from the decoded pixels. ``name`` is stable: it is what the store, the export and hash-set
files call the signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np


class ByteAccumulator(Protocol):
    def update(self, data: bytes | memoryview) -> None: ...

    def hexdigest(self) -> str: ...


class ByteSignal(Protocol):
    @property
    def name(self) -> str: ...

    def accumulator(self) -> ByteAccumulator: ...


@dataclass(frozen=True, slots=True)
class ImageSignalValue:
    value: str
    quality: int | None = None
    # Related values the same computation yields at no extra cost (PDQ: the seven other
    # rotations and flips); stages that need them take them from here instead of recomputing.
    variants: tuple[str, ...] = ()


class ImageSignal(Protocol):
    @property
    def name(self) -> str: ...

    def compute(self, rgb: np.ndarray) -> ImageSignalValue: ...


_B = TypeVar("_B", bound=ByteSignal)
_I = TypeVar("_I", bound=ImageSignal)

_BYTE: dict[str, ByteSignal] = {}
_IMAGE: dict[str, ImageSignal] = {}


def register_byte_signal(signal: _B) -> _B:
    if signal.name in _BYTE or signal.name in _IMAGE:
        raise ValueError(f"a signal named {signal.name!r} is already registered")
    _BYTE[signal.name] = signal
    return signal


def register_image_signal(signal: _I) -> _I:
    if signal.name in _BYTE or signal.name in _IMAGE:
        raise ValueError(f"a signal named {signal.name!r} is already registered")
    _IMAGE[signal.name] = signal
    return signal


def byte_signals() -> dict[str, ByteSignal]:
    from sichter.signals import digests  # noqa: F401 - registers on import

    return dict(_BYTE)


def image_signals() -> dict[str, ImageSignal]:
    from sichter.signals import pdq  # noqa: F401 - registers on import

    return dict(_IMAGE)
