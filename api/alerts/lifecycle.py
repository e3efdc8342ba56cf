"""An alert's lifecycle: opened by an evaluation, acknowledged by someone, resolved with a note.

Each change is audited and announced through the `on_event` callback in the same transaction as the
change, so a webhook outbox written by that callback commits (or rolls back) with the alert itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.alerts.models import Alert, AlertRule
from api.alerts.schemas import AlertOut
from api.errors import Conflict
from tenants.audit import Actor, record
from tenants.ids import utcnow

EventCallback = Callable[[AsyncSession, str, dict[str, Any]], Awaitable[None]]
"""`on_event(session, event_type, data)`: called inside the transaction of the change it announces."""

ALERT_OPENED = "alert.opened"
ALERT_RESOLVED = "alert.resolved"


async def no_event(_session: AsyncSession, _event_type: str, _data: dict[str, Any]) -> None:
    """The default `on_event`: announce nothing (the webhooks module replaces it)."""


def alert_out(alert: Alert) -> AlertOut:
    """The API shape of an alert."""
    return AlertOut(
        id=alert.id,
        rule_id=alert.rule_id,
        client_id=alert.client_id,
        kind=alert.kind,
        status=alert.status,
        bucket=alert.bucket,
        opened_at=alert.opened_at,
        evidence=dict(alert.evidence),
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
        resolution_note=alert.resolution_note,
    )


def event_data(alert: Alert) -> dict[str, Any]:
    """The JSON payload of an alert event: the alert as the API returns it."""
    data: dict[str, Any] = msgspec.to_builtins(alert_out(alert))
    return data


async def open_alert(
    session: AsyncSession,
    rule: AlertRule,
    bucket: date,
    evidence: dict[str, Any],
    *,
    actor: Actor,
    on_event: EventCallback,
) -> Alert:
    """Store a new open alert of `rule` for `bucket`, audit it and announce `alert.opened`."""
    alert = Alert(
        rule_id=rule.id,
        client_id=rule.client_id,
        kind=rule.kind,
        bucket=bucket,
        evidence=evidence,
    )
    session.add(alert)
    await session.flush()
    record(
        session,
        actor,
        "alert.opened",
        alert,
        changes={"rule_id": rule.id, "kind": rule.kind, "bucket": bucket.isoformat()},
    )
    await on_event(session, ALERT_OPENED, event_data(alert))
    return alert


async def acknowledge(session: AsyncSession, alert: Alert, *, actor: Actor) -> Alert:
    """Mark an open alert as being handled by `actor`; a 409 when it is not open."""
    if alert.status == "acknowledged":
        raise Conflict(
            f"Alert {alert.id} was already acknowledged by {alert.acknowledged_by} at "
            f"{alert.acknowledged_at:%Y-%m-%d %H:%M} UTC; resolve it once handled.",
            field="status",
        )
    if alert.status == "resolved":
        raise Conflict(
            f"Alert {alert.id} is already resolved and cannot be acknowledged; a new crisis opens a new alert.",
            field="status",
        )
    alert.status = "acknowledged"
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = actor.label
    record(session, actor, "alert.acknowledged", alert, changes={"status": "acknowledged"})
    return alert


async def resolve(session: AsyncSession, alert: Alert, note: str, *, actor: Actor, on_event: EventCallback) -> Alert:
    """Close an open or acknowledged alert with a note; a 409 when it is already resolved."""
    if alert.status == "resolved":
        raise Conflict(
            f"Alert {alert.id} was already resolved by {alert.resolved_by} at {alert.resolved_at:%Y-%m-%d %H:%M} UTC; "
            "there is nothing left to resolve.",
            field="status",
        )
    alert.status = "resolved"
    alert.resolved_at = utcnow()
    alert.resolved_by = actor.label
    alert.resolution_note = note
    record(session, actor, "alert.resolved", alert, changes={"status": "resolved", "note": note})
    await session.flush()
    await on_event(session, ALERT_RESOLVED, event_data(alert))
    return alert
