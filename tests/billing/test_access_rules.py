"""What a subscription status allows: full access, a grace period when a payment is late, then read-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.billing.subscriptions import access_of

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GRACE = timedelta(days=7)


@pytest.mark.parametrize("status", ["local", "trialing", "active", "incomplete"])
def test_local_trialing_active_and_confirming_agencies_have_full_access(status: str) -> None:
    access = access_of(status, None, GRACE, NOW)

    assert access.writable
    assert access.reason is None
    assert access.read_only_from is None


def test_a_late_payment_keeps_full_access_through_the_grace_period_and_says_until_when() -> None:
    since = NOW - timedelta(days=6, hours=23)

    access = access_of("past_due", since, GRACE, NOW)

    assert access.writable
    assert access.read_only_from == since + GRACE


def test_after_the_grace_period_a_late_payment_makes_the_agency_read_only() -> None:
    access = access_of("past_due", NOW - GRACE, GRACE, NOW)

    assert not access.writable
    assert access.reason is not None
    assert "portal-session" in access.reason


@pytest.mark.parametrize("status", ["canceled", "unpaid", "incomplete_expired", "paused"])
def test_ended_or_unpaid_subscriptions_are_read_only_with_the_data_kept(status: str) -> None:
    access = access_of(status, None, GRACE, NOW)

    assert not access.writable
    assert access.reason is not None
    assert "read" in access.reason
    assert "export" in access.reason
