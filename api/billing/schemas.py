"""Response shapes of the billing reads: usage, plans and the subscription."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class MeterTotal(msgspec.Struct):
    meter: str
    description: str
    quantity: int


class ClientUsage(msgspec.Struct):
    client_id: uuid.UUID | None
    """None for usage not tied to a client."""
    client_name: str | None
    """None when the client has been deleted since (its usage stays billed)."""
    meters: dict[str, int]


class UnreportedUsage(msgspec.Struct):
    """Usage of the period that Stripe will never count: `too_old` (older than the 35 days Stripe accepts
    when it could be sent) or `rejected` (refused by Stripe); the operator sees the same in
    `resonance billing reconcile`."""

    meter: str
    status: str
    events: int
    quantity: int


class UsageOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """The agency's billable usage over one calendar month (UTC), per meter and per client."""

    period: str
    date_from: date
    date_to: date
    meters: list[MeterTotal]
    clients: list[ClientUsage]
    unreported: list[UnreportedUsage] = msgspec.field(default_factory=list)
    """Usage of the period not reported to Stripe and never to be (empty in local mode and when all is well)."""


class PlanQuota(msgspec.Struct):
    limit: int | None
    """None: unlimited."""
    description: str


class PlanOut(msgspec.Struct):
    """A plan on sale: its monthly price and its quotas."""

    id: str
    name: str
    price: str
    """The monthly base price as a decimal string, e.g. "49.00"."""
    currency: str
    quotas: dict[str, PlanQuota]
    current: bool
    """True for the agency's own plan."""


class PlanList(msgspec.Struct):
    data: list[PlanOut]


class AccessOut(msgspec.Struct):
    writable: bool
    """False: the agency reads and exports its data, and every change is refused with subscription_inactive."""
    reason: str | None
    read_only_from: datetime | None
    """For a past-due subscription still in its grace period: when the agency becomes read-only unless it pays."""


class QuotaUsage(msgspec.Struct):
    limit: int | None
    """None: unlimited."""
    usage: int | None
    """For api_requests_per_minute, the requests of the last 60 seconds, this one included; None when that limit is
    not enforced (billing off, or a plan without it)."""
    remaining: int | None
    """None when unlimited or when the usage is not counted."""
    description: str


class SubscriptionOut(msgspec.Struct):
    """The agency's plan, its subscription at Stripe (if any), what it may do, and its use of each quota."""

    plan: str
    plan_name: str
    status: str
    """`local` when the agency never subscribed through Stripe; else Stripe's subscription status."""
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    access: AccessOut
    quotas: dict[str, QuotaUsage]
