"""Renewing an account's OAuth access token before a sync, and keeping the result encrypted."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from api.accounts.models import SocialAccount
from api.oauth.flow import refresh_if_expiring
from plugins.sdk import AuthenticationError, Connector
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.ids import utcnow
from tenants.settings import Settings

logger = logging.getLogger("resonance.oauth")


async def _stored(database: Database, vault: CredentialVault, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    async with database.tenant_session(tenant_id) as session:
        account = await session.get(SocialAccount, (tenant_id, account_id))
        return None if account is None else vault.decrypt(account.credentials_encrypted)


async def renew_for_sync(
    database: Database,
    vault: CredentialVault,
    settings: Settings,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    connector: type[Connector],
    credentials: dict[str, Any],
) -> dict[str, Any]:
    """The credentials a sync should use: `credentials`, or renewed ones (then stored, encrypted).

    No transaction is open during the call to the token endpoint. Two runs of one account may both
    find its token about to expire; on a network that rotates refresh tokens, the slower one's refresh
    is refused with `invalid_grant` because the faster one already used that refresh token. So before a
    refusal is believed (and the account marked `needs_reauth`), the stored credentials are read again:
    if another run stored a new refresh token meanwhile, they are used instead.
    """
    try:
        renewed = await refresh_if_expiring(credentials, connector, settings, utcnow())
    except AuthenticationError:
        latest = await _stored(database, vault, tenant_id, account_id)
        if not isinstance(latest, dict) or latest.get("refresh_token") == credentials.get("refresh_token"):
            raise
        logger.info("oauth: another run renewed the %s token of account %s first", connector.id, account_id)
        credentials = latest
        renewed = await refresh_if_expiring(credentials, connector, settings, utcnow())
    if renewed != credentials:
        async with database.tenant_session(tenant_id) as session:
            await session.execute(
                update(SocialAccount)
                .where(col(SocialAccount.tenant_id) == tenant_id, col(SocialAccount.id) == account_id)
                .values(credentials_encrypted=vault.encrypt(renewed))
            )
    return renewed
