"""An agency's subscription: its plan, its Stripe customer and subscription, and the access its status gives.

An agency without a row is on the default plan in local mode (status `local`) with full access. The row is
written when the agency gets a Stripe customer, and by the Stripe webhooks that report its subscription.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col, select

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime

LOCAL: Final = "local"
"""The status of an agency billed outside Stripe (local mode, or not subscribed yet)."""
FULL_ACCESS_STATUSES: Final = frozenset({LOCAL, "trialing", "active", "incomplete"})
"""`incomplete`: the first payment of a new subscription awaits confirmation; the agency keeps what it had."""
READ_ONLY_STATUSES: Final = frozenset({"canceled", "unpaid", "incomplete_expired", "paused"})
"""Statuses in which the agency keeps reading and exporting its data but changes nothing."""


class Subscription(TenantScoped, table=True):
    """The agency's plan and billing state: one row per agency."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", name="uq_subscriptions_tenant"),
        Index("ix_subscriptions_customer", "stripe_customer_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan: str = Field(max_length=40)
    status: str = Field(default=LOCAL, max_length=30)
    stripe_customer_id: str | None = Field(default=None, max_length=100)
    stripe_subscription_id: str | None = Field(default=None, max_length=100)
    current_period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_at_period_end: bool = False
    past_due_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the subscription became `past_due` (the grace period runs from here)."""
    stripe_state_at: int = 0
    """Stripe's `created` time (Unix seconds) of the event that gave the stored state: older events are ignored."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StripeEvent(TenantScoped, table=True):
    """A Stripe webhook event already applied, written in the transaction of its effect: each applies once."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=100)
    created: int
    """Stripe's `created` (Unix seconds)."""
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Access:
    """What an agency may do now given its subscription status."""

    writable: bool
    reason: str | None = None
    """Why the agency is read-only, as a sentence for the agency; None when writable."""
    read_only_from: datetime | None = None
    """When a `past_due` agency becomes read-only unless it pays (None otherwise)."""


def access_of(status: str, past_due_since: datetime | None, grace: timedelta, now: datetime | None = None) -> Access:
    """Full access while active, trialing or local; `past_due` keeps it through `grace`; otherwise read-only."""
    now = now or utcnow()
    if status in FULL_ACCESS_STATUSES:
        return Access(writable=True)
    if status == "past_due":
        ends = (past_due_since or now) + grace
        if now < ends:
            return Access(writable=True, read_only_from=ends)
        return Access(
            writable=False,
            reason="The subscription's payment is overdue and its grace period has ended; "
            "pay the open invoice in the billing portal (POST /v1/billing/portal-session) to make changes again.",
        )
    if status == "canceled":
        return Access(
            writable=False,
            reason="The subscription is canceled: the agency's data is kept and can be read and exported; "
            "subscribe again (POST /v1/billing/checkout-session) to make changes.",
        )
    return Access(
        writable=False,
        reason=f"The subscription is {status}: the data can be read and exported; "
        "complete or renew the subscription in the billing portal (POST /v1/billing/portal-session) to make changes.",
    )


async def subscription_row(session: AsyncSession, tenant_id: uuid.UUID) -> Subscription | None:
    """The agency's subscription row (None when it never had one: default plan, local)."""
    return (await session.scalars(select(Subscription).where(col(Subscription.tenant_id) == tenant_id))).first()


async def set_plan(session: AsyncSession, tenant_id: uuid.UUID, plan: str) -> tuple[Subscription, str | None]:
    """Put the agency on `plan` (creating its row, status `local`, when it has none); returns the row and the
    plan it had before (None when it had no row). The caller checks that the plan exists and audits the change."""
    row = await subscription_row(session, tenant_id)
    previous = row.plan if row is not None else None
    if row is None:
        row = Subscription(tenant_id=tenant_id, plan=plan)
        session.add(row)
    else:
        row.plan = plan
        row.updated_at = utcnow()
    await session.flush()
    return row, previous
