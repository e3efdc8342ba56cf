"""Webhook signatures: HMAC-SHA256 over the timestamp and the raw body, in the `Resonance-Signature` header.

The header reads `t=<unix seconds>,v1=<hex digest>`; the digest is
`HMAC-SHA256(secret, f"{t}.".encode() + raw_body)`. A receiver recomputes it over the bytes it
received, compares in constant time and refuses a timestamp more than `TOLERANCE_SECONDS` away from
its clock (a replayed old delivery). `verify` is the receiver's side, the same logic as the README's
snippet, and what the tests check deliveries with.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Resonance-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret


class SignatureError(ValueError):
    """A delivery's signature header is missing, malformed, too old, or does not match the body."""


def new_secret() -> str:
    """A signing secret: `whsec_` and 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `{timestamp}.{body}` under `secret`."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The `Resonance-Signature` value for `body` sent at `timestamp`."""
    return f"t={timestamp},{SCHEME}={digest(secret, timestamp, body)}"


def verify(
    secret: str, header: str | None, body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now: float | None = None
) -> int:
    """Check a received delivery; return its timestamp, or raise `SignatureError` saying what is wrong.

    Several `v1=` values are accepted (any one matching is enough), so a secret can be rolled over.
    """
    if not header:
        raise SignatureError(f"the {SIGNATURE_HEADER} header is missing")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SCHEME and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError(f"the {SIGNATURE_HEADER} header has no t= timestamp or no {SCHEME}= signature")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"the timestamp is more than {tolerance} s away from now")
    expected = digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("no signature matches the body")
    return timestamp
