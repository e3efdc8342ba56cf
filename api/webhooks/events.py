"""Publishing events: one pending delivery per subscribed endpoint, written in the producer's transaction.

Because the deliveries are rows of the same transaction as the change they announce, an event is
never lost (the change and its deliveries commit together) and never sent for a change that was
rolled back (they roll back together). The delivery worker sends them afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.sync.models import SyncRun
from api.webhooks.models import EVENT_TYPES, PING_EVENT, WebhookDelivery, WebhookEndpoint
from tenants.database import TENANT_INFO_KEY
from tenants.ids import new_id, utcnow


def envelope(
    event_id: uuid.UUID, event_type: str, tenant_id: uuid.UUID, data: dict[str, Any], created_at: datetime
) -> dict[str, Any]:
    """The body of every delivery: `{id, type, created_at, tenant_id, data}`, as JSON values."""
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "tenant_id": str(tenant_id),
        "data": msgspec.to_builtins(data),
    }


def _tenant_of(session: AsyncSession) -> uuid.UUID:
    tenant_id = session.info.get(TENANT_INFO_KEY)
    if not isinstance(tenant_id, uuid.UUID):
        raise RuntimeError("webhook events are published inside a tenant session (Database.tenant_session)")
    return tenant_id


def queue(
    session: AsyncSession, endpoint: WebhookEndpoint, payload: dict[str, Any], *, now: datetime | None = None
) -> WebhookDelivery:
    """Add a pending delivery of `payload` to `endpoint`, due now."""
    delivery = WebhookDelivery(
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id,
        event_id=uuid.UUID(payload["id"]),
        event_type=payload["type"],
        payload=payload,
        next_attempt_at=now or utcnow(),
    )
    session.add(delivery)
    return delivery


async def publish(session: AsyncSession, event_type: str, data: dict[str, Any]) -> None:
    """Announce `event_type` with `data` to every enabled endpoint of the session's tenant subscribed to it.

    Call it inside the transaction that makes the change (a tenant session): the deliveries commit
    or roll back with it. `data` may hold UUIDs, datetimes and decimals; they are sent as strings.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}; the types are {', '.join(EVENT_TYPES)}")
    tenant_id = _tenant_of(session)
    endpoints = (await session.scalars(select(WebhookEndpoint).where(col(WebhookEndpoint.enabled).is_(True)))).all()
    subscribed = [endpoint for endpoint in endpoints if event_type in endpoint.event_types]
    if not subscribed:
        return
    now = utcnow()
    payload = envelope(new_id(), event_type, tenant_id, data, now)
    for endpoint in subscribed:
        queue(session, endpoint, payload, now=now)


def ping(session: AsyncSession, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `ping` event to one endpoint (the test route), whatever it subscribes to."""
    now = utcnow()
    payload = envelope(new_id(), PING_EVENT, endpoint.tenant_id, {"endpoint_id": str(endpoint.id)}, now)
    return queue(session, endpoint, payload, now=now)


async def sync_failed(session: AsyncSession, run: SyncRun, account: SocialAccount | None) -> None:
    """Publish `sync.failed` for a run that has just ended `failed` (in the transaction that says so)."""
    await publish(
        session,
        "sync.failed",
        {
            "sync_id": run.id,
            "account_id": run.account_id,
            "client_id": account.client_id if account else None,
            "network": account.network if account else None,
            "handle": account.handle if account else None,
            "trigger": run.trigger,
            "window_since": run.window_since,
            "window_until": run.window_until,
            "finished_at": run.finished_at,
            "error": run.error,
        },
    )


async def account_needs_reauth(session: AsyncSession, account: SocialAccount) -> None:
    """Publish `account.needs_reauth` for an account just marked so (in the transaction that marks it)."""
    await publish(
        session,
        "account.needs_reauth",
        {
            "account_id": account.id,
            "client_id": account.client_id,
            "network": account.network,
            "handle": account.handle,
            "reason": account.status_reason,
        },
    )
