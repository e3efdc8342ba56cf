"""What became of each ledger row at the billing service: one `meter_event_deliveries` row beside it, its identifier,
and the usage of a period that will never be counted.

The outbox that writes these rows is `api/billing/usage_reporting.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Index, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from api.billing.backend import UNREPORTED
from api.billing.metering import UsageEvent
from tenants.database import TENANT_INFO_KEY
from tenants.ids import utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import UTCDateTime

IDENTIFIER_PREFIX: Final = "rsn_"


class MeterEventDelivery(TenantScoped, table=True):
    """What became of one ledger row at Stripe: sent, waiting for a retry, too old, or rejected."""

    __tablename__ = "meter_event_deliveries"
    __table_args__ = (
        tenant_foreign_key("usage_event_id", "usage_events", name="fk_meter_event_deliveries_usage_event"),
        # The reporter's scan across tenants: rows waiting for a retry by the time they are due.
        Index("ix_meter_event_deliveries_due", "status", "next_attempt_at"),
    )

    usage_event_id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(max_length=100)
    """The meter event's `identifier` at Stripe (see `meter_event_identifier`)."""
    status: str = Field(max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When a `retrying` row is due; while an attempt is in flight, when its lease runs out."""
    last_error: str | None = Field(default=None, max_length=300)
    """Why the last attempt did not count (Stripe's error code and message; never a key)."""
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When Stripe took the event (or said it already had it)."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def meter_event_identifier(tenant_id: uuid.UUID, idempotency_key: str) -> str:
    """The `identifier` of a ledger row's meter event: the same every time it is sent, unique across agencies.

    Stripe's identifiers are unique per Stripe account, at most 100 characters; ledger keys are unique per
    agency and up to 200, so the pair is hashed (68 characters).
    """
    digest = hashlib.sha256(f"{tenant_id}:{idempotency_key}".encode()).hexdigest()
    return IDENTIFIER_PREFIX + digest


@dataclass(frozen=True)
class Unreported:
    """Usage of a period that Stripe will never count, per meter and reason."""

    meter: str
    status: str
    events: int
    quantity: int


async def unreported_usage(session: AsyncSession, start: datetime, end: datetime) -> list[Unreported]:
    """The tenant's ledger rows in [start, end) that are `too_old` or `rejected` at Stripe, summed per meter."""
    ledger = UsageEvent.__table__  # type: ignore[attr-defined]
    deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]
    rows = (
        await session.execute(
            select(ledger.c.meter, deliveries.c.status, func.count(), func.sum(ledger.c.quantity))
            .select_from(
                ledger.join(
                    deliveries,
                    and_(deliveries.c.tenant_id == ledger.c.tenant_id, deliveries.c.usage_event_id == ledger.c.id),
                )
            )
            .where(
                ledger.c.occurred_at >= start,
                ledger.c.occurred_at < end,
                deliveries.c.status.in_(UNREPORTED),
                ledger.c.tenant_id == session.info[TENANT_INFO_KEY],
            )
            .group_by(ledger.c.meter, deliveries.c.status)
            .order_by(ledger.c.meter, deliveries.c.status)
        )
    ).all()
    return [Unreported(meter=meter, status=status, events=int(n), quantity=int(q or 0)) for meter, status, n, q in rows]
