"""Encryption at rest for every derivative of evidence (AES-256-GCM).

A per-case data key encrypts thumbnails, frames and contact sheets; it is stored only
wrapped by the master key, which comes from configuration or is generated once into the
home with mode 0600. Every ciphertext is bound (as associated data) to what it belongs to,
so a blob copied onto another item fails to authenticate instead of showing the wrong image.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sichter.errors import CryptoError

MAGIC = b"SCH1"
NONCE_BYTES = 12
KEY_BYTES = 32


def load_master_key(home: Path, configured: str | None) -> bytes:
    """The master key from configuration (base64), else from ``<home>/master.key``, created once."""
    if configured:
        try:
            key = base64.b64decode(configured, validate=True)
        except ValueError as exc:
            raise CryptoError("the configured master key is not valid base64") from exc
        if len(key) != KEY_BYTES:
            raise CryptoError(f"the configured master key must be {KEY_BYTES} bytes")
        return key
    path = home / "master.key"
    if path.exists():
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != KEY_BYTES:
            raise CryptoError(f"{path} does not hold a {KEY_BYTES}-byte key")
        return key
    home.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(key) + b"\n")
    return key


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    """Encrypt and authenticate ``plaintext``; ``context`` must be given again to open it."""
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def open_sealed(key: bytes, blob: bytes, context: str) -> bytes:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
        raise CryptoError("not a Sichter ciphertext")
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], context.encode())
    except InvalidTag as exc:
        raise CryptoError(f"ciphertext does not authenticate for {context!r}") from exc


def wrap_key(master: bytes, data_key: bytes, case_name: str) -> bytes:
    return seal(master, data_key, f"case-key:{case_name}")


def unwrap_key(master: bytes, wrapped: bytes, case_name: str) -> bytes:
    return open_sealed(master, wrapped, f"case-key:{case_name}")


def derivative_context(case_id: int, sha256: str, kind: str) -> str:
    return f"derivative:{case_id}:{sha256}:{kind}"
