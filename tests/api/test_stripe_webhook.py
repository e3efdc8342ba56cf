"""The Stripe webhook: signatures, events applied once, any delivery order, and the access they give."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from stripe_fake import FakeStripe, signature_header

from api.billing.subscriptions import StripeEvent, access_of
from tests.api.conftest import assert_problem, count_rows
from tests.api.stripe_billing import (
    PricedPlans,
    applied_events,
    checkout,
    customer_of,
    deliver,
    deliver_together,
    event_of,
    stripe_client_app,
    subscribe,
    subscription_of,
)
from tests.conftest import Agency, sign_up

if TYPE_CHECKING:
    from api.billing.standing import Standing
    from tests.conftest import TestDatabase

pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]

DAY = 86400
GRACE = timedelta(days=7)  # RESONANCE_BILLING_GRACE_DAYS' default
CREATED = "customer.subscription.created"
UPDATED = "customer.subscription.updated"
DELETED = "customer.subscription.deleted"


@pytest.fixture
def start() -> int:
    """A time an hour ago: events of the tests happen from there, in seconds the tests choose."""
    return int(time.time()) - 3600


def standing(client: TestClient[Litestar], agency: Agency) -> Standing:
    standings = client.app.state.services.standings

    async def read() -> Standing:
        return await standings.of(uuid.UUID(agency.tenant_id))  # type: ignore[no-any-return]

    with client.portal() as portal:
        return portal.call(read)


def starter_subscription(
    billing: TestClient[Litestar], fake: FakeStripe, priced: PricedPlans, agency: Agency, *, status: str = "active"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A subscription to the starter plan made in Stripe at the fake's time, and its created event."""
    customer = customer_of(billing, fake, agency)
    return fake.create_subscription(
        customer,
        [priced.base["starter"], *priced.metered.values()],
        status=status,
        metadata={"tenant_id": agency.tenant_id, "plan": "starter"},
    )


def outcome(response: Any) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["outcome"])


def test_a_completed_checkout_subscribes_the_agency(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, database: TestDatabase, start: int
) -> None:
    fake_stripe.set_time(start)
    subscription = subscribe(billing, fake_stripe, alpha, "agency")
    [completed] = [e for e in fake_stripe.events.values() if e["type"] == "checkout.session.completed"]
    assert standing(billing, alpha).status == "local"  # now cached

    response = deliver(billing, fake_stripe, completed)

    assert response.status_code == 200, response.text
    assert response.json()["event"] == completed["id"]
    assert response.json()["outcome"] == "applied"
    assert fake_stripe.requests_to("/v1/subscriptions", "GET")  # the subscription was read from Stripe
    row = subscription_of(database, alpha)
    assert row is not None
    assert row["stripe_subscription_id"] == subscription
    assert (row["status"], row["plan"], row["cancel_at_period_end"], row["past_due_since"]) == (
        "active",
        "agency",
        False,
        None,
    )
    # Since API version 2025-03-31 the period is on the subscription's items.
    assert row["current_period_end"] == datetime.fromtimestamp(start + 30 * DAY, UTC)
    assert row["stripe_state_at"] == start
    now = standing(billing, alpha)  # the cache was dropped by the webhook
    assert (now.plan.id, now.status, now.access.writable) == ("agency", "active", True)
    assert now.stripe_subscription_id == subscription
    assert outcome(deliver(billing, fake_stripe, event_of(fake_stripe, subscription, CREATED))) == "applied"
    assert subscription_of(database, alpha) == row
    assert applied_events(database, alpha) == 2


def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, database: TestDatabase
) -> None:
    _, created = starter_subscription(billing, fake_stripe, priced, alpha)
    before = subscription_of(database, alpha)
    body, headers = fake_stripe.signed(created)
    now = int(time.time())
    attempts = {
        "wrong secret": (body, {**headers, "Stripe-Signature": signature_header(body, "whsec_not_ours", now)}),
        "tampered": (body.replace(b'"active"', b'"trialing"'), headers),
        "missing": (body, {key: value for key, value in headers.items() if key != "Stripe-Signature"}),
        "garbage": (body, {**headers, "Stripe-Signature": "t=abc,v1=zz"}),
    }

    for label, (content, sent) in attempts.items():
        response = billing.post("/v1/stripe/webhook", content=content, headers=sent)
        problem = assert_problem(response, 400, code="invalid_signature", field="Stripe-Signature")
        assert fake_stripe.webhook_secret not in response.text, label
        assert "RESONANCE_STRIPE_WEBHOOK_SECRET" in problem["detail"], label
        expected = "has no Stripe-Signature header" if label == "missing" else "does not match the body"
        assert expected in problem["detail"], label

    assert subscription_of(database, alpha) == before
    assert count_rows(database, StripeEvent) == 0


