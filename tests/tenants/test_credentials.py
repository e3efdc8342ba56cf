"""Connector credentials are encrypted at rest and survive a rotation of the secret key."""

from __future__ import annotations

import pytest

from tenants.credentials import CredentialsError, CredentialVault

KEY_A = "key-a-" + "a" * 40
KEY_B = "key-b-" + "b" * 40
CREDENTIALS = {"api_token": "tok_live_SECRET_123", "page_id": "4242", "nested": {"refresh": "r-1"}}


def test_credentials_round_trip_and_the_ciphertext_hides_them() -> None:
    vault = CredentialVault([KEY_A])

    token = vault.encrypt(CREDENTIALS)

    assert vault.decrypt(token) == CREDENTIALS
    assert "tok_live_SECRET_123" not in token
    assert "api_token" not in token
    assert vault.encrypt(CREDENTIALS) != token  # a fresh IV every time


def test_no_stored_credentials_decrypt_to_an_empty_dict() -> None:
    vault = CredentialVault([KEY_A])

    assert vault.decrypt(None) == {}
    assert vault.decrypt("") == {}


def test_a_token_made_with_the_old_key_decrypts_after_the_new_key_is_put_first() -> None:
    token = CredentialVault([KEY_A]).encrypt(CREDENTIALS)

    assert CredentialVault([KEY_B, KEY_A]).decrypt(token) == CREDENTIALS


def test_rotate_re_encrypts_under_the_new_key_so_the_old_one_can_be_dropped() -> None:
    old_token = CredentialVault([KEY_A]).encrypt(CREDENTIALS)

    rotated = CredentialVault([KEY_B, KEY_A]).rotate(old_token)

    assert rotated != old_token
    assert CredentialVault([KEY_B]).decrypt(rotated) == CREDENTIALS
    with pytest.raises(CredentialsError):
        CredentialVault([KEY_B]).decrypt(old_token)
    with pytest.raises(CredentialsError):
        CredentialVault([KEY_A]).decrypt(rotated)


def test_new_credentials_are_encrypted_with_the_first_key() -> None:
    token = CredentialVault([KEY_B, KEY_A]).encrypt(CREDENTIALS)

    assert CredentialVault([KEY_B]).decrypt(token) == CREDENTIALS
    with pytest.raises(CredentialsError):
        CredentialVault([KEY_A]).decrypt(token)


def test_the_wrong_key_raises_a_sentence_that_names_the_setting_and_not_the_key() -> None:
    token = CredentialVault([KEY_A]).encrypt(CREDENTIALS)

    with pytest.raises(CredentialsError) as raised:
        CredentialVault([KEY_B]).decrypt(token)

    message = str(raised.value)
    assert "RESONANCE_SECRET_KEY" in message
    assert message[0].isalpha()
    assert len(message.split()) >= 8
    for secret in (KEY_A, KEY_B, "tok_live_SECRET_123", token):
        assert secret not in message
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_rotating_a_token_no_configured_key_can_read_raises_credentials_error() -> None:
    token = CredentialVault([KEY_A]).encrypt(CREDENTIALS)

    with pytest.raises(CredentialsError, match="RESONANCE_SECRET_KEY") as raised:
        CredentialVault([KEY_B]).rotate(token)

    assert KEY_A not in str(raised.value)
    assert KEY_B not in str(raised.value)


def test_a_vault_needs_at_least_one_key() -> None:
    with pytest.raises(ValueError, match="at least one secret key"):
        CredentialVault([])
