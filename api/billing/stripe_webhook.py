"""`POST /v1/stripe/webhook`: Stripe reports subscriptions; each event is applied once, in any delivery order.

Public (Stripe sends no API key): the signature over the raw body, with the endpoint's signing secret and a
300 s tolerance, is what makes an event trusted; the event's Stripe customer names the agency. The effect
and the record of the event are one tenant transaction (`api.billing.stripe_events.apply_event`). Any 2xx
tells Stripe to stop retrying, so events that change nothing (duplicates, outdated, unknown customers,
types not acted on) are 200; a failure to read Stripe when in doubt is a 502, which Stripe retries.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import msgspec
import stripe
from litestar import Litestar, Request, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference

from api.billing.backend import BillingBackend
from api.billing.plans import Plan
from api.billing.self_service import stripe_failed
from api.billing.stripe_events import (
    HANDLED_EVENTS,
    AskStripe,
    Event,
    EventDecision,
    MalformedEvent,
    apply_event,
    current_subscription,
    object_id,
    parse_event,
)
from api.errors import PROBLEM_MEDIA_TYPE, ApiError
from api.services import Services
from tenants import system
from tenants.database import Database

logger = logging.getLogger("resonance.billing")

WEBHOOK_PATH = "/v1/stripe/webhook"
TOLERANCE_SECONDS = 300
"""How old a signature's timestamp may be (Stripe's default): an older delivery is refused as a replay."""


class WebhookNotConfigured(ApiError):
    status_code = 503
    code = "stripe_webhook_not_configured"
    title = "Stripe webhook not configured"


class InvalidSignature(ApiError):
    status_code = 400
    code = "invalid_signature"
    title = "Invalid Stripe signature"


class InvalidEvent(ApiError):
    status_code = 400
    code = "invalid_event"
    title = "Invalid Stripe event"


class WebhookOut(msgspec.Struct):
    """What the event did: `applied`, `duplicate` (applied before), `outdated` (older than the stored
    state) or `ignored`; `reason` says why."""

    event: str | None
    outcome: str
    reason: str


def verified_event(payload: bytes, header: str | None, secret: str) -> Event:
    """The event in `payload` when `header` signs it with `secret` within the tolerance; else a 400 problem."""
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        if not header:
            why = "the request has no Stripe-Signature header"
        elif "tolerance" in str(error):
            why = f"it was signed more than {TOLERANCE_SECONDS} seconds ago"
        else:
            why = "it does not match the body with the configured signing secret"
        raise InvalidSignature(
            f"The Stripe-Signature header does not prove this body comes from Stripe: {why}. Check that "
            "RESONANCE_STRIPE_WEBHOOK_SECRET is the endpoint's signing secret and that the body reaches Resonance "
            "unchanged; Stripe retries a refused delivery.",
            field="Stripe-Signature",
        ) from None
    try:
        return parse_event(json.loads(payload))
    except (ValueError, MalformedEvent) as error:
        raise InvalidEvent(f"The signed body is not a Stripe event: {error}.") from None


async def _tenant_of(database: Database, customer: str) -> uuid.UUID | None:
    async with database.system_session() as session:
        return await system.find_stripe_customer(session, customer)


async def _apply(
    database: Database,
    tenant_id: uuid.UUID,
    event: Event,
    plans: dict[str, Plan],
    *,
    can_ask: bool,
    current: dict[str, Any] | None = None,
    asked: bool = False,
) -> EventDecision:
    async with database.tenant_session(tenant_id) as session:
        return await apply_event(session, tenant_id, event, plans, current=current, asked=asked, can_ask=can_ask)


async def _customer_subscription(backend: BillingBackend, customer: str) -> dict[str, Any] | None:
    """The customer's current subscription as Stripe has it now (see `current_subscription`)."""
    chosen = current_subscription(await backend.customer_subscriptions(customer))
    return dict(chosen) if chosen is not None else None


