"""The billing backend chosen from the settings: Stripe with an API key, else local mode, which sells nothing,
lists no invoices and keeps the usage in the ledger."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from litestar.testing import TestClient
from stripe_fake.server import FakeStripe

from api.app import create_app
from api.billing.backend import BillingLocalMode, LocalBackend
from api.billing.stripe_backend import StripeBackend
from api.billing.usage_reporting import UsageReporter
from tenants.database import Database
from tests.billing.billing_helpers import add_meters, billed_agency, deliveries, ledger
from tests.conftest import TestDatabase, make_settings


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[Database]:
    db = Database(database.url)
    yield db
    await db.dispose()


def test_the_backend_is_stripe_with_an_api_key_and_local_without(
    database: TestDatabase, fake_stripe: FakeStripe
) -> None:
    with TestClient(create_app(make_settings(database))) as client:
        assert isinstance(client.app.state.services.billing, LocalBackend)
        assert client.app.state.services.billing.online is False
    settings = make_settings(database, stripe_api_key=fake_stripe.api_key, stripe_api_base=fake_stripe.url)
    with TestClient(create_app(settings)) as client:
        assert isinstance(client.app.state.services.billing, StripeBackend)
        assert client.app.state.services.billing.online is True


async def test_local_mode_sells_nothing_and_lists_no_invoices() -> None:
    local = LocalBackend()

    with pytest.raises(BillingLocalMode):
        local.ensure_online()
    with pytest.raises(BillingLocalMode):
        await local.create_customer(uuid.uuid4(), "Alpha")
    with pytest.raises(BillingLocalMode):
        await local.create_portal_session("cus_1", return_url="https://agency.example/back")
    assert await local.list_invoices("cus_1", limit=12) == []
    assert await local.customer_subscriptions("cus_1") == []
    assert await local.usage_meters() == {}


async def test_in_local_mode_usage_stays_in_the_ledger_even_for_an_agency_with_a_stripe_customer(
    db: Database, fake_stripe: FakeStripe
) -> None:
    add_meters(fake_stripe)
    agency = await billed_agency(db, fake_stripe, "Alpha")  # a customer from when the server had a Stripe key
    await ledger(db, agency.tenant_id, "syncs", 3)

    summary = await UsageReporter(db, LocalBackend()).report_pending()

    assert summary.attempted == 0
    assert await deliveries(db, agency.tenant_id) == []  # waiting, as if never tried
    assert fake_stripe.meter_events == []
