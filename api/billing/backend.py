"""The billing backend: every operation the product asks of a billing service, behind one interface.

Two implementations, chosen from the settings by `billing_backend`: `StripeBackend` (`api/billing/stripe_backend.py`)
when `RESONANCE_STRIPE_API_KEY` is set, else `LocalBackend`, which is local mode: the ledger, quotas and usage API
work, nothing is sold online (checkout and the customer portal answer 409 `billing_local_mode`), there are no
invoices, and the usage stays in the ledger. Callers never ask which one they have; what differs is `online`.

A remote backend's failures are the Stripe SDK's `stripe.StripeError`s: Stripe is the only remote backend (the
tests' fake speaks its wire format), and what callers say about a failure depends on its kind, status and code.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Protocol

from api.billing.plans import Plan
from api.errors import ApiError
from tenants.settings import Settings

SENT: Final = "sent"
RETRYING: Final = "retrying"
TOO_OLD: Final = "too_old"
REJECTED: Final = "rejected"
UNREPORTED: Final = (TOO_OLD, REJECTED)
"""Statuses of usage that the billing service will never count."""

LOCAL_MODE_SENTENCE = (
    "Billing runs in local mode on this server (no Stripe API key is configured), so there is nothing to pay online: "
    "the operator sets the agency's plan with `resonance tenant plan`."
)


class BillingLocalMode(ApiError):
    status_code = 409
    code = "billing_local_mode"
    title = "Billing runs in local mode"


@dataclass(frozen=True)
class HostedSession:
    """A page of the billing service's own (a Checkout, the Customer Portal): send the browser to `url`."""

    id: str
    url: str


@dataclass(frozen=True)
class Invoice:
    """One of the agency's invoices, as the plan page lists it."""

    id: str
    number: str | None
    created: datetime
    amount: Decimal
    """The amount due, in the currency's major unit (euros, not cents)."""
    currency: str
    """ISO 4217, upper case."""
    status: str
    """draft, open, paid, uncollectible or void."""
    hosted_invoice_url: str | None


@dataclass(frozen=True)
class MeterEvent:
    """One ledger row as the billing service counts it."""

    meter: str
    customer: str
    quantity: int
    identifier: str
    """The same every time the row is sent (`api.billing.meter_events.meter_event_identifier`)."""
    occurred_at: datetime


@dataclass(frozen=True)
class ReportOutcome:
    """What became of one send: a status (`sent`, `retrying`, `too_old`, `rejected`) and why."""

    status: str
    error: str | None = None
    duplicate: bool = False
    """The billing service already had an event with this identifier: counted once, by an earlier send."""
    throttled: bool = False
    """The billing service answered 429: the rest of this agency's batch waits for the next pass."""


class BillingBackend(Protocol):
    """What the product asks of a billing service: customers, self-service sessions, invoices, usage, and the reads
    that settle a webhook's doubt and reconcile the ledger."""

    online: bool
    """Whether agencies pay online (False in local mode)."""

    def ensure_online(self) -> None:
        """Raise a 409 `BillingLocalMode` unless agencies pay online."""

    async def create_customer(self, tenant_id: uuid.UUID, name: str) -> str:
        """A new customer for the agency (the same one again on a retry within a day); its id."""

    async def delete_customer(self, customer: str) -> None:
        """Delete the customer (an agency erased); its subscriptions end at once. A customer already gone is fine."""

    async def create_checkout_session(
        self,
        customer: str,
        plan: Plan,
        tenant_id: uuid.UUID,
        *,
        success_url: str,
        cancel_url: str,
        idempotency_key: str | None,
    ) -> HostedSession:
        """A checkout that subscribes `customer` to `plan`: its monthly price and its metered prices."""

    async def create_portal_session(
        self,
        customer: str,
        *,
        return_url: str,
        change_subscription: str | None = None,
        idempotency_key: str | None = None,
    ) -> HostedSession:
        """The customer portal (invoices, payment method, plan and cancellation), opened on the plan change of
        `change_subscription` when given."""

    async def list_invoices(self, customer: str, *, limit: int) -> list[Invoice]:
        """The customer's most recent invoices, newest first."""

    async def report_usage(self, event: MeterEvent) -> ReportOutcome:
        """Count one ledger row; a refusal is an outcome, never an exception."""

    async def customer_subscriptions(self, customer: str) -> list[Mapping[str, Any]]:
        """The customer's subscriptions as the billing service has them now (all statuses, Stripe's shape)."""

    async def usage_meters(self) -> dict[str, str]:
        """The billing service's active meters: its meter id by ledger meter (`api.billing.metering.METERS`)."""

    async def usage_total(self, meter_id: str, customer: str, start: datetime, end: datetime) -> Decimal:
        """What the billing service counted of one meter for the customer over [start, end) (minute-aligned)."""

    async def close(self) -> None:
        """Close the backend's connections (when the process stops)."""


class LocalBackend:
    """Local mode: nothing is sold or sent; the usage stays in the ledger."""

    online = False

    def ensure_online(self) -> None:
        """Always a 409: billing runs in local mode."""
        raise BillingLocalMode(LOCAL_MODE_SENTENCE)

    async def create_customer(self, tenant_id: uuid.UUID, name: str) -> str:
        """Never: an agency has no billing customer in local mode."""
        raise BillingLocalMode(LOCAL_MODE_SENTENCE)

    async def delete_customer(self, customer: str) -> None:
        """Nothing to delete: a customer made while Stripe was configured stays at Stripe (delete it there)."""

    async def create_checkout_session(
        self,
        customer: str,
        plan: Plan,
        tenant_id: uuid.UUID,
        *,
        success_url: str,
        cancel_url: str,
        idempotency_key: str | None,
    ) -> HostedSession:
        """Never: nothing is sold online."""
        raise BillingLocalMode(LOCAL_MODE_SENTENCE)

    async def create_portal_session(
        self,
        customer: str,
        *,
        return_url: str,
        change_subscription: str | None = None,
        idempotency_key: str | None = None,
    ) -> HostedSession:
        """Never: there is no customer portal."""
        raise BillingLocalMode(LOCAL_MODE_SENTENCE)

    async def list_invoices(self, customer: str, *, limit: int) -> list[Invoice]:
        """None: nothing is invoiced."""
        return []

    async def report_usage(self, event: MeterEvent) -> ReportOutcome:
        """Kept in the ledger, for a server with Stripe to send later if it is recent enough."""
        return ReportOutcome(RETRYING, "not sent: billing runs in local mode")

    async def customer_subscriptions(self, customer: str) -> list[Mapping[str, Any]]:
        """None known."""
        return []

    async def usage_meters(self) -> dict[str, str]:
        """None."""
        return {}

    async def usage_total(self, meter_id: str, customer: str, start: datetime, end: datetime) -> Decimal:
        """Nothing counted."""
        return Decimal(0)

    async def close(self) -> None:
        """Nothing to close."""


def billing_backend(settings: Settings) -> BillingBackend:
    """Stripe when the settings have an API key, else local mode."""
    if not settings.stripe_enabled:
        return LocalBackend()
    from api.billing.stripe_backend import StripeBackend  # here: that module builds on this one's types

    return StripeBackend(settings)
