"""The platform key that protects robust features kept in hash sets.

Hash sets outlive cases, so features copied from a case cannot stay under the case's data
key. They are re-sealed under one key derived from the master key (HKDF-SHA256, its own
``info``), bound as associated data to the SHA-256 of the file they describe, so a blob
moved onto another entry fails to authenticate. Nothing image-derived is stored in clear.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sichter.store.crypto import KEY_BYTES, open_sealed, seal

INFO = b"sichter hash-set features"


def hashset_key(master: bytes) -> bytes:
    """The hash-set features key; the same master key always gives the same key."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=INFO).derive(master)


def features_context(sha256: str, kind: str) -> str:
    return f"hashset-features:{sha256}:{kind}"


def seal_features(key: bytes, sha256: str, kind: str, raw: bytes) -> str:
    """``raw`` encrypted for the entry of ``sha256``, as base64 text (hash-entry JSON)."""
    return base64.b64encode(seal(key, raw, features_context(sha256, kind))).decode("ascii")


def open_features(key: bytes, sha256: str, kind: str, sealed_b64: str) -> bytes:
    """The plaintext of :func:`seal_features`; CryptoError when key or entry do not fit."""
    return open_sealed(key, base64.b64decode(sealed_b64), features_context(sha256, kind))