def test_a_signature_older_than_300_seconds_is_refused(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, database: TestDatabase
) -> None:
    _, created = starter_subscription(billing, fake_stripe, priced, alpha)
    now = int(time.time())

    expired = deliver(billing, fake_stripe, created, signed_at=now - 301)
    problem = assert_problem(expired, 400, code="invalid_signature")
    assert "more than 300 seconds ago" in problem["detail"]
    assert count_rows(database, StripeEvent) == 0

    assert outcome(deliver(billing, fake_stripe, created, signed_at=now - 240)) == "applied"
    row = subscription_of(database, alpha)
    assert row is not None
    assert row["status"] == "active"


def test_without_a_signing_secret_the_webhook_says_so(
    database: TestDatabase, fake_stripe: FakeStripe, priced: PricedPlans
) -> None:
    with stripe_client_app(database, fake_stripe, priced, stripe_webhook_secret="") as client:
        agency = sign_up(client, "Agency Delta")
        _, created = starter_subscription(client, fake_stripe, priced, agency)
        response = deliver(client, fake_stripe, created)

    problem = assert_problem(response, 503, code="stripe_webhook_not_configured")
    assert "RESONANCE_STRIPE_WEBHOOK_SECRET" in problem["detail"]
    assert count_rows(database, StripeEvent) == 0


def test_a_signed_body_that_is_not_an_event_is_400(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, database: TestDatabase
) -> None:
    _, created = starter_subscription(billing, fake_stripe, priced, alpha)
    no_status = json.loads(json.dumps(created))
    del no_status["data"]["object"]["status"]
    for event in ({"object": "event", "id": "evt_1"}, no_status):
        response = deliver(billing, fake_stripe, event)
        assert_problem(response, 400, code="invalid_event")
    assert count_rows(database, StripeEvent) == 0


