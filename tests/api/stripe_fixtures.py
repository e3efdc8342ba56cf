"""Fixtures of the tests of Stripe billing: the test plans priced in the fake Stripe, an app selling them, an agency.

A test module loads them, and the fake's `fake_stripe`, with
`pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]` (and never imports this module itself, so that
pytest can rewrite its asserts).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from stripe_fake import FakeStripe

from tests.api.stripe_billing import PricedPlans, price_plans, stripe_client_app
from tests.conftest import Agency, TestDatabase, sign_up


@pytest.fixture
def priced(fake_stripe: FakeStripe) -> PricedPlans:
    """The test plans priced in the fake Stripe."""
    return price_plans(fake_stripe)


@pytest.fixture
def billing(database: TestDatabase, fake_stripe: FakeStripe, priced: PricedPlans) -> Iterator[TestClient[Litestar]]:
    """A client of an app selling the priced plans through the fake Stripe."""
    with stripe_client_app(database, fake_stripe, priced) as client:
        yield client


@pytest.fixture
def alpha(billing: TestClient[Litestar]) -> Agency:
    """An agency signed up on `billing`."""
    return sign_up(billing, "Agency Alpha")
