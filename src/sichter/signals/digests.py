"""MD5, SHA-1 and SHA-256: cryptographic digests, all updated from the one read pass."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sichter.signals.base import ByteAccumulator, register_byte_signal


@dataclass(frozen=True)
class HashlibSignal:
    name: str

    def accumulator(self) -> ByteAccumulator:
        return hashlib.new(self.name)


MD5 = register_byte_signal(HashlibSignal("md5"))
SHA1 = register_byte_signal(HashlibSignal("sha1"))
SHA256 = register_byte_signal(HashlibSignal("sha256"))
