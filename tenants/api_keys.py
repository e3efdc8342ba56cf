"""API keys: `rsn_live_` + 32 random base62 characters + a 6-character CRC32 checksum.

The checksum lets a malformed or mistyped key be refused without touching the database (and lets
secret scanners recognise a real key); only the SHA-256 of the key is stored, since the key's own
190 bits of entropy make a slow hash unnecessary.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from dataclasses import dataclass

PREFIX = "rsn_live_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH = 32
_CHECKSUM_LENGTH = 6
DISPLAY_LENGTH = len(PREFIX) + 6


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECKSUM_LENGTH)


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: `secret` is shown once, `key_hash` and `display_prefix` are stored."""

    secret: str
    key_hash: str
    display_prefix: str


def generate() -> NewKey:
    """Make a new random key."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH))
    secret = f"{PREFIX}{body}{_checksum(body)}"
    return NewKey(secret=secret, key_hash=hash_key(secret), display_prefix=secret[:DISPLAY_LENGTH])


def is_well_formed(secret: str) -> bool:
    """True when `secret` has our prefix, length, alphabet and a matching checksum."""
    if not secret.startswith(PREFIX) or len(secret) != len(PREFIX) + _BODY_LENGTH + _CHECKSUM_LENGTH:
        return False
    rest = secret[len(PREFIX) :]
    if any(character not in _ALPHABET for character in rest):
        return False
    body, checksum = rest[:_BODY_LENGTH], rest[_BODY_LENGTH:]
    return secrets.compare_digest(_checksum(body), checksum)


def hash_key(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
