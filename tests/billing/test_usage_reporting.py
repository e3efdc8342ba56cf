"""The usage outbox against the fake Stripe: each ledger row reaches its agency's customer once, whatever happens."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from stripe_fake.server import FakeStripe

from api.billing.backend import RETRYING, SENT, TOO_OLD
from api.billing.meter_events import MeterEventDelivery, meter_event_identifier
from api.billing.metering import UsageEvent
from api.billing.subscriptions import Subscription
from api.billing.usage_reporting import RETRY_BASE, UsageReporter, retry_delay
from tenants.database import Database
from tenants.ids import utcnow
from tests.billing.billing_helpers import (
    Clock,
    add_meters,
    backend_for,
    billed_agency,
    client_for,
    deliveries,
    fake_totals,
    ledger,
    ledger_totals,
    reporter,
)
from tests.billing.billing_helpers import db as db  # the fixture
from tests.conftest import TestDatabase

METER_EVENTS = "/v1/billing/meter_events"


@pytest.fixture
def meters(fake_stripe: FakeStripe) -> dict[str, str]:
    return add_meters(fake_stripe)


async def test_the_ledger_is_sent_in_batches_each_fact_once_with_its_deterministic_identifier(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 230)
    await ledger(db, agency.tenant_id, "mentions_analysed", 20, quantity=3)
    outbox = reporter(db, database, fake_stripe, batch_size=100, concurrency=4)

    first_batch = await outbox.report_tenant(agency.tenant_id)
    summary = await outbox.report_pending()

    assert first_batch == 100
    assert (summary.sent, summary.duplicates, summary.retrying) == (150, 0, 0)
    posted = fake_stripe.requests_to(METER_EVENTS, "POST")
    assert len(posted) == 250
    async with db.tenant_session(agency.tenant_id) as session:
        keys = {row.idempotency_key for row in (await session.scalars(select(UsageEvent))).all()}
    expected = {meter_event_identifier(agency.tenant_id, key) for key in keys}
    assert {request.params["identifier"] for request in posted} == expected
    event = next(request.params for request in posted if request.params["event_name"] == "resonance_mentions_analysed")
    assert event["payload"] == {"stripe_customer_id": agency.customer, "value": "3"}
    rows = await deliveries(db, agency.tenant_id)
    assert len(rows) == 250
    assert {(row.status, row.attempts) for row in rows} == {(SENT, 1)}
    assert all(row.reported_at is not None and row.identifier in expected for row in rows)
    assert fake_totals(fake_stripe, agency.customer or "") == {
        "resonance_syncs": Decimal(230),
        "resonance_mentions_analysed": Decimal(60),
    }


def test_identifiers_are_deterministic_per_agency_and_fact_and_fit_stripes_100_characters() -> None:
    import uuid

    one, two = uuid.uuid4(), uuid.uuid4()
    long_key = "mentions_analysed:" + "x" * 182

    assert meter_event_identifier(one, "sync_run:1") == meter_event_identifier(one, "sync_run:1")
    assert meter_event_identifier(one, "sync_run:1") != meter_event_identifier(two, "sync_run:1")
    assert meter_event_identifier(one, "sync_run:1") != meter_event_identifier(one, "sync_run:2")
    assert len(meter_event_identifier(one, long_key)) <= 100


async def test_a_second_pass_sends_nothing_new(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 7)
    outbox = reporter(db, database, fake_stripe)
    await outbox.report_pending()

    again = await outbox.report_pending()

    assert again.attempted == 0
    assert len(fake_stripe.requests_to(METER_EVENTS, "POST")) == 7
    await ledger(db, agency.tenant_id, "syncs", 9)  # keys 0..6 exist already: two new facts
    assert (await outbox.report_pending()).sent == 2
    assert fake_totals(fake_stripe, agency.customer or "") == {"resonance_syncs": Decimal(9)}


async def test_a_stripe_500_is_retried_after_a_backoff_and_then_counted_once(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    clock = Clock()
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 1)
    # Two answers of 500: the SDK's own immediate retry gets the second, the outbox the rest.
    fake_stripe.fail_next(2, 500, path_prefix=METER_EVENTS)
    outbox = reporter(db, database, fake_stripe, clock)

    first = await outbox.report_pending()
    (row,) = await deliveries(db, agency.tenant_id)
    assert (first.retrying, row.status, row.attempts) == (1, RETRYING, 1)
    assert row.last_error is not None
    assert "500" in row.last_error
    assert row.next_attempt_at is not None
    wait = row.next_attempt_at - clock.now
    assert RETRY_BASE * 0.8 <= wait <= RETRY_BASE * 1.2

    assert (await outbox.report_pending()).attempted == 0  # not due yet
    clock.now = row.next_attempt_at
    second = await outbox.report_pending()

    (row,) = await deliveries(db, agency.tenant_id)
    assert (second.sent, row.status, row.attempts) == (1, SENT, 2)
    assert [r.status for r in fake_stripe.requests_to(METER_EVENTS, "POST")] == [500, 500, 200]
    assert fake_totals(fake_stripe, agency.customer or "") == {"resonance_syncs": Decimal(1)}


def test_the_backoff_doubles_up_to_an_hour() -> None:
    delays = [retry_delay(attempt) for attempt in range(1, 12)]

    assert delays[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert delays[-1] == timedelta(hours=1)
    assert retry_delay(3, 1.2) == timedelta(minutes=2) * 1.2


async def test_a_429_stops_the_batch_until_the_next_pass(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    clock = Clock()
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 5)
    fake_stripe.fail_next(1, 429, path_prefix=METER_EVENTS)
    outbox = reporter(db, database, fake_stripe, clock, concurrency=1)

    first = await outbox.report_pending()

    assert (first.sent, first.retrying) == (0, 5)
    assert len(fake_stripe.requests_to(METER_EVENTS, "POST")) == 1  # the rest were not hammered
    clock.now += timedelta(minutes=2)
    assert (await outbox.report_pending()).sent == 5
    assert fake_totals(fake_stripe, agency.customer or "") == {"resonance_syncs": Decimal(5)}


async def test_an_identifier_stripe_already_has_counts_as_sent(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 2)
    # As if a worker had sent the first fact and died before recording it.
    client_for(database, fake_stripe).v1.billing.meter_events.create(
        params={
            "event_name": "resonance_syncs",
            "payload": {"stripe_customer_id": agency.customer or "", "value": "1"},
            "identifier": meter_event_identifier(agency.tenant_id, "fact:syncs:0"),
        }
    )

    summary = await reporter(db, database, fake_stripe).report_pending()

    assert (summary.sent, summary.duplicates) == (2, 1)
    assert {row.status for row in await deliveries(db, agency.tenant_id)} == {SENT}
    assert fake_totals(fake_stripe, agency.customer or "") == {"resonance_syncs": Decimal(2)}


async def test_the_duplicate_error_with_a_code_counts_as_sent_too(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    fake_stripe.duplicate_identifier_code = "duplicate_meter_event"
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 1)
    outbox = reporter(db, database, fake_stripe)
    await outbox.report_pending()
    async with db.tenant_session(agency.tenant_id) as session:  # forget the record, as a crash would
        await session.execute(delete(MeterEventDelivery))

    summary = await outbox.report_pending()

    assert (summary.sent, summary.duplicates) == (1, 1)
    assert fake_totals(fake_stripe, agency.customer or "") == {"resonance_syncs": Decimal(1)}


async def test_usage_older_than_stripe_accepts_is_marked_too_old_and_logged_without_a_request(
    db: Database,
    database: TestDatabase,
    fake_stripe: FakeStripe,
    meters: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "tracked_accounts", 1, quantity=4, at=utcnow() - timedelta(days=36))
    await ledger(db, agency.tenant_id, "syncs", 1)

    with caplog.at_level(logging.WARNING, logger="resonance.billing"):
        summary = await reporter(db, database, fake_stripe).report_pending()

    assert (summary.sent, summary.too_old) == (1, 1)
    assert [r.params["event_name"] for r in fake_stripe.requests_to(METER_EVENTS, "POST")] == ["resonance_syncs"]
    statuses = {row.status for row in await deliveries(db, agency.tenant_id)}
    assert statuses == {SENT, TOO_OLD}
    (warning,) = [record for record in caplog.records if "too_old" in record.getMessage()]
    assert str(agency.tenant_id) in warning.getMessage()
    assert "tracked_accounts" in warning.getMessage()
    assert "quantity 4" in warning.getMessage()


async def test_stripes_own_too_old_refusal_is_marked_too_old(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 1, at=utcnow() - timedelta(days=34))
    fake_stripe.set_time(int(utcnow().timestamp()) + 2 * 86400)  # Stripe's clock says 36 days

    summary = await reporter(db, database, fake_stripe).report_pending()

    (row,) = await deliveries(db, agency.tenant_id)
    assert (summary.too_old, row.status) == (1, TOO_OLD)
    assert row.last_error is not None
    assert "timestamp_too_far_in_past" in row.last_error
    assert fake_stripe.meter_events == []


async def test_a_refused_event_is_rejected_with_stripes_reason_and_not_sent_again(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 2)
    del fake_stripe.customers[agency.customer or ""]  # the customer was deleted in Stripe's dashboard
    outbox = reporter(db, database, fake_stripe)

    summary = await outbox.report_pending()
    again = await outbox.report_pending()

    assert (summary.rejected, again.attempted) == (2, 0)
    rows = await deliveries(db, agency.tenant_id)
    assert {row.status for row in rows} == {"rejected"}
    assert all(row.last_error and "400 resource_missing" in row.last_error for row in rows)
    assert all(row.last_error and "No such customer" in row.last_error for row in rows)
    assert len(fake_stripe.requests_to(METER_EVENTS, "POST")) == 2


async def test_rejected_usage_put_back_in_line_is_sent_once_the_cause_is_fixed(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    alpha = await billed_agency(db, fake_stripe, "Alpha")
    beta = await billed_agency(db, fake_stripe, "Beta")
    await ledger(db, alpha.tenant_id, "syncs", 2)
    await ledger(db, beta.tenant_id, "syncs", 3)
    customers = {agency.customer or "": fake_stripe.customers.pop(agency.customer or "") for agency in (alpha, beta)}
    outbox = reporter(db, database, fake_stripe)
    assert (await outbox.report_pending()).rejected == 5
    fake_stripe.customers.update(customers)  # the operator restored the customers in Stripe

    assert await outbox.retry_rejected(alpha.tenant_id) == 2  # one agency: the other's rows stay rejected
    first = await outbox.report_pending()
    assert await outbox.retry_rejected() == 3
    second = await outbox.report_pending()

    assert (first.sent, second.sent) == (2, 3)
    assert await outbox.retry_rejected() == 0
    assert {row.status for row in await deliveries(db, alpha.tenant_id)} == {"sent"}
    assert {row.status for row in await deliveries(db, beta.tenant_id)} == {"sent"}
    assert fake_totals(fake_stripe, alpha.customer or "") == {"resonance_syncs": Decimal(2)}
    assert fake_totals(fake_stripe, beta.customer or "") == {"resonance_syncs": Decimal(3)}


async def test_a_refused_api_key_keeps_the_usage_for_later_and_keeps_no_key(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    agency = await billed_agency(db, fake_stripe, "Alpha")
    await ledger(db, agency.tenant_id, "syncs", 1)
    outbox = UsageReporter(db, backend_for(database, fake_stripe))
    fake_stripe.api_key = "sk_test_rotated_" + "z" * 20  # Stripe no longer takes the configured key

    summary = await outbox.report_pending()

    (row,) = await deliveries(db, agency.tenant_id)
    assert (summary.retrying, row.status) == (1, RETRYING)
    assert row.last_error is not None
    assert "RESONANCE_STRIPE_API_KEY" in row.last_error
    assert "sk_test" not in row.last_error


async def test_one_agencys_failure_does_not_block_another(
    db: Database,
    database: TestDatabase,
    fake_stripe: FakeStripe,
    meters: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = await billed_agency(db, fake_stripe, "Broken")
    healthy = await billed_agency(db, fake_stripe, "Healthy")
    await ledger(db, broken.tenant_id, "syncs", 3)
    await ledger(db, healthy.tenant_id, "syncs", 4)
    outbox = reporter(db, database, fake_stripe)
    send = outbox._send

    async def failing_for_one(tenant_id, customer, row):  # type: ignore[no-untyped-def]
        if tenant_id == broken.tenant_id:
            raise RuntimeError("boom")
        return await send(tenant_id, customer, row)

    monkeypatch.setattr(outbox, "_send", failing_for_one)
    summary = await outbox.report_pending()

    assert summary.failed_tenants == {broken.tenant_id}
    assert summary.sent == 4
    assert fake_totals(fake_stripe, healthy.customer or "") == {"resonance_syncs": Decimal(4)}
    assert fake_totals(fake_stripe, broken.customer or "") == {}
    # The broken agency's claimed rows are leased, then sent once the lease runs out.
    monkeypatch.setattr(outbox, "_send", send)
    outbox.clock = lambda: utcnow() + timedelta(minutes=3)
    assert (await outbox.report_pending()).sent == 3
    assert fake_totals(fake_stripe, broken.customer or "") == {"resonance_syncs": Decimal(3)}


async def test_each_agencys_usage_goes_to_its_own_customer_only_and_without_one_it_waits(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe, meters: dict[str, str]
) -> None:
    alpha = await billed_agency(db, fake_stripe, "Alpha")
    beta = await billed_agency(db, fake_stripe, "Beta")
    gamma = await billed_agency(db, fake_stripe, "Gamma", customer=False)
    await ledger(db, alpha.tenant_id, "syncs", 3)
    await ledger(db, alpha.tenant_id, "tracked_accounts", 2)
    await ledger(db, beta.tenant_id, "syncs", 5)  # the same keys as Alpha's: another agency's facts
    await ledger(db, gamma.tenant_id, "syncs", 6)
    outbox = reporter(db, database, fake_stripe)

    await outbox.report_pending()

    assert fake_totals(fake_stripe, alpha.customer or "") == await ledger_totals(db, alpha.tenant_id)
    assert fake_totals(fake_stripe, beta.customer or "") == await ledger_totals(db, beta.tenant_id)
    assert len(fake_stripe.meter_events) == 10  # Gamma has no customer: nothing of it was sent
    assert await deliveries(db, gamma.tenant_id) == []
    for agency in (alpha, beta):
        for row in await deliveries(db, agency.tenant_id):
            sent = next(e for e in fake_stripe.meter_events if e["identifier"] == row.identifier)
            assert sent["_customer"] == agency.customer

    gamma_customer = fake_stripe.add_customer(name="Gamma")["id"]  # checkout gave Gamma its customer
    async with db.tenant_session(gamma.tenant_id) as session:
        session.add(Subscription(plan="starter", stripe_customer_id=gamma_customer))
    assert (await outbox.report_pending()).sent == 6
    assert fake_totals(fake_stripe, gamma_customer) == {"resonance_syncs": Decimal(6)}
