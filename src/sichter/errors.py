"""Sichter's own exceptions.

Third-party exceptions are caught where the library is called and turned into one of these,
with a short reason a person can read in an export or a report.
"""

from __future__ import annotations


class SichterError(Exception):
    """Base of every error Sichter raises on purpose."""


class UsageError(SichterError):
    """The user asked for something that cannot be done (unknown case, bad option)."""


class StoreError(SichterError):
    """The case store cannot be opened, migrated or written."""


class EvidenceError(SichterError):
    """One piece of evidence cannot be read as what it claims to be; recorded, never fatal."""


class UnsupportedFormat(EvidenceError):
    """The content is of a kind Sichter does not read."""


class CorruptData(EvidenceError):
    """The content is truncated or damaged."""


class LimitExceeded(EvidenceError):
    """A safety limit was hit: decompression bomb, nesting depth, member count, size."""


class EncryptedContent(EvidenceError):
    """The content is protected by a password Sichter was not given."""


class CryptoError(SichterError):
    """A key cannot be unwrapped or a derivative does not authenticate."""
