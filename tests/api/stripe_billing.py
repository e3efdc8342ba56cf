"""Helpers and fixtures for the tests of Stripe billing: plans priced in the fake Stripe, an app pointed at it,
deliveries.

The fixtures that use them (`priced`, `billing`, `alpha`) are in `tests.api.stripe_fixtures`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select
from stripe_fake import FakeStripe

from api.app import create_app
from api.billing.stripe_backend import METER_EVENT_NAMES
from api.billing.subscriptions import StripeEvent, Subscription
from tests.api.conftest import count_rows, owner_connection, table
from tests.conftest import Agency, TestDatabase, make_settings, sign_up

METERED = ("syncs", "mentions_analysed")
"""The meters the test plans bill by usage."""
SUCCESS_URL = "https://agency.example/billing/done"
CANCEL_URL = "https://agency.example/billing/plans"


@dataclass(frozen=True)
class PricedPlans:
    """The Stripe prices of the test plans: `starter` and `agency` are on sale, `scale` has no Stripe price."""

    base: dict[str, str]
    """Plan id → its monthly price id."""
    metered: dict[str, str]
    """Meter → its usage price id (the same for both plans)."""
    config: str
    """The RESONANCE_PLANS JSON."""


def price_plans(fake: FakeStripe) -> PricedPlans:
    """Meters and prices created in the fake, and the plans JSON that names them."""
    metered: dict[str, str] = {}
    for meter in METERED:
        created = fake.add_meter(METER_EVENT_NAMES[meter])
        metered[meter] = fake.add_price(
            currency="eur",
            unit_amount_decimal="0.5",
            product_data={"name": meter},
            recurring={"interval": "month", "usage_type": "metered", "meter": created["id"]},
        )["id"]
    base = {
        plan: fake.add_price(
            currency="eur", unit_amount=amount, product_data={"name": plan}, recurring={"interval": "month"}
        )["id"]
        for plan, amount in (("starter", "4900"), ("agency", "24900"))
    }
    plans: dict[str, Any] = {
        plan: {"name": plan.title(), "price": price, "stripe_price": base[plan], "stripe_metered_prices": metered}
        for plan, price in (("starter", "49.00"), ("agency", "249.00"))
    }
    plans["scale"] = {"name": "Scale", "price": "999.00"}
    return PricedPlans(base=base, metered=metered, config=json.dumps(plans))


@contextmanager
def stripe_client_app(
    database: TestDatabase, fake: FakeStripe, plans: PricedPlans, **overrides: Any
) -> Iterator[TestClient[Litestar]]:
    """A test client of an app billing through the fake Stripe, selling `plans`."""
    values: dict[str, Any] = {
        "stripe_api_key": fake.api_key,
        "stripe_api_base": fake.url,
        "stripe_webhook_secret": fake.webhook_secret,
        "plans_config": plans.config,
    }
    values.update(overrides)
    with TestClient(create_app(make_settings(database, **values)), raise_server_exceptions=False) as client:
        yield client


def deliver(
    client: TestClient[Litestar], fake: FakeStripe, event: dict[str, Any], *, signed_at: int | None = None
) -> httpx.Response:
    """POST `event` to the webhook as Stripe would, signed now (real time, whatever the fake's clock says)."""
    body, headers = fake.signed(event, timestamp=int(time.time()) if signed_at is None else signed_at)
    return client.post("/v1/stripe/webhook", content=body, headers=headers)


def deliver_together(client: TestClient[Litestar], fake: FakeStripe, events: list[dict[str, Any]]) -> list[Any]:
    """Deliver `events` concurrently (one task each, in the app's event loop); the JSON answers in order."""
    deliveries = [fake.signed(event, timestamp=int(time.time())) for event in events]

    async def post_all() -> list[Any]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answers = await asyncio.gather(
                *(http.post("/v1/stripe/webhook", content=body, headers=headers) for body, headers in deliveries)
            )
        assert all(answer.status_code == 200 for answer in answers), [answer.text for answer in answers]
        return [answer.json() for answer in answers]

    with client.portal() as portal:
        return portal.call(post_all)


def post_together(client: TestClient[Litestar], calls: list[tuple[str, Any, dict[str, str]]]) -> list[httpx.Response]:
    """POST (path, json, headers) concurrently in the app's event loop; the responses in order."""

    async def post_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(
                await asyncio.gather(*(http.post(path, json=body, headers=headers) for path, body, headers in calls))
            )

    with client.portal() as portal:
        return portal.call(post_all)


def subscription_of(database: TestDatabase, agency: Agency) -> dict[str, Any] | None:
    """The agency's subscription row as stored (read as the tables' owner), or None."""
    with owner_connection(database) as connection:
        row = (
            connection.execute(
                select(table(Subscription)).where(table(Subscription).c.tenant_id == uuid.UUID(agency.tenant_id))
            )
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None


def applied_events(database: TestDatabase, agency: Agency) -> int:
    return count_rows(database, StripeEvent, tenant_id=agency.tenant_id)


def checkout(client: TestClient[Litestar], agency: Agency, plan: str = "starter", **headers: str) -> httpx.Response:
    return client.post(
        "/v1/billing/checkout-session",
        json={"plan": plan, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        headers={**agency.headers, **headers},
    )


def subscribe(client: TestClient[Litestar], fake: FakeStripe, agency: Agency, plan: str = "starter") -> str:
    """Check out `plan` and complete the payment in the fake; returns the subscription id (nothing delivered:
    the `checkout.session.completed` and `customer.subscription.created` events are in `fake.events`)."""
    response = checkout(client, agency, plan)
    assert response.status_code == 201, response.text
    completed = fake.complete_checkout(response.json()["id"])
    return str(completed["data"]["object"]["subscription"])


def customer_of(client: TestClient[Litestar], fake: FakeStripe, agency: Agency) -> str:
    """The agency's Stripe customer, created through the API (a portal session) if it has none yet."""
    response = client.post(
        "/v1/billing/portal-session", json={"return_url": "https://agency.example/back"}, headers=agency.headers
    )
    assert response.status_code == 201, response.text
    return str(fake.portal_sessions[response.json()["id"]]["customer"])


def event_of(fake: FakeStripe, subscription_id: str, event_type: str) -> dict[str, Any]:
    """The last event of `event_type` the fake made about the subscription."""
    matching = [
        event
        for event in fake.events.values()
        if event["type"] == event_type and event["data"]["object"].get("id") == subscription_id
    ]
    assert matching, f"no {event_type} event for {subscription_id}"
    return matching[-1]


__all__ = [
    "CANCEL_URL",
    "SUCCESS_URL",
    "PricedPlans",
    "applied_events",
    "checkout",
    "customer_of",
    "deliver",
    "deliver_together",
    "event_of",
    "post_together",
    "price_plans",
    "sign_up",
    "stripe_client_app",
    "subscribe",
    "subscription_of",
]
