"""pytest plugin: the `fake_stripe` fixture (a fake Stripe API server on 127.0.0.1, one per test).

Other test folders enable it with `pytest_plugins = ["stripe_fake.plugin"]` in a test module, or by importing
the fixture into their conftest: `from stripe_fake.plugin import fake_stripe  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripe_fake.server import FakeStripe, running_fake


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A started fake Stripe: `.url` (give it to `StripeClient(base_addresses={"api": ...})`), `.api_key`, and the
    inspection helpers of `FakeStripe` (meter events and totals, request log, `fail_next`, `set_time`, ...)."""
    yield from running_fake()
