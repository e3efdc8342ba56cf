"""Re-encrypting webhook signing secrets with the newest key, with the accounts' credentials."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from api.accounts.rotation import reencrypt_column
from api.webhooks.models import WebhookEndpoint
from tenants.credentials import CredentialVault


def rotate_webhook_secrets(engine: Engine, vault: CredentialVault, on_progress: Callable[[int], None] = print) -> int:
    """Re-encrypt every endpoint's signing secret (the secret itself is unchanged); returns how many."""
    return reencrypt_column(engine, vault, WebhookEndpoint, "secret_encrypted", on_progress)
