"""Members' passwords: Argon2id hashes (argon2-cffi with its default, OWASP-recommended parameters).

A password is never stored, logged nor put in an error message; only `hash_password`'s result is kept.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256
"""Bounds of a new password; the upper one keeps a hostile sign-in from costing more than any other."""

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("resonance: a password nobody has")


def hash_password(password: str) -> str:
    """The Argon2id hash to store for `password`."""
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    """Why `password` cannot be chosen, as a sentence; None when it can."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"A password has at most {MAX_LENGTH} characters."
    return None


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash`. Without a hash (a member who never chose a password) a dummy
    hash is checked anyway, so that the answer takes as long whether or not the member has a password."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be replaced at the next sign-in."""
    return _hasher.check_needs_rehash(stored_hash)
