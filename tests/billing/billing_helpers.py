"""Agencies with a Stripe customer in the fake Stripe, ledger rows, and a reporter pointed at the fake."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import stripe
from sqlalchemy import select
from stripe_fake.server import FakeStripe

from api.billing.meter_events import MeterEventDelivery
from api.billing.metering import UsageEvent, record_usage
from api.billing.stripe_backend import METER_EVENT_NAMES, StripeBackend
from api.billing.subscriptions import Subscription
from api.billing.usage_reporting import UsageReporter
from tenants.audit import SYSTEM
from tenants.database import Database
from tenants.ids import utcnow
from tenants.signup import create_tenant
from tests.conftest import TestDatabase, make_settings


@dataclass
class BilledAgency:
    tenant_id: uuid.UUID
    customer: str | None


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[Database]:
    """The service's database object over the test database, disposed after the test."""
    db = Database(database.url)
    yield db
    await db.dispose()


def add_meters(fake: FakeStripe) -> dict[str, str]:
    """One Stripe meter (sum) per ledger meter; returns meter id by event name."""
    return {name: fake.add_meter(name)["id"] for name in METER_EVENT_NAMES.values()}


async def billed_agency(db: Database, fake: FakeStripe, name: str, *, customer: bool = True) -> BilledAgency:
    """An agency, with a customer created in the fake and stored in its subscription row when `customer`."""
    tenant, _key, _secret = await create_tenant(
        db, agency_name=name, email=f"owner@{name.lower().replace(' ', '')}.example", actor=SYSTEM
    )
    customer_id = None
    if customer:
        customer_id = fake.add_customer(name=name, metadata={"tenant_id": str(tenant.id)})["id"]
        async with db.tenant_session(tenant.id) as session:
            session.add(Subscription(plan="starter", stripe_customer_id=customer_id))
    return BilledAgency(tenant_id=tenant.id, customer=customer_id)


async def ledger(
    db: Database, tenant_id: uuid.UUID, meter: str, count: int, *, quantity: int = 1, at: datetime | None = None,
    prefix: str = "fact",
) -> None:  # fmt: skip
    """`count` facts of `meter` (keys `<prefix>:<meter>:<n>`)."""
    async with db.tenant_session(tenant_id) as session:
        for n in range(count):
            await record_usage(
                session, meter=meter, quantity=quantity, key=f"{prefix}:{meter}:{n}", occurred_at=at or utcnow()
            )


def backend_for(database: TestDatabase, fake: FakeStripe) -> StripeBackend:
    """The billing backend the app builds from its settings, pointed at the fake."""
    return StripeBackend(make_settings(database, stripe_api_key=fake.api_key, stripe_api_base=fake.url))


def client_for(database: TestDatabase, fake: FakeStripe) -> stripe.StripeClient:
    """The backend's client for meter events (the SDK retries once), to send as another worker would."""
    return backend_for(database, fake).usage_client


def reporter(
    db: Database, database: TestDatabase, fake: FakeStripe, clock: Callable[[], datetime] | None = None, **kw: Any
) -> UsageReporter:
    return UsageReporter(db, backend_for(database, fake), clock=clock or utcnow, **kw)


async def deliveries(db: Database, tenant_id: uuid.UUID) -> list[MeterEventDelivery]:
    async with db.tenant_session(tenant_id) as session:
        return list((await session.scalars(select(MeterEventDelivery))).all())


async def ledger_totals(db: Database, tenant_id: uuid.UUID) -> dict[str, Decimal]:
    """Ledger quantity per Stripe event name."""
    async with db.tenant_session(tenant_id) as session:
        rows = (await session.scalars(select(UsageEvent))).all()
    totals: dict[str, Decimal] = {}
    for row in rows:
        name = METER_EVENT_NAMES[row.meter]
        totals[name] = totals.get(name, Decimal(0)) + row.quantity
    return totals


def fake_totals(fake: FakeStripe, customer: str) -> dict[str, Decimal]:
    return {name: total for (who, name), total in fake.meter_totals().items() if who == customer}
