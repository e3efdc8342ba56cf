"""The fake Stripe server, driven through the real `stripe` SDK (`StripeClient`), speaks Stripe's wire format."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
import stripe

from stripe_fake.server import FakeStripe, decode_form
from stripe_fake.signing import signature_header, signed_webhook

DAY = 86400
WEBHOOK_SECRET = "whsec_test_fake_secret"


@pytest.fixture
def client(fake_stripe: FakeStripe) -> stripe.StripeClient:
    return stripe.StripeClient(fake_stripe.api_key, base_addresses={"api": fake_stripe.url}, max_network_retries=2)


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "billing@agency.test", "metadata": {"tenant_id": "t-1"}})


@pytest.fixture
def meter(client: stripe.StripeClient) -> stripe.billing.Meter:
    return client.v1.billing.meters.create(
        params={
            "display_name": "Sync runs",
            "event_name": "sync_run",
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "value_settings": {"event_payload_key": "value"},
        }
    )


@pytest.fixture
def prices(client: stripe.StripeClient, meter: stripe.billing.Meter) -> tuple[stripe.Price, stripe.Price]:
    base = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 4900,
            "product_data": {"name": "Agency plan"},
            "recurring": {"interval": "month"},
        }
    )
    metered = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount_decimal": Decimal("0.5"),
            "product_data": {"name": "Sync runs"},
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    return base, metered


def _error(exc: stripe.StripeError) -> dict[str, Any]:
    """The `error` object of a Stripe error answer, as the SDK parsed it."""
    body = exc.json_body
    assert isinstance(body, dict)
    return cast(dict[str, Any], body["error"])


def _report(client: stripe.StripeClient, customer: str, value: int, identifier: str, timestamp: int) -> Any:
    return client.v1.billing.meter_events.create(
        params={
            "event_name": "sync_run",
            "identifier": identifier,
            "timestamp": timestamp,
            "payload": {"stripe_customer_id": customer, "value": str(value)},
        }
    )


# ------------------------------------------------------------------------------------------------------------------
# Customers, auth, wire format


def test_customer_created_form_encoded_and_retrieved(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    assert customer.livemode is False
    assert customer["metadata"]["tenant_id"] == "t-1"
    assert abs(customer.created - time.time()) < 5

    (logged,) = fake_stripe.requests_to("/v1/customers", "POST")
    assert "metadata[tenant_id]=t-1" in logged.raw  # Stripe's bracket nesting, brackets left unescaped by the SDK
    assert logged.params == {"email": "billing@agency.test", "metadata": {"tenant_id": "t-1"}}
    assert logged.idempotency_key  # the SDK sends one on every POST

    fetched = client.v1.customers.retrieve(customer.id)
    assert fetched.id == customer.id
    assert fetched.email == "billing@agency.test"
    assert fetched["metadata"].to_dict() == {"tenant_id": "t-1"}


def test_unknown_customer_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve("cus_doesnotexist")
    error = caught.value
    assert error.http_status == 404
    assert error.code == "resource_missing"
    assert error.param == "id"
    assert error.user_message == "No such customer: 'cus_doesnotexist'"
    assert _error(error)["type"] == "invalid_request_error"


def test_wrong_api_key_is_401(fake_stripe: FakeStripe) -> None:
    other = stripe.StripeClient("sk_test_not_the_right_key", base_addresses={"api": fake_stripe.url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        other.v1.customers.list()
    assert caught.value.http_status == 401
    assert _error(caught.value)["type"] == "invalid_request_error"
    assert "sk_test_not_the_right_key" not in str(caught.value)  # the key is masked
    assert fake_stripe.customers == {}


def test_missing_api_key_and_non_form_body_are_refused(fake_stripe: FakeStripe) -> None:
    answer = httpx.post(f"{fake_stripe.url}/v1/customers", data={"email": "x@y.test"})
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "API key" in answer.json()["error"]["message"]

    auth = {"Authorization": f"Bearer {fake_stripe.api_key}"}
    answer = httpx.post(f"{fake_stripe.url}/v1/customers", json={"email": "x@y.test"}, headers=auth)
    assert answer.status_code == 400
    assert "x-www-form-urlencoded" in answer.json()["error"]["message"]
    assert fake_stripe.customers == {}


def test_unknown_parameter_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create(params=cast(Any, {"emial": "typo@agency.test"}))
    assert caught.value.http_status == 400
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "emial"


def test_customer_list_and_metadata_update(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    second = client.v1.customers.create(params={"email": "other@agency.test"})
    page = client.v1.customers.list(params={"limit": 1})
    assert [c.id for c in page.data] == [second.id]  # newest first
    assert page.has_more is True
    updated = client.v1.customers.update(customer.id, params={"metadata": {"tenant_id": "", "plan": "agency"}})
    assert updated["metadata"].to_dict() == {"plan": "agency"}  # an empty value unsets a key


# ------------------------------------------------------------------------------------------------------------------
# Prices, checkout, portal


def test_metered_price_requires_an_existing_meter(client: stripe.StripeClient, prices: Any) -> None:
    base, metered = prices
    assert base.recurring.usage_type == "licensed"
    assert metered.recurring.usage_type == "metered"
    assert client.v1.prices.retrieve(metered.id)["recurring"]["meter"] == metered["recurring"]["meter"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            params={
                "currency": "eur",
                "unit_amount": 1,
                "product_data": {"name": "x"},
                "recurring": {"interval": "month", "usage_type": "metered"},
            }
        )
    assert (caught.value.http_status, caught.value.param) == (400, "recurring[meter]")


def test_checkout_session_for_a_subscription(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, prices: Any
) -> None:
    base, metered = prices
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": base.id, "quantity": 1}, {"price": metered.id}],
            "success_url": "https://app.example.test/billing/success",
            "cancel_url": "https://app.example.test/billing/cancel",
            "client_reference_id": "tenant-1",
            "metadata": {"tenant_id": "t-1"},
        }
    )
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.status == "open"
    assert session.mode == "subscription"
    assert session.customer == customer.id
    assert session.client_reference_id == "tenant-1"
    assert session["metadata"]["tenant_id"] == "t-1"
    assert session.url is not None
    assert session.url.startswith(fake_stripe.url)
    (logged,) = fake_stripe.requests_to("/v1/checkout/sessions", "POST")
    assert f"line_items[1][price]={metered.id}" in logged.raw
    assert fake_stripe.checkout_line_items[session.id] == [{"price": base.id, "quantity": "1"}, {"price": metered.id}]


@pytest.mark.parametrize(
    ("lines", "param"),
    [
        (lambda base, metered: [{"price": base.id}], "line_items[0][quantity]"),
        (lambda base, metered: [{"price": base.id, "quantity": 1}, {"price": metered.id, "quantity": 2}],
         "line_items[1][quantity]"),
        (lambda base, metered: [{"price": "price_missing", "quantity": 1}], "line_items[0][price]"),
    ],
)  # fmt: skip
def test_checkout_session_validation_names_the_param(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, prices: Any, lines: Any, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer.id,
                "line_items": lines(*prices),
                "success_url": "https://app.example.test/ok",
            }
        )
    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert fake_stripe.checkout_sessions == {}


def test_billing_portal_session(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "https://app.example.test/settings"}
    )
    assert portal.object == "billing_portal.session"
    assert portal.customer == customer.id
    assert portal.return_url == "https://app.example.test/settings"
    assert portal.url.startswith(fake_stripe.url)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(params={"customer": "cus_nope"})
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (400, "resource_missing", "customer")


# ------------------------------------------------------------------------------------------------------------------
# Meter events


def test_meter_events_accepted_and_summed(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, meter: stripe.billing.Meter
) -> None:
    fake_stripe.set_time(1_790_000_000)
    start = 1_789_999_200 - 3 * 3600  # an hour boundary (UTC), three hours ago
    other = client.v1.customers.create(params={"email": "other@agency.test"})

    event = _report(client, customer.id, 3, "sync:1", start)
    assert event.object == "billing.meter_event"
    assert (event.identifier, event.timestamp, event.event_name) == ("sync:1", start, "sync_run")
    assert event.payload.to_dict() == {"stripe_customer_id": customer.id, "value": "3"}
    (logged,) = fake_stripe.requests_to("/v1/billing/meter_events", "POST")
    assert "payload[value]=3" in logged.raw
    _report(client, customer.id, 4, "sync:2", start + 3599)
    _report(client, customer.id, 5, "sync:3", start + 3600)  # second hour
    _report(client, other.id, 100, "sync:4", start)  # another customer

    assert len(fake_stripe.accepted_meter_events(customer=customer.id)) == 3
    assert fake_stripe.total(customer.id, "sync_run") == Decimal(12)  # 3 + 4 + 5
    assert fake_stripe.meter_totals() == {(customer.id, "sync_run"): Decimal(12), (other.id, "sync_run"): Decimal(100)}

    summaries = client.v1.billing.meters.event_summaries.list(
        meter.id, params={"customer": customer.id, "start_time": start, "end_time": start + 3600}
    )
    assert summaries["object"] == "list"
    (summary,) = summaries.data
    assert summary.object == "billing.meter_event_summary"
    assert summary.aggregated_value == 7  # 3 + 4: the event at start + 3600 is outside [start, end)
    assert (summary.start_time, summary.end_time, summary.meter) == (start, start + 3600, meter.id)

    hourly = client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={"customer": customer.id, "start_time": start, "end_time": start + 3 * 3600,
                "value_grouping_window": "hour"},
    )  # fmt: skip
    assert [s.aggregated_value for s in hourly.data] == [7, 5, 0]


def test_event_summaries_need_minute_aligned_times(
    client: stripe.StripeClient, customer: stripe.Customer, meter: stripe.billing.Meter
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing.meters.event_summaries.list(
            meter.id, params={"customer": customer.id, "start_time": 1_790_000_001, "end_time": 1_790_003_600}
        )
    assert (caught.value.http_status, caught.value.param) == (400, "start_time")


def test_meter_event_for_an_unknown_event_name_is_refused(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, meter: stripe.billing.Meter
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing.meter_events.create(
            params={"event_name": "no_such_meter", "payload": {"stripe_customer_id": customer.id, "value": "1"}}
        )
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (400, "no_meter", "event_name")
    assert fake_stripe.meter_events == []


def test_duplicate_identifier_is_refused_for_24_hours(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, meter: stripe.billing.Meter
) -> None:
    fake_stripe.set_time(1_790_000_000)
    _report(client, customer.id, 3, "tenant-1:sync:42", 1_790_000_000)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _report(client, customer.id, 3, "tenant-1:sync:42", 1_790_000_000)
    assert caught.value.http_status == 400
    assert caught.value.user_message == "An event already exists with identifier tenant-1:sync:42."
    assert fake_stripe.total(customer.id, "sync_run") == Decimal(3)

    fake_stripe.advance(DAY - 1)
    with pytest.raises(stripe.InvalidRequestError):
        _report(client, customer.id, 3, "tenant-1:sync:42", 1_790_000_000)
    fake_stripe.advance(1)  # Stripe promises uniqueness for at least 24 hours; the fake forgets at exactly 24
    _report(client, customer.id, 3, "tenant-1:sync:42", 1_790_000_000)
    assert fake_stripe.total(customer.id, "sync_run") == Decimal(6)


def test_duplicate_identifier_error_code_can_be_set(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, meter: stripe.billing.Meter
) -> None:
    fake_stripe.duplicate_identifier_code = "duplicate_meter_event"
    now = int(time.time())
    _report(client, customer.id, 1, "id-1", now)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _report(client, customer.id, 1, "id-1", now)
    assert caught.value.code == "duplicate_meter_event"


@pytest.mark.parametrize(
    ("offset", "accepted", "code"),
    [
        (-35 * DAY - 1, False, "timestamp_too_far_in_past"),
        (-35 * DAY, True, None),
        (300, True, None),
        (301, False, "timestamp_in_future"),
    ],
)
def test_timestamp_window(
    fake_stripe: FakeStripe,
    client: stripe.StripeClient,
    customer: stripe.Customer,
    meter: stripe.billing.Meter,
    offset: int,
    accepted: bool,
    code: str | None,
) -> None:
    now = 1_790_000_000
    fake_stripe.set_time(now)
    if accepted:
        _report(client, customer.id, 2, "ts", now + offset)
        assert fake_stripe.total(customer.id, "sync_run") == Decimal(2)
        return
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _report(client, customer.id, 2, "ts", now + offset)
    assert (caught.value.http_status, caught.value.param, caught.value.code) == (400, "timestamp", code)
    assert fake_stripe.meter_events == []


# ------------------------------------------------------------------------------------------------------------------
# Idempotency, retries


def test_idempotency_key_replays_the_same_response(fake_stripe: FakeStripe, client: stripe.StripeClient) -> None:
    params: Any = {"email": "once@agency.test", "metadata": {"tenant_id": "t-9"}}
    first = client.v1.customers.create(params=params, options={"idempotency_key": "create-customer-t-9"})
    again = client.v1.customers.create(params=params, options={"idempotency_key": "create-customer-t-9"})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert list(fake_stripe.customers) == [first.id]

    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create(
            params={"email": "different@agency.test"}, options={"idempotency_key": "create-customer-t-9"}
        )
    assert caught.value.http_status == 400
    assert _error(caught.value)["type"] == "idempotency_error"
    assert list(fake_stripe.customers) == [first.id]


def test_injected_500_then_success_through_the_sdk_retries(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, meter: stripe.billing.Meter
) -> None:
    fake_stripe.fail_next(1, 500, path_prefix="/v1/billing/meter_events")
    _report(client, customer.id, 7, "retry-1", int(time.time()))

    attempts = fake_stripe.requests_to("/v1/billing/meter_events", "POST")
    assert [a.status for a in attempts] == [500, 200]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key  # the SDK retries with the same key
    assert fake_stripe.total(customer.id, "sync_run") == Decimal(7)  # counted once


def test_injected_429_is_a_rate_limit_error(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    fake_stripe.fail_next(1, 429)
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.retrieve(customer.id)
    assert caught.value.http_status == 429
    assert _error(caught.value)["code"] == "rate_limit"
    fake_stripe.fail_next(2, 429, should_retry=True)  # Stripe-Should-Retry: true makes the SDK retry a 429
    assert client.v1.customers.retrieve(customer.id).id == customer.id
    assert [r.status for r in fake_stripe.requests_to(f"/v1/customers/{customer.id}")] == [429, 429, 429, 200]


# ------------------------------------------------------------------------------------------------------------------
# Subscriptions and signed webhooks


def test_checkout_completion_and_subscription_changes_give_webhook_events(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, prices: Any
) -> None:
    base, metered = prices
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": base.id, "quantity": 2}, {"price": metered.id}],
            "success_url": "https://app.example.test/ok",
        }
    )
    completed = fake_stripe.complete_checkout(session.id)
    assert completed["type"] == "checkout.session.completed"
    subscription_id = completed["data"]["object"]["subscription"]
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    assert (subscription.status, subscription.customer) == ("active", customer.id)
    assert [(i.price.id, getattr(i, "quantity", None)) for i in subscription["items"].data] == [
        (base.id, 2),
        (metered.id, None),
    ]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"

    past_due = fake_stripe.set_subscription_status(subscription_id, "past_due")
    assert past_due["type"] == "customer.subscription.updated"
    assert past_due["data"]["object"]["status"] == "past_due"
    assert past_due["data"]["previous_attributes"] == {"status": "active"}
    canceled = fake_stripe.set_subscription_status(subscription_id, "canceled")
    assert canceled["type"] == "customer.subscription.deleted"
    assert client.v1.subscriptions.retrieve(subscription_id).canceled_at == canceled["created"]
    assert client.v1.events.retrieve(canceled["id"]).type == "customer.subscription.deleted"


def test_signed_webhook_verified_by_the_sdk(fake_stripe: FakeStripe, customer: stripe.Customer, prices: Any) -> None:
    base, _ = prices
    subscription, _ = fake_stripe.create_subscription(customer.id, [base.id])
    event = fake_stripe.set_subscription_status(subscription["id"], "past_due")
    body, headers = signed_webhook(event, WEBHOOK_SECRET)

    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], WEBHOOK_SECRET)
    assert verified.id == event["id"]
    assert verified.type == "customer.subscription.updated"
    assert verified.data.object["status"] == "past_due"

    tampered = body.replace(b'"past_due"', b'"active"')
    assert tampered != body
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, headers["Stripe-Signature"], WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_another_secret")


def test_webhook_signed_beyond_the_tolerance_is_refused() -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})
    now = int(time.time())
    stripe.Webhook.construct_event(body, signature_header(body, WEBHOOK_SECRET, now - 290), WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, signature_header(body, WEBHOOK_SECRET, now - 301), WEBHOOK_SECRET)


def test_signature_matches_the_sdk_reference() -> None:
    payload = '{"id": "evt_1", "object": "event"}'
    expected = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET, timestamp=1_790_000_000)
    assert signature_header(payload, WEBHOOK_SECRET, 1_790_000_000) == expected
    assert signature_header(payload.encode(), WEBHOOK_SECRET, 1_790_000_000) == expected


def test_fake_builds_a_client_and_signs_with_its_own_secret(fake_stripe: FakeStripe, customer: stripe.Customer) -> None:
    assert fake_stripe.client().v1.customers.retrieve(customer.id).id == customer.id
    event = fake_stripe.make_event("customer.updated", fake_stripe.customers[customer.id])
    body, headers = fake_stripe.signed(event)
    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], fake_stripe.webhook_secret)
    assert (verified.id, verified.type) == (event["id"], "customer.updated")
    fake_stripe.set_time(
        int(time.time()) - 400
    )  # the fake's clock signs, so a frozen past clock gives a stale delivery
    body, headers = fake_stripe.signed(event)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], fake_stripe.webhook_secret)


def test_form_decoding_follows_stripe_bracket_nesting() -> None:
    pairs = [("line_items[10][price]", "p10"), ("line_items[2][price]", "p2"), ("line_items[2][quantity]", "1"),
             ("metadata[tenant_id]", "t"), ("expand[]", "a"), ("expand[]", "b")]  # fmt: skip
    assert decode_form(pairs) == {
        "line_items": [{"price": "p2", "quantity": "1"}, {"price": "p10"}],  # in index order, not arrival order
        "metadata": {"tenant_id": "t"},
        "expand": ["a", "b"],
    }


def test_plan_change_swaps_the_subscription_items(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer, prices: Any
) -> None:
    base, metered = prices
    other = fake_stripe.add_price(
        currency="eur", unit_amount="9900", product_data={"name": "Scale plan"}, recurring={"interval": "month"}
    )
    subscription, _ = fake_stripe.create_subscription(customer.id, [base.id, metered.id])
    old_items = subscription["items"]["data"]

    event = fake_stripe.change_subscription_prices(subscription["id"], [other["id"], metered.id])

    assert event["type"] == "customer.subscription.updated"
    assert event["data"]["previous_attributes"]["items"]["data"] == old_items
    assert [item["price"]["id"] for item in event["data"]["object"]["items"]["data"]] == [other["id"], metered.id]
    retrieved = client.v1.subscriptions.retrieve(subscription["id"])
    assert [item.price.id for item in retrieved["items"].data] == [other["id"], metered.id]
    assert [getattr(item, "quantity", None) for item in retrieved["items"].data] == [1, None]


def test_invoices_are_listed_per_customer_newest_first(
    fake_stripe: FakeStripe, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    other = client.v1.customers.create(params={"email": "other@agency.test"})
    older = fake_stripe.add_invoice(customer.id, 4900, status="paid", created=1_700_000_000)
    newer = fake_stripe.add_invoice(customer.id, 24900, status="open", created=1_700_100_000)
    fake_stripe.add_invoice(other.id, 100)

    page = client.v1.invoices.list(params={"customer": customer.id, "limit": 10})

    assert [invoice.id for invoice in page.data] == [newer["id"], older["id"]]
    first = page.data[0]
    assert (first.object, first.status, first.amount_due, first.currency) == ("invoice", "open", 24900, "eur")
    assert first.number
    assert first.number.startswith(customer.invoice_prefix or "")
    assert first.hosted_invoice_url == f"{fake_stripe.url}/i/{newer['id']}"
    assert httpx.get(first.hosted_invoice_url).status_code == 200
    assert client.v1.invoices.list(params={"customer": customer.id, "status": "paid"}).data[0].id == older["id"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.list(params={"customer": "cus_missing"})
