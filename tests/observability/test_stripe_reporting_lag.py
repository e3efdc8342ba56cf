"""The Stripe reporting lag and outcome counts the usage reporter records after each pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from stripe_fake.server import FakeStripe

from tenants.database import Database
from tests.billing.billing_helpers import Clock, add_meters, billed_agency, ledger, reporter
from tests.billing.billing_helpers import db as db  # the fixture
from tests.conftest import TestDatabase

METER_EVENTS = "/v1/billing/meter_events"


def lag() -> float | None:
    return REGISTRY.get_sample_value("resonance_stripe_reporting_lag_seconds")


def events(outcome: str) -> float:
    return REGISTRY.get_sample_value("resonance_stripe_usage_events_total", {"outcome": outcome}) or 0.0


async def test_the_lag_is_the_age_of_the_oldest_usage_stripe_has_not_taken_then_zero(
    db: Database, database: TestDatabase, fake_stripe: FakeStripe
) -> None:
    add_meters(fake_stripe)
    clock = Clock()
    agency = await billed_agency(db, fake_stripe, "Lagging")
    await ledger(db, agency.tenant_id, "syncs", 3, at=clock.now - timedelta(minutes=10))
    sent_before, retrying_before = events("sent"), events("retrying")
    fake_stripe.fail_next(6, 500, path_prefix=METER_EVENTS)  # each send and the SDK's own retry of it
    outbox = reporter(db, database, fake_stripe, clock)

    first = await outbox.report_pending()

    assert first.retrying == 3
    assert lag() == pytest.approx(600, abs=1)
    assert events("retrying") == retrying_before + 3

    clock.now += timedelta(hours=2)  # every retry is due, and the usage two hours older
    second = await outbox.report_pending()

    assert second.sent == 3
    assert lag() == 0
    assert events("sent") == sent_before + 3
