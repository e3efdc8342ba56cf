"""pytest plugin: the `fake_stripe` fixture (a fake Stripe API server on 127.0.0.1, a fresh one per test).

Enable it in another test folder either way:
- in a test module: `pytest_plugins = ["stripe_fake.plugin"]`;
- in that folder's conftest.py: `from stripe_fake.plugin import fake_stripe  # noqa: F401`.
(`stripe_fake` is importable because tests/ is on sys.path: tests/conftest.py is the rootdir conftest.)
For a wider scope, write your own fixture around `stripe_fake.server.running_fake()`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripe_fake.server import FakeStripe, running_fake


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A started fake Stripe: `.url` (for `StripeClient(key, base_addresses={"api": url})`), `.api_key`,
    `.webhook_secret`, `.client()`, `.signed(event)` and the inspection helpers of `FakeStripe` (meter events
    and totals, request log, `fail_next`, `set_time`/`advance`, subscriptions and their webhook events)."""
    yield from running_fake()
