"""The Stripe billing backend: the Stripe SDK's `StripeClient`, speaking Stripe's wire format.

`RESONANCE_STRIPE_API_BASE` points the SDK at another server (the tests' fake Stripe, a local mock). Every client of
the backend sends through one pair of connection pools (`stripe.HTTPXClient`, async and sync), closed by `close`.
Usage goes through a client that retries once (`REPORTER_NETWORK_RETRIES`) because the outbox retries later
anyway; everything else through one with the SDK's two retries.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import stripe

from api.billing.backend import (
    REJECTED,
    RETRYING,
    SENT,
    TOO_OLD,
    HostedSession,
    Invoice,
    MeterEvent,
    ReportOutcome,
)
from api.billing.metering import METERS
from api.billing.plans import Plan
from tenants.settings import Settings

METER_EVENT_NAMES: Final = {meter: f"resonance_{meter}" for meter in METERS}
"""The `event_name` of each meter's Billing Meter Events; the Stripe meters must be created with these names."""
REPORTER_NETWORK_RETRIES: Final = 1
"""The SDK's own immediate retries of a dropped connection or a 5xx, before the outbox's backoff takes over."""
TIMEOUT_SECONDS: Final = 30


def _describe(error: stripe.StripeError) -> str:
    code = f" {error.code}" if error.code else ""
    return f"Stripe answered {error.http_status or 'no status'}{code}: {error.user_message or type(error).__name__}"[
        :300
    ]


def is_duplicate_identifier(error: stripe.StripeError) -> bool:
    """Stripe's refusal of an identifier it has already counted (400, `param=identifier`)."""
    if not isinstance(error, stripe.InvalidRequestError):
        return False
    if error.code == "duplicate_meter_event":
        return True
    message = (error.user_message or "").lower()
    return error.param == "identifier" and "already exists" in message


def classify(error: stripe.StripeError) -> ReportOutcome:
    """The outcome of a send that Stripe (or the network) refused."""
    if is_duplicate_identifier(error):
        return ReportOutcome(SENT, duplicate=True)
    if isinstance(error, stripe.RateLimitError) or error.http_status == 429:
        return ReportOutcome(RETRYING, "Stripe answered 429: too many requests", throttled=True)
    if isinstance(error, stripe.APIConnectionError):
        return ReportOutcome(RETRYING, f"could not reach Stripe ({type(error).__name__})")
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        # The account's configuration, not the fact, is wrong: keep the fact for when the key is fixed.
        # Stripe's message quotes part of the key, so it is not kept.
        return ReportOutcome(
            RETRYING, f"Stripe refused the API key (HTTP {error.http_status}); check RESONANCE_STRIPE_API_KEY"
        )
    status = error.http_status or 0
    if status >= 500 or status == 409 or error.code in {"lock_timeout", "timestamp_in_future"}:
        return ReportOutcome(RETRYING, _describe(error))
    if error.code == "timestamp_too_far_in_past":
        return ReportOutcome(TOO_OLD, _describe(error))
    return ReportOutcome(REJECTED, _describe(error))


def _major_units(amount: int, currency: str) -> Decimal:
    """Stripe's amount in the currency's smallest unit, in its major unit (zero-decimal currencies unchanged)."""
    zero_decimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf"}
    return Decimal(amount) if currency.lower() in zero_decimal else Decimal(amount) / 100


def _idempotency(key: str | None) -> stripe.RequestOptions:
    return {"idempotency_key": key} if key else {}


