"""Re-encrypting every stored credential with the newest key, after a key rotation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select, update

from api.accounts.models import SocialAccount
from tenants.credentials import CredentialVault

BATCH = 200


def reencrypt_column(
    engine: Engine, vault: CredentialVault, model: Any, column: str, on_progress: Callable[[int], None] = print
) -> int:
    """Re-encrypt `model.column` in every row, across tenants, with the vault's first key; returns how many.

    Runs as the table owner (the migration connection): it is an operator's maintenance task and the
    service's own role cannot see across tenants.
    """
    rotated = 0
    table = model.__table__
    with engine.begin() as connection:
        rows = connection.execute(
            select(table.c.tenant_id, table.c.id, table.c[column]).where(table.c[column].is_not(None))
        ).all()
    for start in range(0, len(rows), BATCH):
        with engine.begin() as connection:
            for tenant_id, row_id, token in rows[start : start + BATCH]:
                connection.execute(
                    update(table)
                    .where(table.c.tenant_id == tenant_id, table.c.id == row_id)
                    .values({column: vault.rotate(token)})
                )
                rotated += 1
        on_progress(rotated)
    return rotated


def rotate_credentials(engine: Engine, vault: CredentialVault, on_progress: Callable[[int], None] = print) -> int:
    """Re-encrypt the credentials of every account, across tenants, with the vault's first key.

    Returns how many accounts were re-encrypted.
    """
    return reencrypt_column(engine, vault, SocialAccount, "credentials_encrypted", on_progress)
