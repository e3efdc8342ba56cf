"""Encryption at rest of connector credentials, with key rotation.

Each configured secret key is stretched into a Fernet key with HKDF; MultiFernet encrypts with
the first and decrypts with any, so an operator rotates by putting a new key first and running
`resonance credentials rotate` (re-encrypt) before dropping the old one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class CredentialsError(ValueError):
    """Stored credentials cannot be decrypted with any configured key."""


_UNREADABLE = (
    "stored credentials cannot be decrypted with the configured RESONANCE_SECRET_KEY; "
    "was the key changed without keeping the old one after it?"
)


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"resonance-credentials-v1").derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


class CredentialVault:
    """Encrypts and decrypts credential dictionaries."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed to encrypt credentials")
        self._fernet = MultiFernet([_fernet(key) for key in secret_keys])

    def encrypt(self, credentials: dict[str, Any]) -> str:
        """The ciphertext of `credentials`."""
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> dict[str, Any]:
        """The credentials in `token` (empty when there are none)."""
        if not token:
            return {}
        try:
            value = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise CredentialsError(_UNREADABLE) from None
        return value if isinstance(value, dict) else {}

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` with the newest key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise CredentialsError(_UNREADABLE) from None
