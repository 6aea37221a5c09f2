"""AES-256-GCM encryption under a rotating key ring.

The ring comes from ``CARELOOP_FIELD_KEYS``: ``kid:base64key`` pairs separated by commas, the
first being the key new values are written under; older keys stay to read older values until
``careloop rotate-keys`` has re-encrypted them. Ciphertext is stored as
``v1:<kid>:<base64(nonce || ciphertext+tag)>`` and bound to associated data (the table and
column it belongs to), so a value copied to another column fails to decrypt. Every failure
raises :class:`DecryptionError`: nothing ever falls back to returning ciphertext or blanks.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class KeyRingError(ValueError):
    """The configured key ring is missing or malformed."""


class DecryptionError(ValueError):
    """A stored value could not be authenticated and decrypted."""


@dataclass(frozen=True)
class KeyRing:
    """Named AES-256 keys; ``current_kid`` encrypts, every key decrypts."""

    keys: dict[str, bytes]
    current_kid: str

    def encrypt(self, plaintext: str, associated_data: str) -> str:
        """Encrypt ``plaintext`` under the current key, bound to ``associated_data``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_kid]).encrypt(
            nonce, plaintext.encode("utf-8"), associated_data.encode("utf-8")
        )
        token = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT_VERSION}:{self.current_kid}:{token}"

    def decrypt(self, stored: str, associated_data: str) -> str:
        """Return the plaintext of ``stored``; raise DecryptionError on any mismatch."""
        version, kid, token = _split(stored)
        key = self.keys.get(kid)
        if version != FORMAT_VERSION or key is None:
            raise DecryptionError(f"no key {kid!r} for format {version!r}")
        try:
            raw = base64.b64decode(token, validate=True)
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionError("stored value failed authentication") from None
        return plain.decode("utf-8")

    def needs_rotation(self, stored: str) -> bool:
        """Tell whether ``stored`` was written under a key other than the current one."""
        return _split(stored)[1] != self.current_kid


def _split(stored: str) -> tuple[str, str, str]:
    parts = stored.split(":", 2)
    if len(parts) != 3:
        raise DecryptionError("stored value is not in v1:<kid>:<data> form")
    return parts[0], parts[1], parts[2]


def parse_key_ring(spec: str) -> KeyRing:
    """Build a KeyRing from ``kid:base64key[,kid:base64key...]``; the first entry is current."""
    keys: dict[str, bytes] = {}
    for entry in (item.strip() for item in spec.split(",")):
        if not entry:
            continue
        kid, _, encoded = entry.partition(":")
        keys[_valid_kid(kid, keys)] = _valid_key(kid, encoded)
    if not keys:
        raise KeyRingError("CARELOOP_FIELD_KEYS holds no keys")
    return KeyRing(keys=keys, current_kid=next(iter(keys)))


def _valid_kid(kid: str, seen: dict[str, bytes]) -> str:
    if not kid or not kid.isalnum():
        raise KeyRingError(f"key id {kid!r} must be non-empty and alphanumeric")
    if kid in seen:
        raise KeyRingError(f"key id {kid!r} appears twice")
    return kid


def _valid_key(kid: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise KeyRingError(f"key {kid!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyRingError(f"key {kid!r} must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def new_key_spec(kid: str) -> str:
    """Return a freshly generated ``kid:base64key`` entry for the key ring."""
    return f"{kid}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


@lru_cache(maxsize=8)
def key_ring_from_spec(spec: str) -> KeyRing:
    """Parse and cache a key-ring specification (settings hold the spec string)."""
    return parse_key_ring(spec)
