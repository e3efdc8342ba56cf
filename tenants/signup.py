"""Creating tenants and API keys: shared by the API, the CLI and the demo."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenants import api_keys
from tenants.audit import Actor, record
from tenants.database import Database
from tenants.ids import new_id
from tenants.models import ApiKey, Member, Tenant


async def create_api_key(
    session: AsyncSession, actor: Actor, *, name: str, scopes: Sequence[str], client_id: uuid.UUID | None = None
) -> tuple[ApiKey, str]:
    """Add a key to the session's tenant (limited to `client_id` when given); returns the row and the secret,
    which is never stored."""
    new_key = api_keys.generate()
    key = ApiKey(
        name=name, prefix=new_key.display_prefix, key_hash=new_key.key_hash, scopes=list(scopes), client_id=client_id
    )
    session.add(key)
    await session.flush()
    changes: dict[str, Any] = {"name": name, "scopes": list(scopes)}
    if client_id is not None:
        changes["client_id"] = str(client_id)
    record(session, actor, "api_key.created", key, changes=changes)
    return key, new_key.secret


async def create_tenant(
    database: Database, *, agency_name: str, email: str, actor: Actor
) -> tuple[Tenant, ApiKey, str]:
    """A new agency with its owner and a first admin key (whose secret is returned once)."""
    tenant_id = new_id()
    async with database.tenant_session(tenant_id) as session:
        tenant = Tenant(id=tenant_id, name=agency_name)
        session.add(tenant)
        await session.flush()
        owner = Member(tenant_id=tenant_id, email=email.lower(), role="owner")
        session.add(owner)
        key, secret = await create_api_key(session, actor, name="owner key", scopes=["read", "write", "admin"])
        record(session, actor, "tenant.created", tenant, changes={"name": agency_name, "owner": email.lower()})
    return tenant, key, secret
