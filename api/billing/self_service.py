"""Self-service billing for an agency's admins: subscribe to a plan (Stripe Checkout), manage the subscription and
payment (Stripe's Customer Portal), read the agency's invoices.

Used by the REST API (`api/billing/sessions.py`) and by the portal's plan page (`api/portal/subscription.py`).
Every Stripe call needs the agency's Stripe customer, created once (whoever asks first) and stored in its own
transaction before the session is created, so a failed session never loses the customer Stripe made. The
subscription itself reaches Resonance through the Stripe webhook (`api/billing/stripe_webhook.py`), never from these
answers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import stripe

from api.billing.backend import LOCAL_MODE_SENTENCE as LOCAL_MODE_SENTENCE  # re-exported: the backend's refusal
from api.billing.backend import BillingBackend
from api.billing.backend import BillingLocalMode as BillingLocalMode
from api.billing.backend import Invoice as Invoice
from api.billing.customers import agency_customer
from api.billing.plans import Plan
from api.billing.stripe_events import FINAL_STATUSES
from api.billing.subscriptions import subscription_row
from api.errors import ApiError, InvalidInput
from tenants.database import Database

logger = logging.getLogger("resonance.billing")


class AlreadySubscribed(ApiError):
    status_code = 409
    code = "already_subscribed"
    title = "Already subscribed"


class StripeUnavailable(ApiError):
    status_code = 502
    code = "stripe_unavailable"
    title = "Stripe unavailable"


@dataclass(frozen=True)
class CheckoutSession:
    """A Stripe Checkout Session: send the agency's browser to `url`."""

    id: str
    url: str
    plan: str


@dataclass(frozen=True)
class PortalSession:
    """A Stripe Customer Portal session: send the agency's browser to `url` (it expires after a short while)."""

    id: str
    url: str


def stripe_failed(action: str, error: stripe.StripeError, request_id: str | None) -> StripeUnavailable:
    """Log a Stripe failure without its message (it may quote a masked key) and say so to the caller."""
    logger.warning(
        "stripe: %s failed (request %s): %s, HTTP status %s, code %s, Stripe request %s",
        action,
        request_id,
        type(error).__name__,
        error.http_status,
        error.code,
        error.request_id,
    )
    return StripeUnavailable(
        f"Stripe could not {action} right now. Try again in a minute; if it persists, quote the request_id to support."
    )


def check_url(value: str, field: str) -> str:
    """`value` when it is an absolute http(s) URL, else a 422 on `field`."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise InvalidInput(
            f"{field} must be an absolute http:// or https:// URL such as https://agency.example/billing, "
            f"not {value[:100]!r}.",
            field=field,
        )
    return value


def plan_for_sale(plans: dict[str, Plan], plan_id: str) -> Plan:
    """The plan to check out, or a 422 listing the plans on sale."""
    on_sale = sorted(plan.id for plan in plans.values() if plan.stripe_price)
    plan = plans.get(plan_id)
    if plan is None:
        raise InvalidInput(
            f"plan {plan_id!r} does not exist; the plans are {', '.join(sorted(plans))} (GET /v1/plans).",
            field="plan",
            extra={"plans": sorted(plans)},
        )
    if not plan.stripe_price:
        raise InvalidInput(
            f"plan {plan_id!r} cannot be bought online: it has no Stripe price"
            + (f"; the plans on sale are {', '.join(on_sale)}." if on_sale else "; ask the operator to set one."),
            field="plan",
            extra={"plans": on_sale},
        )
    return plan


async def live_subscription(database: Database, tenant_id: uuid.UUID) -> str | None:
    """The agency's Stripe subscription id while it is not ended, else None."""
    async with database.tenant_session(tenant_id) as session:
        row = await subscription_row(session, tenant_id)
    if row is not None and row.stripe_subscription_id and row.status not in FINAL_STATUSES:
        return row.stripe_subscription_id
    return None