def _ignored(event: Event, reason: str) -> WebhookOut:
    logger.info("stripe webhook: %s %s ignored: %s", event.type, event.id, reason)
    return WebhookOut(event=event.id, outcome="ignored", reason=reason)


@post(
    WEBHOOK_PATH,
    exclude_from_auth=True,
    status_code=200,
    tags=["billing"],
    summary="Stripe webhook (called by Stripe)",
    security=[],
)
async def stripe_webhook(request: Request[Any, Any, Any], services: Services) -> WebhookOut:
    """Where Stripe reports subscription changes. Not for API clients: Stripe signs each delivery with the
    endpoint's secret (`Stripe-Signature`), checked on the raw body with a 300 s tolerance.

    Acts on `checkout.session.completed` and `customer.subscription.created|updated|deleted|paused|resumed`:
    the agency (found by the event's Stripe customer) gets the subscription's status, plan and period.
    Each event applies once; an event older than the stored state changes nothing; `canceled` is final.
    Answers 200 with the outcome; 400 `invalid_signature` or `invalid_event`; 503 when no signing secret is
    configured; 502 when Stripe must be asked about the subscription and cannot be reached (Stripe retries).
    """
    settings = services.settings
    if not settings.stripe_webhook_secret:
        raise WebhookNotConfigured(
            "This server has no Stripe webhook signing secret, so it cannot trust any delivery: the operator sets "
            "RESONANCE_STRIPE_WEBHOOK_SECRET to the endpoint's secret (whsec_…) from Stripe's dashboard."
        )
    signature = request.headers.get("stripe-signature")
    event = verified_event(await request.body(), signature, settings.stripe_webhook_secret)
    if event.type not in HANDLED_EVENTS:
        return _ignored(event, f"events of type {event.type} are not used")
    customer = object_id(event.object.get("customer"))
    if customer is None:
        return _ignored(event, "the event names no Stripe customer")
    database = services.database
    tenant_id = await _tenant_of(database, customer)
    if tenant_id is None:
        return _ignored(event, f"no agency has the Stripe customer {customer}")
    backend = services.billing
    try:
        # In local mode Stripe cannot be asked: a doubt is settled by the event alone.
        decision = await _apply(database, tenant_id, event, services.plans, can_ask=backend.online)
    except AskStripe as doubt:
        logger.info("stripe webhook: %s %s: asking Stripe (%s)", event.type, event.id, doubt.reason)
        try:
            current = await _customer_subscription(backend, customer)
        except stripe.StripeError as error:
            raise stripe_failed(
                "list the customer's subscriptions", error, request.scope.get("state", {}).get("request_id")
            ) from None
        decision = await _apply(database, tenant_id, event, services.plans, can_ask=True, current=current, asked=True)
    except MalformedEvent as error:
        raise InvalidEvent(f"The signed body is not a Stripe event of type {event.type}: {error}.") from None
    if decision.outcome == "applied":
        services.standings.invalidate(tenant_id)
    logger.info(
        "stripe webhook: %s %s for agency %s: %s (%s)",
        event.type,
        event.id,
        tenant_id,
        decision.outcome,
        decision.reason,
    )
    return WebhookOut(event=event.id, outcome=decision.outcome, reason=decision.reason)


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
    )


def document_stripe_webhook(app: Litestar) -> None:
    """The webhook in the OpenAPI document: public, with the problems it answers instead of key errors."""
    item = (app.openapi_schema.paths or {}).get(WEBHOOK_PATH)
    operation = item.post if item is not None else None
    if operation is None:
        return
    operation.security = []
    responses = {status: value for status, value in (operation.responses or {}).items() if status[0] not in "45"}
    responses["400"] = _problem("A missing, wrong or expired Stripe-Signature (invalid_signature), or not an event.")
    responses["502"] = _problem("Stripe could not be asked about the subscription (stripe_unavailable); it retries.")
    responses["503"] = _problem("No webhook signing secret is configured (stripe_webhook_not_configured).")
    operation.responses = responses
