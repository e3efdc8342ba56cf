"""`POST /v1/billing/checkout-session` and `POST /v1/billing/portal-session`: the REST face of self-service billing.

The work (the agency's Stripe customer, the sessions, their errors) is in `api/billing/self_service.py`, which the
portal's plan page uses too; here are the request shapes, the `Idempotency-Key` replay and the OpenAPI answers.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.openapi import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.billing.self_service import (
    AlreadySubscribed,
    BillingLocalMode,
    StripeUnavailable,
    check_url,
    open_customer_portal,
    plan_for_sale,
    start_checkout,
)
from api.idempotency import IDEMPOTENCY_HEADER, idempotent
from api.services import Services

__all__ = ["AlreadySubscribed", "BillingLocalMode", "BillingSessionController", "StripeUnavailable"]

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


def request_id_of(request: Request[Any, Any, Any]) -> str | None:
    """The request's id, as the logs and problem answers quote it."""
    request_id: str | None = request.scope.get("state", {}).get("request_id")
    return request_id


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
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[CheckoutOut]:
        """A Stripe Checkout Session in subscription mode for `plan`: its monthly price and its metered prices
        (usage billed from the meter events). Send the agency's browser to `url`; the subscription takes effect
        when Stripe reports it (webhook), which `GET /v1/subscription` then shows.

        Needs an admin key. 409 `billing_local_mode` when the server has no Stripe key, 409 `already_subscribed`
        when the agency already has a subscription (change it in the portal), 502 `stripe_unavailable` when
        Stripe fails. With an `Idempotency-Key`, a repeat of the request gives the same session.
        """
        services.billing.ensure_online()
        plan_for_sale(services.plans, data.plan)
        check_url(data.success_url, "success_url")
        check_url(data.cancel_url, "cancel_url")
        tenant_id = principal.tenant_id

        async def create() -> Response[CheckoutOut]:
            checkout = await start_checkout(
                services.database,
                services.billing,
                services.plans,
                services.standings.default_plan,
                tenant_id,
                data.plan,
                success_url=data.success_url,
                cancel_url=data.cancel_url,
                idempotency_key=await stripe_idempotency_key(request, "checkout", tenant_id),
                request_id=request_id_of(request),
            )
            return Response(CheckoutOut(id=checkout.id, url=checkout.url, plan=checkout.plan), status_code=201)

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
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[PortalOut]:
        """A Stripe Customer Portal session for the agency: invoices, payment method, plan changes and
        cancellation. Send the browser to `url`; changes reach Resonance through the Stripe webhook.

        Needs an admin key. 409 `billing_local_mode` without a Stripe key, 502 `stripe_unavailable` when
        Stripe fails.
        """
        services.billing.ensure_online()
        check_url(data.return_url, "return_url")
        tenant_id = principal.tenant_id

        async def create() -> Response[PortalOut]:
            portal = await open_customer_portal(
                services.database,
                services.billing,
                services.standings.default_plan,
                tenant_id,
                return_url=data.return_url,
                idempotency_key=await stripe_idempotency_key(request, "portal", tenant_id),
                request_id=request_id_of(request),
            )
            return Response(PortalOut(id=portal.id, url=portal.url), status_code=201)

        return await idempotent(request, session, create)
