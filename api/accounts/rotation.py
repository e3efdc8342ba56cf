"""Re-encrypting every stored credential with the newest key, after a key rotation."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, select, update
from sqlmodel import col

from api.accounts.models import SocialAccount
from tenants.credentials import CredentialVault

BATCH = 200


def rotate_credentials(engine: Engine, vault: CredentialVault, on_progress: Callable[[int], None] = print) -> int:
    """Re-encrypt the credentials of every account, across tenants, with the vault's first key.

    Runs as the table owner (the migration connection): it is an operator's maintenance task and the
    service's own role cannot see across tenants. Returns how many accounts were re-encrypted.
    """
    rotated = 0
    table = SocialAccount.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        rows = connection.execute(
            select(table.c.tenant_id, table.c.id, table.c.credentials_encrypted).where(
                table.c.credentials_encrypted.is_not(None)
            )
        ).all()
    for start in range(0, len(rows), BATCH):
        with engine.begin() as connection:
            for tenant_id, account_id, token in rows[start : start + BATCH]:
                connection.execute(
                    update(SocialAccount)
                    .where(col(SocialAccount.tenant_id) == tenant_id, col(SocialAccount.id) == account_id)
                    .values(credentials_encrypted=vault.rotate(token))
                )
                rotated += 1
        on_progress(rotated)
    return rotated
