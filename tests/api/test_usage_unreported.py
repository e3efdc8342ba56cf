"""GET /v1/usage tells the agency which of its usage Stripe will never count, and why."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from stripe_fake.server import FakeStripe, running_fake

from api.app import create_app
from api.billing.subscriptions import Subscription
from api.billing.usage_reporting import UsageReporter
from tenants.database import Database
from tenants.ids import utcnow
from tests.billing.billing_helpers import add_meters, backend_for, ledger
from tests.conftest import Agency, TestDatabase, make_settings, sign_up


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    yield from running_fake()


def test_usage_too_old_for_stripe_is_listed_as_unreported_for_its_agency_only(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase, fake: FakeStripe
) -> None:
    add_meters(fake)
    tenant_id = uuid.UUID(agency.tenant_id)
    old = utcnow() - timedelta(days=40)
    db: Database = client.app.state.services.database

    async def seed_and_report() -> None:
        customer = fake.add_customer(name="Agency Alpha")["id"]
        async with db.tenant_session(tenant_id) as session:
            session.add(Subscription(plan="starter", stripe_customer_id=customer))
        await ledger(db, tenant_id, "tracked_accounts", 3, quantity=1, at=old)
        await ledger(db, tenant_id, "syncs", 2, prefix="recent")
        await UsageReporter(db, backend_for(database, fake)).report_pending()

    with client.portal() as portal:
        portal.call(seed_and_report)

    then = client.get("/v1/usage", params={"period": f"{old:%Y-%m}"}, headers=agency.headers)
    now = client.get("/v1/usage", headers=agency.headers)
    other = client.get("/v1/usage", params={"period": f"{old:%Y-%m}"}, headers=other_agency.headers)

    assert then.status_code == 200, then.text
    assert then.json()["unreported"] == [{"meter": "tracked_accounts", "status": "too_old", "events": 3, "quantity": 3}]
    assert now.json()["unreported"] == []  # this month's usage reached Stripe
    assert other.json()["unreported"] == []


def test_the_app_reports_usage_in_the_background_when_stripe_is_configured(
    database: TestDatabase, fake: FakeStripe
) -> None:
    add_meters(fake)
    settings = make_settings(
        database,
        scheduler_enabled=True,
        stripe_api_key=fake.api_key,
        stripe_api_base=fake.url,
        dispatch_seconds=1,
    )
    with TestClient(create_app(settings)) as test_client:
        alpha = sign_up(test_client, "Agency Alpha")
        db: Database = test_client.app.state.services.database
        tenant_id = uuid.UUID(alpha.tenant_id)
        customer = fake.add_customer(name="Agency Alpha")["id"]

        async def seed() -> None:
            async with db.tenant_session(tenant_id) as session:
                session.add(Subscription(plan="starter", stripe_customer_id=customer))
            await ledger(db, tenant_id, "syncs", 4)

        with test_client.portal() as portal:
            portal.call(seed)
        deadline = time.monotonic() + 10
        while fake.total(customer, "resonance_syncs") < 4:
            assert time.monotonic() < deadline, "the background reporter sent nothing"
            time.sleep(0.05)

    assert len(fake.meter_events) == 4