class StripeBackend:
    """Billing through Stripe: Checkout, the Customer Portal, invoices, Billing Meter Events and their summaries."""

    online = True

    def __init__(self, settings: Settings) -> None:
        self.http = stripe.HTTPXClient(timeout=TIMEOUT_SECONDS, allow_sync_methods=True)
        """The connection pools every client of the backend shares."""
        self.client = self._client(settings, max_network_retries=2)
        """Sessions, invoices, the webhook's look-ups and reconciliation."""
        self.usage_client = self._client(settings, max_network_retries=REPORTER_NETWORK_RETRIES)
        """Billing Meter Events."""

    def _client(self, settings: Settings, *, max_network_retries: int) -> stripe.StripeClient:
        options: dict[str, Any] = {}
        if settings.stripe_api_base:
            base = settings.stripe_api_base.rstrip("/")
            options["base_addresses"] = {"api": base, "connect": base, "files": base, "meter_events": base}
        return stripe.StripeClient(
            settings.stripe_api_key, http_client=self.http, max_network_retries=max_network_retries, **options
        )

    def ensure_online(self) -> None:
        """Agencies pay online: nothing to refuse."""

    async def create_customer(self, tenant_id: uuid.UUID, name: str) -> str:
        """A Stripe customer; the idempotency key derived from the agency gets the same one back on a retry after a
        crash within Stripe's 24 h idempotency window, instead of a second one."""
        customer = await self.client.v1.customers.create_async(
            params={"name": name, "metadata": {"tenant_id": str(tenant_id)}},
            options={"idempotency_key": f"resonance-customer-{tenant_id}"},
        )
        return customer.id

    async def delete_customer(self, customer: str) -> None:
        """Stripe deletes the customer and cancels its subscriptions at once; one already deleted is no error."""
        try:
            await self.client.v1.customers.delete_async(customer)
        except stripe.InvalidRequestError as error:
            if error.http_status != 404:
                raise

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
        """A Checkout Session in subscription mode; the same `idempotency_key` within 24 h gives the same session."""
        metadata = {"tenant_id": str(tenant_id), "plan": plan.id}
        line_items: list[Any] = [{"price": plan.stripe_price, "quantity": 1}]
        line_items += [{"price": price} for price in plan.stripe_metered_prices.values()]
        checkout = await self.client.v1.checkout.sessions.create_async(
            params={
                "mode": "subscription",
                "customer": customer,
                "line_items": line_items,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "client_reference_id": str(tenant_id),
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            },
            options=_idempotency(idempotency_key),
        )
        return HostedSession(id=checkout.id, url=checkout.url or "")

    async def create_portal_session(
        self,
        customer: str,
        *,
        return_url: str,
        change_subscription: str | None = None,
        idempotency_key: str | None = None,
    ) -> HostedSession:
        """A Customer Portal session, on Stripe's `subscription_update` flow when `change_subscription` is given."""
        params: dict[str, Any] = {"customer": customer, "return_url": return_url}
        if change_subscription is not None:
            params["flow_data"] = {
                "type": "subscription_update",
                "subscription_update": {"subscription": change_subscription},
            }
        portal = await self.client.v1.billing_portal.sessions.create_async(
            params=params,  # type: ignore[arg-type]  # the SDK's TypedDict of params
            options=_idempotency(idempotency_key),
        )
        return HostedSession(id=portal.id, url=portal.url)

    async def list_invoices(self, customer: str, *, limit: int) -> list[Invoice]:
        """The customer's last `limit` invoices, amounts in major units."""
        page = await self.client.v1.invoices.list_async(params={"customer": customer, "limit": limit})
        return [
            Invoice(
                id=invoice.id or "",
                number=invoice.number,
                created=datetime.fromtimestamp(invoice.created, UTC),
                amount=_major_units(invoice.amount_due, invoice.currency),
                currency=invoice.currency.upper(),
                status=invoice.status or "draft",
                hosted_invoice_url=invoice.hosted_invoice_url,
            )
            for invoice in page.data
        ]

    async def report_usage(self, event: MeterEvent) -> ReportOutcome:
        """One Billing Meter Event with the row's identifier; Stripe's refusal, classified."""
        event_name = METER_EVENT_NAMES.get(event.meter)
        if event_name is None:
            return ReportOutcome(REJECTED, f"not sent: no Stripe meter event name for meter {event.meter!r}")
        try:
            await self.usage_client.v1.billing.meter_events.create_async(
                params={
                    "event_name": event_name,
                    "payload": {"stripe_customer_id": event.customer, "value": str(event.quantity)},
                    "identifier": event.identifier,
                    "timestamp": int(event.occurred_at.timestamp()),
                }
            )
        except stripe.StripeError as error:
            return classify(error)
        return ReportOutcome(SENT)

    async def customer_subscriptions(self, customer: str) -> list[Mapping[str, Any]]:
        """Every subscription of the customer, whatever its status (up to 100)."""
        listed = await self.client.v1.subscriptions.list_async(
            params={"customer": customer, "status": "all", "limit": 100}
        )
        return [subscription.to_dict() for subscription in listed.data]

    async def usage_meters(self) -> dict[str, str]:
        """The active Stripe meters named after a ledger meter (`METER_EVENT_NAMES`)."""
        meters = {name: meter for meter, name in METER_EVENT_NAMES.items()}
        found: dict[str, str] = {}
        page = await self.client.v1.billing.meters.list_async(params={"status": "active", "limit": 100})
        async for stripe_meter in page.auto_paging_iter():
            if stripe_meter.event_name in meters:
                found[meters[stripe_meter.event_name]] = stripe_meter.id
        return found

    async def usage_total(self, meter_id: str, customer: str, start: datetime, end: datetime) -> Decimal:
        """The sum of the meter's event summaries for the customer over [start, end)."""
        page = await self.client.v1.billing.meters.event_summaries.list_async(
            meter_id,
            params={
                "customer": customer,
                "start_time": int(start.timestamp()),
                "end_time": int(end.timestamp()),
                "limit": 100,
            },
        )
        total = Decimal(0)
        async for summary in page.auto_paging_iter():
            total += Decimal(str(summary.aggregated_value))
        return total

    async def close(self) -> None:
        """Close both pools (the SDK never closes a client it was given)."""
        await self.http.close_async()  # type: ignore[no-untyped-call]  # the SDK leaves them unannotated
        self.http.close()  # type: ignore[no-untyped-call]
