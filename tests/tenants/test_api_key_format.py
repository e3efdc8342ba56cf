"""API keys: prefixed, high-entropy, checksummed, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest

from tenants.api_keys import PREFIX, generate, hash_key, is_well_formed

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def test_a_generated_key_is_prefixed_long_and_well_formed() -> None:
    key = generate()

    assert PREFIX == "rsn_live_"
    assert key.secret.startswith("rsn_live_")
    assert len(key.secret) >= 47
    assert re.fullmatch(r"rsn_live_[0-9A-Za-z]{38,}", key.secret)
    assert is_well_formed(key.secret)


def test_the_display_prefix_is_the_start_of_the_key_and_not_the_key() -> None:
    key = generate()

    assert key.secret.startswith(key.display_prefix)
    assert key.display_prefix.startswith("rsn_live_")
    assert len(key.display_prefix) <= len("rsn_live_") + 8


def test_the_checksum_detects_any_single_changed_character() -> None:
    secret = generate().secret
    for position in range(len(PREFIX), len(secret)):
        for replacement in ALPHABET:
            if replacement == secret[position]:
                continue
            altered = secret[:position] + replacement + secret[position + 1 :]
            assert not is_well_formed(altered), (position, replacement)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s.replace("rsn_live_", "rsn_test_"),
        lambda s: s[:-1],
        lambda s: s + "0",
        lambda s: s[:20] + "-" + s[21:],
        lambda s: s.upper(),
        lambda s: s[len("rsn_live_") :],
        lambda s: "",
    ],
    ids=["other prefix", "one short", "one long", "outside the alphabet", "upper-cased", "no prefix", "empty"],
)
def test_malformed_keys_are_refused(mangle: Callable[[str], str]) -> None:
    secret = generate().secret

    assert not is_well_formed(mangle(secret))


def test_the_stored_hash_is_the_sha256_hex_of_the_key_never_the_key() -> None:
    key = generate()

    assert re.fullmatch(r"[0-9a-f]{64}", key.key_hash)
    assert key.key_hash == hashlib.sha256(key.secret.encode()).hexdigest()
    assert key.key_hash == hash_key(key.secret)
    assert key.secret not in key.key_hash
    assert key.secret[len(PREFIX) :] not in key.key_hash


def test_two_keys_differ_in_secret_and_hash() -> None:
    keys = [generate() for _ in range(50)]

    assert len({key.secret for key in keys}) == 50
    assert len({key.key_hash for key in keys}) == 50
    assert len({key.secret[len(PREFIX) : len(PREFIX) + 32] for key in keys}) == 50
