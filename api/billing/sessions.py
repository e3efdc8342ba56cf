"""Self-service billing: a Stripe Checkout Session to subscribe to a plan, a Customer Portal session to manage it.

Both need the agency's Stripe customer, created once (whoever asks first) and stored in its own transaction
before the session is created, so a failed session never loses the customer Stripe made. The subscription
itself reaches Resonance through the Stripe webhook (`api/billing/stripe_webhook.py`), never from these
answers.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
import stripe
from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.billing.plans import Plan
from api.billing.stripe_api import ensure_customer
from api.billing.stripe_events import FINAL_STATUSES
from api.billing.subscriptions import subscription_row
from api.errors import ApiError, InvalidInput
from api.idempotency import IDEMPOTENCY_HEADER, idempotent

logger = logging.getLogger("resonance.billing")

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048, examples=["https://agency.example/billing/done"])]


class CheckoutIn(msgspec.Struct, forbid_unknown_fields=True):
    """The plan to subscribe to and where Stripe sends the browser afterwards."""

    plan: Annotated[str, msgspec.Meta(min_length=1, max_length=40, examples=["agency"])]
    success_url: Url
    """Where Stripe sends the browser once the subscription is paid."""
    cancel_url: Url
    """Where Stripe sends the browser when the customer goes back without paying."""


class CheckoutOut(msgspec.Struct):
    """A Stripe Checkout Session: send the agency's browser to `url`."""

    id: str
    url: str
    plan: str


class PortalIn(msgspec.Struct, forbid_unknown_fields=True):
    return_url: Url
    """Where the portal's "back" link leads."""


class PortalOut(msgspec.Struct):
    """A Stripe Customer Portal session: send the agency's browser to `url` (it expires after a short while)."""

    id: str
    url: str


class BillingLocalMode(ApiError):
    status_code = 409
    code = "billing_local_mode"
    title = "Billing runs in local mode"


class AlreadySubscribed(ApiError):
    status_code = 409
    code = "already_subscribed"
    title = "Already subscribed"


class StripeUnavailable(ApiError):
    status_code = 502
    code = "stripe_unavailable"
    title = "Stripe unavailable"


def stripe_of(state: State) -> stripe.StripeClient:
    """The app's Stripe client, or a 409 saying billing runs in local mode."""
    client: stripe.StripeClient | None = state.stripe_client
    if client is None:
        raise BillingLocalMode(
            "Billing runs in local mode on this server (no Stripe API key is configured), so there is nothing to "
            "pay online: the operator sets the agency's plan with `resonance tenant plan`."
        )
    return client


