"""Clients: the lookups every route reaching a client's objects goes through."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.clients.models import Client
from api.errors import NotFound


async def get_client(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> Client:
    """The tenant's client, or a 404 (also for another tenant's client, and for a client the key is not limited to).

    Every route that reaches a client's objects comes through here (or `get_account`, `get_rule`…), so a key limited
    to one client (`api/client_keys.py`) can never reach another's.
    """
    client = await session.get(Client, (principal.tenant_id, client_id)) if principal.sees_client(client_id) else None
    if client is None:
        raise NotFound(f"There is no client {client_id} in this agency.", field="client_id")
    return client