def test_a_duplicate_delivery_is_applied_once(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    assert outcome(deliver(billing, fake_stripe, created)) == "applied"
    fake_stripe.set_time(start + 10)
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")
    assert outcome(deliver(billing, fake_stripe, past_due)) == "applied"
    row = subscription_of(database, alpha)

    again = deliver(billing, fake_stripe, past_due)
    assert outcome(again) == "duplicate", again.json()
    assert outcome(deliver(billing, fake_stripe, created)) == "duplicate"

    assert subscription_of(database, alpha) == row
    assert applied_events(database, alpha) == 2


def test_concurrent_deliveries_of_one_event_apply_it_once(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    assert outcome(deliver(billing, fake_stripe, created)) == "applied"
    fake_stripe.set_time(start + 10)
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")

    answers = deliver_together(billing, fake_stripe, [past_due] * 6)

    assert sorted(answer["outcome"] for answer in answers) == ["applied"] + ["duplicate"] * 5
    assert applied_events(database, alpha) == 2
    row = subscription_of(database, alpha)
    assert row is not None
    assert row["status"] == "past_due"
    assert row["past_due_since"] == datetime.fromtimestamp(start + 10, UTC)


def test_an_update_delivered_before_the_creation_wins(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    fake_stripe.set_time(start + 10)
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")

    assert outcome(deliver(billing, fake_stripe, past_due)) == "applied"
    assert outcome(deliver(billing, fake_stripe, created)) == "outdated"

    row = subscription_of(database, alpha)
    assert row is not None
    assert (row["stripe_subscription_id"], row["status"], row["stripe_state_at"]) == (
        subscription["id"],
        "past_due",
        start + 10,
    )
    assert applied_events(database, alpha) == 2


def test_an_old_active_after_a_newer_past_due_changes_nothing(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha, status="incomplete")
    fake_stripe.set_time(start + 5)
    active = fake_stripe.set_subscription_status(subscription["id"], "active")
    fake_stripe.set_time(start + 10)
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")

    assert [outcome(deliver(billing, fake_stripe, event)) for event in (past_due, active, created)] == [
        "applied",
        "outdated",
        "outdated",
    ]

    row = subscription_of(database, alpha)
    assert row is not None
    assert (row["status"], row["past_due_since"]) == ("past_due", datetime.fromtimestamp(start + 10, UTC))


def test_canceled_is_final_for_the_subscription(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    fake_stripe.set_time(start + 5)
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")
    fake_stripe.set_time(start + 10)
    deleted = fake_stripe.set_subscription_status(subscription["id"], "canceled")
    fake_stripe.set_time(start + 20)  # an update stamped after the cancellation still cannot revive it
    revived = fake_stripe.make_event(UPDATED, {**subscription, "status": "active"}, {"status": "canceled"})

    outcomes = [outcome(deliver(billing, fake_stripe, event)) for event in (created, deleted, past_due, revived)]

    assert outcomes == ["applied", "applied", "ignored", "ignored"]
    row = subscription_of(database, alpha)
    assert row is not None
    assert (row["status"], row["plan"], row["stripe_state_at"]) == ("canceled", "starter", start + 10)


def test_events_of_the_same_second_that_disagree_are_settled_by_asking_stripe(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    fake_stripe.set_time(start + 10)
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")
    paid = fake_stripe.set_subscription_status(subscription["id"], "active")  # the same second: Stripe says active
    assert outcome(deliver(billing, fake_stripe, created)) == "applied"
    assert outcome(deliver(billing, fake_stripe, paid)) == "applied"
    assert not fake_stripe.requests_to("/v1/subscriptions", "GET")

    response = deliver(billing, fake_stripe, past_due)

    assert outcome(response) == "applied"
    assert "read from Stripe" in response.json()["reason"]
    [asked] = fake_stripe.requests_to("/v1/subscriptions", "GET")
    assert asked.params["customer"] == subscription["customer"]
    row = subscription_of(database, alpha)
    assert row is not None
    assert (row["status"], row["past_due_since"]) == ("active", None)


def test_when_stripe_cannot_be_asked_the_event_is_left_for_stripe_to_retry(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    assert outcome(deliver(billing, fake_stripe, created)) == "applied"
    past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")  # same second as created
    fake_stripe.fail_next(3, 500, path_prefix="/v1/subscriptions")

    response = deliver(billing, fake_stripe, past_due)

    assert_problem(response, 502, code="stripe_unavailable")
    assert "injected" not in response.text
    assert applied_events(database, alpha) == 1
    assert outcome(deliver(billing, fake_stripe, past_due)) == "applied"  # Stripe's retry
    row = subscription_of(database, alpha)
    assert row is not None
    assert row["status"] == "past_due"


def test_a_plan_change_in_the_portal_changes_the_agencys_plan(
    billing: TestClient[Litestar],
    fake_stripe: FakeStripe,
    priced: PricedPlans,
    alpha: Agency,
    database: TestDatabase,
    start: int,
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    assert outcome(deliver(billing, fake_stripe, created)) == "applied"
    assert standing(billing, alpha).plan.id == "starter"
    fake_stripe.set_time(start + 60)

    changed = fake_stripe.change_subscription_prices(
        subscription["id"], [priced.base["agency"], *priced.metered.values()]
    )
    assert outcome(deliver(billing, fake_stripe, changed)) == "applied"

    row = subscription_of(database, alpha)
    assert row is not None
    assert (row["plan"], row["status"]) == ("agency", "active")
    assert row["current_period_end"] == datetime.fromtimestamp(start + 60 + 30 * DAY, UTC)
    assert standing(billing, alpha).plan.id == "agency"


def test_past_due_keeps_access_through_the_grace_period_then_not(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, database: TestDatabase
) -> None:
    beta = sign_up(billing, "Agency Beta")
    now = int(time.time())
    for agency, overdue_days in ((alpha, 1), (beta, 8)):
        fake_stripe.set_time(now - overdue_days * DAY - 600)
        subscription, created = starter_subscription(billing, fake_stripe, priced, agency)
        fake_stripe.set_time(now - overdue_days * DAY)
        past_due = fake_stripe.set_subscription_status(subscription["id"], "past_due")
        for event in (created, past_due):
            assert outcome(deliver(billing, fake_stripe, event)) == "applied"

    recent = standing(billing, alpha)
    since = datetime.fromtimestamp(now - DAY, UTC)
    assert (recent.status, recent.past_due_since) == ("past_due", since)
    assert recent.access.writable
    assert recent.access.read_only_from == since + GRACE
    assert not access_of(recent.status, recent.past_due_since, GRACE, now=since + GRACE).writable

    overdue = standing(billing, beta)
    assert overdue.status == "past_due"
    assert not overdue.access.writable
    assert overdue.access.reason is not None
    assert "grace period has ended" in overdue.access.reason

    fake_stripe.set_time(None)
    paid = fake_stripe.set_subscription_status(overdue.stripe_subscription_id or "", "active")
    assert outcome(deliver(billing, fake_stripe, paid)) == "applied"
    settled = standing(billing, beta)
    assert (settled.status, settled.past_due_since, settled.access.writable) == ("active", None, True)


def test_a_canceled_subscription_leaves_the_agency_read_only(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, start: int
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    assert outcome(deliver(billing, fake_stripe, created)) == "applied"
    assert standing(billing, alpha).access.writable
    fake_stripe.set_time(start + 10)

    assert outcome(deliver(billing, fake_stripe, fake_stripe.set_subscription_status(subscription["id"], "canceled")))

    now = standing(billing, alpha)
    assert (now.status, now.plan.id, now.access.writable) == ("canceled", "starter", False)
    assert now.access.reason is not None
    assert "canceled" in now.access.reason


def test_a_new_subscription_after_a_cancellation_takes_over_whatever_the_order(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, database: TestDatabase, start: int
) -> None:
    fake_stripe.set_time(start)
    old = subscribe(billing, fake_stripe, alpha, "starter")
    assert outcome(deliver(billing, fake_stripe, event_of(fake_stripe, old, CREATED))) == "applied"
    fake_stripe.set_time(start + 100)
    old_updated = fake_stripe.set_subscription_status(old, "past_due")
    fake_stripe.set_time(start + 200)
    assert outcome(deliver(billing, fake_stripe, fake_stripe.set_subscription_status(old, "canceled"))) == "applied"

    fake_stripe.set_time(start + 300)
    new = subscribe(billing, fake_stripe, alpha, "agency")
    [completed] = [
        e
        for e in fake_stripe.events.values()
        if e["type"] == "checkout.session.completed" and e["data"]["object"]["subscription"] == new
    ]
    outcomes = [
        outcome(deliver(billing, fake_stripe, event))
        for event in (event_of(fake_stripe, new, CREATED), old_updated, completed)
    ]

    assert outcomes == ["applied", "applied", "applied"]
    row = subscription_of(database, alpha)
    assert row is not None
    assert (row["stripe_subscription_id"], row["status"], row["plan"]) == (new, "active", "agency")
    assert standing(billing, alpha).access.writable


def test_events_not_about_an_agency_are_acknowledged_and_ignored(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, database: TestDatabase
) -> None:
    customer = customer_of(billing, fake_stripe, alpha)
    stranger = fake_stripe.add_customer(email="someone@elsewhere.example")
    _, foreign = fake_stripe.create_subscription(stranger["id"], [priced.base["starter"]])
    invoice = fake_stripe.make_event("invoice.paid", {"id": "in_1", "object": "invoice", "customer": customer})
    before = subscription_of(database, alpha)

    unknown = deliver(billing, fake_stripe, foreign)
    unused = deliver(billing, fake_stripe, invoice)

    assert outcome(unknown) == "ignored"
    assert stranger["id"] in unknown.json()["reason"]
    assert outcome(unused) == "ignored"
    assert "invoice.paid" in unused.json()["reason"]
    assert subscription_of(database, alpha) == before
    assert count_rows(database, StripeEvent) == 0


def test_the_webhook_is_public_and_documented_without_a_key(billing: TestClient[Litestar]) -> None:
    document = billing.get("/docs/openapi.json").json()
    operation = document["paths"]["/v1/stripe/webhook"]["post"]
    assert operation["security"] == []
    assert {"200", "400", "502", "503"} <= set(operation["responses"])
    assert "401" not in operation["responses"]
    for path in ("/v1/billing/checkout-session", "/v1/billing/portal-session"):
        responses = document["paths"][path]["post"]["responses"]
        assert {"201", "401", "403", "409", "422", "502"} <= set(responses), path
        assert "billing_local_mode" in responses["409"]["description"]
        assert responses["502"]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }


def test_checkout_still_works_after_a_webhook_made_the_agency_read_only(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, priced: PricedPlans, alpha: Agency, start: int
) -> None:
    fake_stripe.set_time(start)
    subscription, created = starter_subscription(billing, fake_stripe, priced, alpha)
    deliver(billing, fake_stripe, created)
    fake_stripe.set_time(start + 10)
    deliver(billing, fake_stripe, fake_stripe.set_subscription_status(subscription["id"], "canceled"))
    assert not standing(billing, alpha).access.writable

    assert checkout(billing, alpha, "agency").status_code == 201