def stripe_failed(action: str, error: stripe.StripeError, request: Request[Any, Any, Any]) -> StripeUnavailable:
    """Log a Stripe failure without its message (it may quote a masked key) and say so to the caller."""
    logger.warning(
        "stripe: %s failed (request %s): %s, HTTP status %s, code %s, Stripe request %s",
        action,
        request.scope.get("state", {}).get("request_id"),
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


async def stripe_idempotency_key(request: Request[Any, Any, Any], kind: str, tenant_id: uuid.UUID) -> str | None:
    """A Stripe idempotency key derived from the request's `Idempotency-Key`, when it has one.

    Stripe's keys are account-wide: the agency and the body are part of it, so two agencies sending the same
    key, or one agency reusing a key for another body after a failure, never get each other's session.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER.lower())
    if not key:
        return None
    digest = hashlib.sha256(f"{tenant_id}\n{kind}\n{key}\n".encode() + await request.body()).hexdigest()
    return f"resonance-{kind}-{digest}"


async def agency_customer(state: State, client: stripe.StripeClient, tenant_id: uuid.UUID) -> str:
    """The agency's Stripe customer, created and committed in its own transaction when it has none."""
    async with state.database.tenant_session(tenant_id) as session:
        return await ensure_customer(session, client, tenant_id, state.standings.default_plan)


def _problems(by_status: dict[int, str]) -> dict[int, ResponseSpec]:
    """Error answers for the OpenAPI document (`api.openapi.document_problems` gives them the problem shape)."""
    return {status: ResponseSpec(data_container=dict[str, Any], description=text) for status, text in by_status.items()}


LOCAL_MODE = "billing_local_mode: the server has no Stripe key (local mode)"
STRIPE_DOWN = "stripe_unavailable: Stripe failed or could not be reached; nothing was bought"


class BillingSessionController(Controller):
    tags = ["billing"]

    @post(
        "/v1/billing/checkout-session",
        guards=[require("admin")],
        status_code=201,
        summary="Start a Stripe Checkout to subscribe to a plan",
        responses=_problems(
            {
                409: f"{LOCAL_MODE}; or already_subscribed: the agency has a subscription (use the portal)",
                502: STRIPE_DOWN,
            }
        ),
    )
    async def checkout_session(
        self,
        data: CheckoutIn,
        principal: Principal,
        session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[CheckoutOut]:
        """A Stripe Checkout Session in subscription mode for `plan`: its monthly price and its metered prices
        (usage billed from the meter events). Send the agency's browser to `url`; the subscription takes effect
        when Stripe reports it (webhook), which `GET /v1/subscription` then shows.

        Needs an admin key. 409 `billing_local_mode` when the server has no Stripe key, 409 `already_subscribed`
        when the agency already has a subscription (change it in the portal), 502 `stripe_unavailable` when
        Stripe fails. With an `Idempotency-Key`, a repeat of the request gives the same session.
        """
        client = stripe_of(state)
        plan = plan_for_sale(state.plans, data.plan)
        check_url(data.success_url, "success_url")
        check_url(data.cancel_url, "cancel_url")
        tenant_id = principal.tenant_id

        async def create() -> Response[CheckoutOut]:
            row = await subscription_row(session, tenant_id)
            if row is not None and row.stripe_subscription_id and row.status not in FINAL_STATUSES:
                raise AlreadySubscribed(
                    f"The agency already has a subscription ({row.status}, plan {row.plan}); change its plan or "
                    "payment method in the billing portal: POST /v1/billing/portal-session.",
                    field="plan",
                )
            key = await stripe_idempotency_key(request, "checkout", tenant_id)
            try:
                customer = await agency_customer(state, client, tenant_id)
                metadata = {"tenant_id": str(tenant_id), "plan": plan.id}
                line_items: list[Any] = [{"price": plan.stripe_price, "quantity": 1}]
                line_items += [{"price": price} for price in plan.stripe_metered_prices.values()]
                checkout = await client.v1.checkout.sessions.create_async(
                    params={
                        "mode": "subscription",
                        "customer": customer,
                        "line_items": line_items,
                        "success_url": data.success_url,
                        "cancel_url": data.cancel_url,
                        "client_reference_id": str(tenant_id),
                        "metadata": metadata,
                        "subscription_data": {"metadata": metadata},
                    },
                    options={"idempotency_key": key} if key else {},
                )
            except stripe.StripeError as error:
                raise stripe_failed("create the checkout session", error, request) from None
            return Response(CheckoutOut(id=checkout.id, url=checkout.url or "", plan=plan.id), status_code=201)

        return await idempotent(request, session, create)

    @post(
        "/v1/billing/portal-session",
        guards=[require("admin")],
        status_code=201,
        summary="Open the Stripe Customer Portal",
        responses=_problems({409: LOCAL_MODE, 502: STRIPE_DOWN}),
    )
    async def portal_session(
        self,
        data: PortalIn,
        principal: Principal,
        session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[PortalOut]:
        """A Stripe Customer Portal session for the agency: invoices, payment method, plan changes and
        cancellation. Send the browser to `url`; changes reach Resonance through the Stripe webhook.

        Needs an admin key. 409 `billing_local_mode` without a Stripe key, 502 `stripe_unavailable` when
        Stripe fails.
        """
        client = stripe_of(state)
        check_url(data.return_url, "return_url")
        tenant_id = principal.tenant_id

        async def create() -> Response[PortalOut]:
            key = await stripe_idempotency_key(request, "portal", tenant_id)
            try:
                customer = await agency_customer(state, client, tenant_id)
                portal = await client.v1.billing_portal.sessions.create_async(
                    params={"customer": customer, "return_url": data.return_url},
                    options={"idempotency_key": key} if key else {},
                )
            except stripe.StripeError as error:
                raise stripe_failed("open the billing portal", error, request) from None
            return Response(PortalOut(id=portal.id, url=portal.url), status_code=201)

        return await idempotent(request, session, create)