async def start_checkout(
    database: Database,
    backend: BillingBackend,
    plans: dict[str, Plan],
    default_plan: Plan,
    tenant_id: uuid.UUID,
    plan_id: str,
    *,
    success_url: str,
    cancel_url: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> CheckoutSession:
    """A Stripe Checkout Session in subscription mode for `plan_id`: its monthly price and its metered prices
    (usage billed from the meter events). The same `idempotency_key` within Stripe's 24 h gives the same session.

    409 `BillingLocalMode` without Stripe, 422 for a plan not on sale or a bad URL, 409 `AlreadySubscribed` when the
    agency has a live subscription (it changes plan in the Customer Portal), 502 `StripeUnavailable` when Stripe
    fails.
    """
    backend.ensure_online()
    plan = plan_for_sale(plans, plan_id)
    check_url(success_url, "success_url")
    check_url(cancel_url, "cancel_url")
    async with database.tenant_session(tenant_id) as session:
        row = await subscription_row(session, tenant_id)
    if row is not None and row.stripe_subscription_id and row.status not in FINAL_STATUSES:
        raise AlreadySubscribed(
            f"The agency already has a subscription ({row.status}, plan {row.plan}); change its plan or "
            "payment method in the billing portal: POST /v1/billing/portal-session.",
            field="plan",
        )
    try:
        customer = await agency_customer(database, backend, tenant_id, default_plan)
        checkout = await backend.create_checkout_session(
            customer,
            plan,
            tenant_id,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
        )
    except stripe.StripeError as error:
        raise stripe_failed("create the checkout session", error, request_id) from None
    return CheckoutSession(id=checkout.id, url=checkout.url, plan=plan.id)


async def open_customer_portal(
    database: Database,
    backend: BillingBackend,
    default_plan: Plan,
    tenant_id: uuid.UUID,
    *,
    return_url: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
    change_subscription: str | None = None,
) -> PortalSession:
    """A Stripe Customer Portal session for the agency: invoices, payment method, plan changes and cancellation
    (`change_subscription` opens it on that subscription's plan change). Changes reach Resonance through the webhook.

    409 `BillingLocalMode` without Stripe, 422 for a bad URL, 502 `StripeUnavailable` when Stripe fails.
    """
    backend.ensure_online()
    check_url(return_url, "return_url")
    try:
        customer = await agency_customer(database, backend, tenant_id, default_plan)
        portal = await backend.create_portal_session(
            customer,
            return_url=return_url,
            change_subscription=change_subscription,
            idempotency_key=idempotency_key,
        )
    except stripe.StripeError as error:
        raise stripe_failed("open the billing portal", error, request_id) from None
    return PortalSession(id=portal.id, url=portal.url)


INVOICES_TIMEOUT_SECONDS = 5.0
"""The invoices are read while the plan page renders: a Stripe that hangs must not hold the page for the SDK's
30 s times its retries, so the read gives up after this long and the page says the invoices cannot be shown."""


async def recent_invoices(
    database: Database,
    backend: BillingBackend,
    tenant_id: uuid.UUID,
    *,
    limit: int = 12,
    request_id: str | None = None,
    give_up_after: float = INVOICES_TIMEOUT_SECONDS,
) -> list[Invoice]:
    """The agency's most recent Stripe invoices, newest first; none when it has no Stripe customer yet (nothing
    is created to read them). 409 `BillingLocalMode` without Stripe, 502 `StripeUnavailable` when Stripe fails."""
    backend.ensure_online()
    async with database.tenant_session(tenant_id) as session:
        row = await subscription_row(session, tenant_id)
    if row is None or not row.stripe_customer_id:
        return []
    try:
        async with asyncio.timeout(give_up_after):
            return await backend.list_invoices(row.stripe_customer_id, limit=limit)
    except TimeoutError:
        error = stripe.APIConnectionError(f"no answer within {give_up_after} s")  # type: ignore[no-untyped-call]
        raise stripe_failed("list the invoices", error, request_id) from None
    except stripe.StripeError as error:
        raise stripe_failed("list the invoices", error, request_id) from None
