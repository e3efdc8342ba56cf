"""The agency's API keys: listing, creating (for the whole agency or one client) and revoking them.

Shared by the REST API (`/v1/api-keys`) and the portal's API keys page, so both apply the same rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal
from api.client_keys import AGENCY_SCOPES
from api.clients.service import get_client
from api.errors import InvalidInput, NotFound
from tenants.audit import Actor, record
from tenants.ids import utcnow
from tenants.models import ApiKey
from tenants.signup import create_api_key


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key of the session's agency, revoked ones included, oldest first."""
    return list((await session.scalars(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id)))).all())


async def create_key(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    *,
    name: str,
    scopes: Sequence[str],
    client_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """A new key (recorded in the audit log) and its secret, which is never stored.

    With `client_id`, the key sees that client only: a 404 when the agency has no such client, and an
    `InvalidInput` on `scopes` when they include one that concerns the whole agency.
    """
    if client_id is not None:
        await get_client(session, principal, client_id)
        agency_scopes = sorted(AGENCY_SCOPES.intersection(scopes))
        if agency_scopes:
            raise InvalidInput(
                f"A key limited to a client cannot have the '{agency_scopes[0]}' scope: it concerns the whole "
                "agency. Leave it out, or leave client_id out for a key of the whole agency.",
                field="scopes",
            )
    return await create_api_key(session, actor, name=name, scopes=list(dict.fromkeys(scopes)), client_id=client_id)


async def revoke_key(session: AsyncSession, principal: Principal, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    """Revoke the agency's key (recorded in the audit log; revoking it again changes nothing), or a 404.

    The caller forgets the key in the process's key cache, now and once the transaction has committed."""
    key = await session.get(ApiKey, (principal.tenant_id, key_id))
    if key is None:
        raise NotFound(f"There is no API key {key_id} in this agency.", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(session, actor, "api_key.revoked", key)
    return key
