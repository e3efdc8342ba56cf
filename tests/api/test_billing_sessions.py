"""Checkout and Customer Portal sessions, as the fake Stripe receives them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from stripe_fake import FakeStripe

from tests.api.conftest import assert_problem, create_key
from tests.api.stripe_billing import (
    CANCEL_URL,
    SUCCESS_URL,
    PricedPlans,
    checkout,
    deliver,
    event_of,
    post_together,
    stripe_client_app,
    subscribe,
    subscription_of,
)
from tests.conftest import Agency, sign_up

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]

RETURN_URL = "https://agency.example/settings/billing"


def test_checkout_session_subscribes_the_agencys_customer_to_the_plans_prices(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, database: TestDatabase
) -> None:
    response = checkout(billing, alpha, "agency")

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "url", "plan"}
    assert body["plan"] == "agency"
    assert body["url"] == fake_stripe.checkout_sessions[body["id"]]["url"]
    row = subscription_of(database, alpha)
    assert row is not None
    customer = fake_stripe.customers[row["stripe_customer_id"]]
    assert customer["metadata"] == {"tenant_id": alpha.tenant_id}
    default_plan = billing.app.state.services.settings.default_plan  # until Stripe reports a subscription
    assert (row["status"], row["plan"], row["stripe_subscription_id"]) == ("local", default_plan, None)
    [sent] = fake_stripe.requests_to("/v1/checkout/sessions", "POST")
    assert sent.params == {
        "mode": "subscription",
        "customer": customer["id"],
        "line_items": [
            {"price": priced.base["agency"], "quantity": "1"},
            {"price": priced.metered["syncs"]},
            {"price": priced.metered["mentions_analysed"]},
        ],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": alpha.tenant_id,
        "metadata": {"tenant_id": alpha.tenant_id, "plan": "agency"},
        "subscription_data": {"metadata": {"tenant_id": alpha.tenant_id, "plan": "agency"}},
    }


def test_one_customer_per_agency_however_many_sessions_are_asked_for_at_once(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, database: TestDatabase
) -> None:
    beta = sign_up(billing, "Agency Beta")
    calls = [
        *(
            ("/v1/billing/checkout-session", {"plan": "starter", "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
             agency.headers)
            for agency in (alpha, beta, alpha, beta, alpha)
        ),
        *(("/v1/billing/portal-session", {"return_url": RETURN_URL}, agency.headers) for agency in (alpha, beta)),
    ]  # fmt: skip

    responses = post_together(billing, calls)
    assert [response.status_code for response in responses] == [201] * len(calls), [r.text for r in responses]
    again = checkout(billing, alpha)
    assert again.status_code == 201, again.text

    customers = {}
    for agency in (alpha, beta):
        owned = [c for c in fake_stripe.customers.values() if c["metadata"]["tenant_id"] == agency.tenant_id]
        assert len(owned) == 1, owned
        row = subscription_of(database, agency)
        assert row is not None
        assert row["stripe_customer_id"] == owned[0]["id"]
        customers[agency.tenant_id] = owned[0]["id"]
    assert customers[alpha.tenant_id] != customers[beta.tenant_id]
    for response, (_, _, headers) in zip(responses, calls, strict=True):
        agency = alpha if headers == alpha.headers else beta
        sessions = fake_stripe.checkout_sessions | fake_stripe.portal_sessions
        assert sessions[response.json()["id"]]["customer"] == customers[agency.tenant_id]


def test_portal_session_opens_the_agencys_own_customer(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, database: TestDatabase
) -> None:
    response = billing.post("/v1/billing/portal-session", json={"return_url": RETURN_URL}, headers=alpha.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "url"}
    portal = fake_stripe.portal_sessions[body["id"]]
    assert body["url"] == portal["url"]
    row = subscription_of(database, alpha)
    assert row is not None
    assert portal["customer"] == row["stripe_customer_id"]
    assert portal["return_url"] == RETURN_URL


def test_local_mode_says_the_operator_sets_plans(client: TestClient[Litestar], agency: Agency) -> None:
    for path, body in (
        ("/v1/billing/checkout-session", {"plan": "starter", "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL}),
        ("/v1/billing/portal-session", {"return_url": RETURN_URL}),
    ):
        problem = assert_problem(client.post(path, json=body, headers=agency.headers), 409, code="billing_local_mode")
        assert "resonance tenant plan" in problem["detail"]


def test_unknown_plan_is_422_listing_the_plans(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    problem = assert_problem(checkout(billing, alpha, "platinum"), 422, code="validation_error", field="plan")

    assert problem["plans"] == ["agency", "scale", "starter"]
    assert "agency, scale, starter" in problem["detail"]
    assert not fake_stripe.requests


def test_plan_without_a_stripe_price_cannot_be_bought(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    problem = assert_problem(checkout(billing, alpha, "scale"), 422, code="validation_error", field="plan")

    assert "no Stripe price" in problem["detail"]
    assert problem["plans"] == ["agency", "starter"]
    assert not fake_stripe.requests


@pytest.mark.parametrize("url", ["ftp://agency.example/x", "javascript:alert(1)", "/billing/done", "https://", "x"])
def test_redirect_urls_must_be_http_urls(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, url: str
) -> None:
    for field in ("success_url", "cancel_url"):
        body = {"plan": "starter", "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL, field: url}
        response = billing.post("/v1/billing/checkout-session", json=body, headers=alpha.headers)
        assert_problem(response, 422, code="validation_error", field=field)
    response = billing.post("/v1/billing/portal-session", json={"return_url": url}, headers=alpha.headers)
    assert_problem(response, 422, code="validation_error", field="return_url")
    assert not fake_stripe.requests


def test_stripe_failure_is_a_502_that_leaks_nothing_and_keeps_the_customer(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    alpha: Agency,
    database: TestDatabase,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_stripe.fail_next(3, 500, path_prefix="/v1/checkout/sessions")  # the first try and the SDK's two retries

    with caplog.at_level(logging.WARNING, logger="resonance.billing"):
        response = checkout(billing, alpha)

    problem = assert_problem(response, 502, code="stripe_unavailable")
    assert "injected" not in response.text
    assert fake_stripe.api_key not in response.text
    assert fake_stripe.api_key not in caplog.text
    assert problem["request_id"] in caplog.text
    row = subscription_of(database, alpha)
    assert row is not None
    customer = row["stripe_customer_id"]
    assert customer in fake_stripe.customers

    retried = checkout(billing, alpha)
    assert retried.status_code == 201, retried.text
    assert fake_stripe.checkout_sessions[retried.json()["id"]]["customer"] == customer
    assert len(fake_stripe.customers) == 1


def test_a_refused_stripe_key_is_a_502_without_the_key(
    database: TestDatabase, fake_stripe: FakeStripe, priced: PricedPlans, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_key = "sk_test_wrong_" + "k" * 24
    with stripe_client_app(database, fake_stripe, priced, stripe_api_key=wrong_key) as client:
        agency = sign_up(client, "Agency Gamma")
        with caplog.at_level(logging.INFO, logger="resonance"):
            response = checkout(client, agency)
            portal = client.post("/v1/billing/portal-session", json={"return_url": RETURN_URL}, headers=agency.headers)

    assert_problem(response, 502, code="stripe_unavailable")
    assert_problem(portal, 502, code="stripe_unavailable")
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("resonance"))
    assert "AuthenticationError" in ours
    for text in (response.text, portal.text, ours):
        assert wrong_key not in text
        assert "Invalid API Key" not in text  # not even Stripe's message with the key masked


def test_idempotency_key_gives_the_same_session_and_reaches_stripe_per_agency(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    beta = sign_up(billing, "Agency Beta")
    fake_stripe.fail_next(3, 500, path_prefix="/v1/checkout/sessions")
    failed = checkout(billing, alpha, **{"Idempotency-Key": "order-1"})
    assert_problem(failed, 502, code="stripe_unavailable")

    first = checkout(billing, alpha, **{"Idempotency-Key": "order-1"})
    replay = checkout(billing, alpha, **{"Idempotency-Key": "order-1"})
    other = checkout(billing, beta, **{"Idempotency-Key": "order-1"})

    assert first.status_code == replay.status_code == other.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert other.json()["id"] != first.json()["id"]
    keys = [request.idempotency_key for request in fake_stripe.requests_to("/v1/checkout/sessions", "POST")]
    assert len(keys) == 5  # three failed tries, then alpha's and beta's; the replay never reached Stripe
    assert len(set(keys[:4])) == 1  # the failed tries and the successful retry: one key
    assert keys[4] != keys[0]
    assert all(key and key.startswith("resonance-checkout-") and "order-1" not in key for key in keys)
    reused = billing.post(
        "/v1/billing/checkout-session",
        json={"plan": "agency", "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        headers={**alpha.headers, "Idempotency-Key": "order-1"},
    )
    assert_problem(reused, 422, code="idempotency_key_reused")


def test_an_agency_already_subscribed_changes_plan_in_the_portal(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    subscription = subscribe(billing, fake_stripe, alpha)
    assert (
        deliver(billing, fake_stripe, event_of(fake_stripe, subscription, "customer.subscription.created")).json()[
            "outcome"
        ]
        == "applied"
    )

    problem = assert_problem(checkout(billing, alpha, "agency"), 409, code="already_subscribed")
    assert "portal-session" in problem["detail"]

    deliver(billing, fake_stripe, fake_stripe.set_subscription_status(subscription, "canceled"))
    assert checkout(billing, alpha, "agency").status_code == 201


def test_sessions_need_an_admin_key(billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency) -> None:
    writer = create_key(billing, alpha, ["read", "write"], name="writer")
    response = billing.post(
        "/v1/billing/checkout-session",
        json={"plan": "starter", "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        headers=writer.headers,
    )
    assert_problem(response, 403, code="forbidden")
    portal = billing.post("/v1/billing/portal-session", json={"return_url": RETURN_URL}, headers=writer.headers)
    assert_problem(portal, 403, code="forbidden")
    assert not fake_stripe.requests


def test_the_stripe_connection_pools_close_with_the_app(
    database: TestDatabase, fake_stripe: FakeStripe, priced: PricedPlans
) -> None:
    with stripe_client_app(database, fake_stripe, priced) as client:
        http = client.app.state.services.billing.http
        assert checkout(client, sign_up(client), "agency").status_code == 201  # through the shared pools
        assert (http._client_async.is_closed, http._client.is_closed) == (False, False)

    assert (http._client_async.is_closed, http._client.is_closed) == (True, True)
