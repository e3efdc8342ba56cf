"""Tenant isolation of Stripe billing: one agency never gets a session for another's customer, never sees another's
Stripe ids, and a webhook about one agency's customer never touches another agency."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from stripe_fake import FakeStripe

from tests.api.stripe_billing import (
    PricedPlans,
    applied_events,
    checkout,
    customer_of,
    deliver,
    subscribe,
    subscription_of,
)
from tests.conftest import Agency, sign_up

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]


@pytest.fixture
def beta(billing: TestClient[Litestar]) -> Agency:
    return sign_up(billing, "Agency Beta")


def test_an_agencys_sessions_are_for_its_own_customer_and_name_nothing_of_another(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, beta: Agency, database: TestDatabase
) -> None:
    alpha_customer = customer_of(billing, fake_stripe, alpha)
    alpha_checkout = checkout(billing, alpha).json()
    alpha_markers = {alpha_customer, alpha_checkout["id"], alpha.tenant_id, *fake_stripe.portal_sessions}

    beta_checkout = checkout(billing, beta, **{"Idempotency-Key": "same-key"})
    beta_portal = billing.post(
        "/v1/billing/portal-session", json={"return_url": "https://beta.example/"}, headers=beta.headers
    )

    assert beta_checkout.status_code == beta_portal.status_code == 201
    beta_row = subscription_of(database, beta)
    assert beta_row is not None
    beta_customer = beta_row["stripe_customer_id"]
    assert beta_customer != alpha_customer
    assert fake_stripe.checkout_sessions[beta_checkout.json()["id"]]["customer"] == beta_customer
    assert fake_stripe.portal_sessions[beta_portal.json()["id"]]["customer"] == beta_customer
    for text in (beta_checkout.text, beta_portal.text):
        assert not [marker for marker in alpha_markers if marker in text]
    # The same Idempotency-Key from alpha is alpha's own request, not a replay of beta's.
    again = checkout(billing, alpha, **{"Idempotency-Key": "same-key"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert fake_stripe.checkout_sessions[again.json()["id"]]["customer"] == alpha_customer


def test_a_webhook_for_one_agencys_customer_never_touches_another(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    alpha: Agency,
    beta: Agency,
    database: TestDatabase,
) -> None:
    beta_subscription = subscribe(billing, fake_stripe, beta, "starter")
    [beta_completed] = [e for e in fake_stripe.events.values() if e["type"] == "checkout.session.completed"]
    assert deliver(billing, fake_stripe, beta_completed).json()["outcome"] == "applied"
    beta_before = subscription_of(database, beta)
    assert beta_before is not None
    assert beta_before["stripe_subscription_id"] == beta_subscription

    alpha_subscription = subscribe(billing, fake_stripe, alpha, "agency")
    alpha_events = [
        event
        for event in fake_stripe.events.values()
        if alpha_subscription in (event["data"]["object"].get("subscription"), event["data"]["object"]["id"])
    ]
    assert len(alpha_events) == 2  # the subscription's creation and the completed checkout
    for event in alpha_events:
        assert deliver(billing, fake_stripe, event).status_code == 200
    deliver(billing, fake_stripe, fake_stripe.set_subscription_status(alpha_subscription, "canceled"))

    alpha_row = subscription_of(database, alpha)
    assert alpha_row is not None
    assert (alpha_row["stripe_subscription_id"], alpha_row["status"]) == (alpha_subscription, "canceled")
    assert subscription_of(database, beta) == beta_before
    assert applied_events(database, beta) == 1


def test_an_event_whose_metadata_names_another_agency_is_ignored(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    beta: Agency,
    database: TestDatabase,
) -> None:
    alpha_customer = customer_of(billing, fake_stripe, alpha)
    customer_of(billing, fake_stripe, beta)
    before = {agency.tenant_id: subscription_of(database, agency) for agency in (alpha, beta)}
    _, claims_beta = fake_stripe.create_subscription(
        alpha_customer, [priced.base["agency"]], metadata={"tenant_id": beta.tenant_id}
    )
    session = fake_stripe.make_event(
        "checkout.session.completed",
        {
            "id": "cs_test_forged",
            "object": "checkout.session",
            "customer": alpha_customer,
            "client_reference_id": beta.tenant_id,
            "subscription": claims_beta["data"]["object"]["id"],
        },
    )

    for event in (claims_beta, session):
        response = deliver(billing, fake_stripe, event)
        assert response.json()["outcome"] == "ignored", response.json()
        assert "another agency" in response.json()["reason"]
        assert beta.tenant_id not in response.text

    assert {agency.tenant_id: subscription_of(database, agency) for agency in (alpha, beta)} == before
    assert (applied_events(database, alpha), applied_events(database, beta)) == (2, 0)  # recorded, not applied
