"""Reconciliation: each agency's ledger totals for a period beside what Stripe counted, and why they differ.

Stripe's side is read from the meter event summaries of each meter (found by its event name among the
active meters) for the agency's customer, over [start, end). Stripe wants both times aligned to the
minute; a month (or a day) in UTC always is. Stripe aggregates meter events asynchronously, so events
sent in the last minutes may not be counted yet: run it again before concluding anything.

The local side is the ledger over the same period, with what it holds that Stripe should not have:
rows not sent yet (waiting for their first send or a retry), too old for Stripe, or rejected.
`unexplained` is what is left of the difference once those are accounted for: it should be 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import stripe
from sqlalchemy import ColumnElement, and_, case, func, select

from api.billing.backend import REJECTED, SENT, TOO_OLD, BillingBackend
from api.billing.meter_events import MeterEventDelivery
from api.billing.metering import METERS, UsageEvent
from api.billing.subscriptions import subscription_row
from tenants import system
from tenants.database import Database
from tenants.models import Tenant


class ReconciliationError(Exception):
    """Stripe could not be read; the message says what to check."""


@dataclass(frozen=True)
class MeterLine:
    """One agency's one meter over the period."""

    tenant_id: uuid.UUID
    tenant_name: str
    customer: str
    meter: str
    local: int
    """The ledger's total."""
    stripe: Decimal | None
    """Stripe's total; None when Stripe has no active meter with this meter's event name."""
    pending: int
    """Ledger quantity not sent yet (never tried, or waiting for a retry)."""
    too_old: int
    rejected: int

    @property
    def matches(self) -> bool:
        """Stripe counted exactly the ledger's total (no meter at Stripe matches only an unused meter)."""
        return (self.stripe if self.stripe is not None else Decimal(0)) == self.local and (
            self.stripe is not None or self.local == 0
        )

    @property
    def unexplained(self) -> Decimal | None:
        """The difference left once unsent, too old and rejected usage is set aside (None: no meter)."""
        if self.stripe is None:
            return None
        return Decimal(self.local - self.pending - self.too_old - self.rejected) - self.stripe


async def meter_ids(backend: BillingBackend) -> dict[str, str]:
    """The backend's active meters: its meter id by ledger meter."""
    try:
        return await backend.usage_meters()
    except stripe.StripeError as error:
        raise ReconciliationError(_stripe_failure("list the billing meters", error)) from None


def _stripe_failure(what: str, error: stripe.StripeError) -> str:
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return f"Stripe refused the API key when asked to {what}; check RESONANCE_STRIPE_API_KEY."
    if isinstance(error, stripe.APIConnectionError):
        return f"could not reach Stripe to {what}; check the network and RESONANCE_STRIPE_API_BASE."
    return f"Stripe could not {what}: {error.user_message or type(error).__name__}."


async def stripe_total(
    backend: BillingBackend, meter_id: str, customer: str, start: datetime, end: datetime
) -> Decimal:
    """The customer's aggregated value of one meter over [start, end) (minute-aligned)."""
    if int(start.timestamp()) % 60 or int(end.timestamp()) % 60:
        raise ValueError("Stripe's meter event summaries need minute-aligned start and end times")
    try:
        return await backend.usage_total(meter_id, customer, start, end)
    except stripe.StripeError as error:
        raise ReconciliationError(_stripe_failure(f"summarise meter {meter_id} for {customer}", error)) from None


async def _local(
    database: Database, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[str, str | None, dict[str, dict[str, int]]]:
    """(agency name, customer, {meter: {local, pending, too_old, rejected}}) over [start, end)."""
    ledger = UsageEvent.__table__  # type: ignore[attr-defined]
    deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]

    def quantity_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, ledger.c.quantity), else_=0)), 0)

    async with database.tenant_session(tenant_id) as session:
        tenant = await session.get(Tenant, tenant_id)
        subscription = await subscription_row(session, tenant_id)
        rows = (
            await session.execute(
                select(
                    ledger.c.meter,
                    func.coalesce(func.sum(ledger.c.quantity), 0),
                    quantity_if(deliveries.c.status.is_(None) | ~deliveries.c.status.in_([SENT, TOO_OLD, REJECTED])),
                    quantity_if(deliveries.c.status == TOO_OLD),
                    quantity_if(deliveries.c.status == REJECTED),
                )
                .select_from(
                    ledger.outerjoin(
                        deliveries,
                        and_(deliveries.c.tenant_id == ledger.c.tenant_id, deliveries.c.usage_event_id == ledger.c.id),
                    )
                )
                .where(ledger.c.tenant_id == tenant_id, ledger.c.occurred_at >= start, ledger.c.occurred_at < end)
                .group_by(ledger.c.meter)
            )
        ).all()
    totals = {
        meter: {"local": int(local), "pending": int(pending), "too_old": int(old), "rejected": int(rejected)}
        for meter, local, pending, old, rejected in rows
    }
    customer = subscription.stripe_customer_id if subscription is not None else None
    return (tenant.name if tenant else str(tenant_id)), customer, totals


async def reconcile(
    database: Database,
    backend: BillingBackend,
    start: datetime,
    end: datetime,
    *,
    tenant_id: uuid.UUID | None = None,
) -> list[MeterLine]:
    """Every meter of every agency with a Stripe customer (or of `tenant_id` only) over [start, end)."""
    if tenant_id is None:
        async with database.system_session() as session:
            tenants = await system.stripe_customers(session, 100_000)
    else:
        tenants = [tenant_id]
    meters = await meter_ids(backend) if tenants else {}
    lines: list[MeterLine] = []
    for tenant in tenants:
        name, customer, totals = await _local(database, tenant, start, end)
        if customer is None:
            continue
        for meter in METERS:
            counts = totals.get(meter, {"local": 0, "pending": 0, "too_old": 0, "rejected": 0})
            meter_id = meters.get(meter)
            on_stripe = await stripe_total(backend, meter_id, customer, start, end) if meter_id else None
            lines.append(MeterLine(tenant_id=tenant, tenant_name=name, customer=customer, meter=meter, **counts,
                                   stripe=on_stripe))  # fmt: skip
    return lines
