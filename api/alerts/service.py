"""Reading and acknowledging alerts: the lookups the API's alert routes and the portal's alert page share.

Every read goes through the caller's `Principal`, so another agency's alert and, for a caller limited to one
client, another client's alert are a 404 wherever they are asked for.
"""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.alerts.lifecycle import acknowledge
from api.alerts.models import Alert
from api.auth import Principal
from api.clients.service import get_client
from api.errors import NotFound
from api.pagination import fetch_page
from tenants.audit import Actor


async def get_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID) -> Alert:
    """The tenant's alert, or a 404 (also for another tenant's, and another client's for a key limited to a client)."""
    alert = await session.get(Alert, (principal.tenant_id, alert_id))
    if alert is None or not principal.sees_client(alert.client_id):
        raise NotFound(f"There is no alert {alert_id} in this agency.", field="alert_id")
    return alert


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    client_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> tuple[list[Alert], str | None]:
    """One page of the alerts the principal sees, newest first (by when they were opened), and the next cursor;
    `client_id` of a client the principal does not see is a 404."""
    statement = select(Alert)
    if principal.client_id is not None:
        statement = statement.where(col(Alert.client_id) == principal.client_id)
    if client_id is not None:
        await get_client(session, principal, client_id)
        statement = statement.where(Alert.client_id == client_id)
    if status is not None:
        statement = statement.where(Alert.status == status)
    if kind is not None:
        statement = statement.where(Alert.kind == kind)
    return await fetch_page(
        session,
        statement,
        [col(Alert.opened_at), col(Alert.id)],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


async def open_counts(session: AsyncSession, principal: Principal) -> Counter[uuid.UUID]:
    """How many open alerts each client the principal sees has."""
    statement = select(Alert.client_id, func.count()).where(Alert.status == "open").group_by(col(Alert.client_id))
    if principal.client_id is not None:
        statement = statement.where(col(Alert.client_id) == principal.client_id)
    rows = (await session.execute(statement)).all()
    return Counter({client_id: int(count) for client_id, count in rows})


async def acknowledge_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID, actor: Actor) -> Alert:
    """Acknowledge one of the principal's alerts as `actor`: a 404 when it does not see it, a 409 unless open."""
    alert = await get_alert(session, principal, alert_id)
    return await acknowledge(session, alert, actor=actor)
