"""Deciding what a Stripe event does to an agency's subscription row, without a database or a server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from api.billing.plans import Plan
from api.billing.stripe_events import (
    MalformedEvent,
    apply_state,
    current_subscription,
    decide,
    decide_checkout,
    parse_event,
    subscription_state,
)
from api.billing.subscriptions import LOCAL, Subscription

PLANS = {
    plan_id: Plan(
        id=plan_id,
        name=plan_id.title(),
        price=Decimal("1"),
        currency="eur",
        quotas={},
        stripe_price=price,
        stripe_metered_prices={"syncs": "price_syncs"} if price else {},
    )
    for plan_id, price in (("starter", "price_starter"), ("agency", "price_agency"), ("scale", None))
}
T = 1_790_000_000


def subscription(
    status: str = "active", prices: tuple[str, ...] = ("price_starter", "price_syncs"), **fields: Any
) -> dict[str, Any]:
    """A subscription object in the current API version's shape (the period on the items)."""
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "created": T,
        "cancel_at_period_end": False,
        "metadata": {},
        "items": {
            "object": "list",
            "data": [
                {"id": f"si_{n}", "price": {"id": price}, "current_period_end": T + 1000 * (n + 1)}
                for n, price in enumerate(prices)
            ],
        },
        **fields,
    }


def row(**fields: Any) -> Subscription:
    values: dict[str, Any] = {"tenant_id": uuid.uuid4(), "plan": "starter", "status": LOCAL, "stripe_state_at": 0}
    values.update(fields)
    return Subscription(**values)


def state(status: str = "active", **fields: Any) -> Any:
    return subscription_state(subscription(status, **fields), PLANS)


def test_the_plan_comes_from_the_base_price_else_from_the_metadata() -> None:
    assert state(prices=("price_syncs", "price_agency")).plan == "agency"
    assert state(prices=("price_syncs",), metadata={"plan": "agency"}).plan == "agency"
    assert state(prices=("price_unknown",), metadata={"plan": "platinum"}).plan is None
    assert state(prices=("price_agency",), metadata={"plan": "starter"}).plan == "agency"  # the price is what is paid


def test_the_period_end_is_the_base_items_or_the_subscriptions_own() -> None:
    # Items: the base price's item (the first here), not the metered one's.
    assert state().current_period_end == datetime.fromtimestamp(T + 1000, UTC)
    # No known plan: the latest item's.
    assert state(prices=("price_x", "price_y")).current_period_end == datetime.fromtimestamp(T + 2000, UTC)
    # API versions before 2025-03-31 put it on the subscription.
    assert state(current_period_end=T + 5).current_period_end == datetime.fromtimestamp(T + 5, UTC)


def test_a_subscription_without_id_or_status_is_malformed() -> None:
    with pytest.raises(MalformedEvent):
        subscription_state({"id": "sub_1"}, PLANS)
    with pytest.raises(MalformedEvent):
        parse_event({"object": "event", "id": "evt_1", "type": "x", "created": "yesterday", "data": {"object": {}}})
    with pytest.raises(MalformedEvent):
        parse_event([1, 2])
    event = parse_event({"object": "event", "id": "evt_1", "type": "x", "created": T, "data": {"object": {"a": 1}}})
    assert (event.id, event.type, event.created, event.object) == ("evt_1", "x", T, {"a": 1})


def test_an_older_event_about_the_stored_subscription_is_outdated() -> None:
    stored = row(stripe_subscription_id="sub_1", status="past_due", stripe_state_at=T + 10)
    assert decide(stored, state("active"), T + 5, authoritative=False).outcome == "outdated"
    assert decide(stored, state("active"), T + 11, authoritative=False).outcome == "applied"


def test_the_same_second_with_another_state_asks_stripe_unless_it_cannot() -> None:
    stored = row(stripe_subscription_id="sub_1", status="past_due", stripe_state_at=T)
    assert decide(stored, state("active"), T, authoritative=False).outcome == "ask_stripe"
    assert decide(stored, state("active"), T, authoritative=False, can_ask=False).outcome == "applied"
    assert decide(stored, state("active"), T, authoritative=True).outcome == "applied"
    same = row(
        stripe_subscription_id="sub_1",
        status="active",
        stripe_state_at=T,
        current_period_end=datetime.fromtimestamp(T + 1000, UTC),
    )
    assert decide(same, state("active"), T, authoritative=False).outcome == "applied"  # agrees: nothing to ask


@pytest.mark.parametrize("final", ["canceled", "incomplete_expired"])
def test_a_final_status_is_never_left(final: str) -> None:
    stored = row(stripe_subscription_id="sub_1", status=final, stripe_state_at=T)
    for authoritative in (False, True):
        assert decide(stored, state("active"), T + 100, authoritative=authoritative).outcome == "ignored"


def test_another_subscription_than_the_stored_one_asks_stripe() -> None:
    stored = row(stripe_subscription_id="sub_0", status="canceled", stripe_state_at=T + 50)
    assert decide(stored, state("active"), T, authoritative=False).outcome == "ask_stripe"
    assert decide(stored, state("active"), T, authoritative=True).outcome == "applied"
    # Without an API key: a live subscription follows an ended one, if it is not older.
    assert decide(stored, state("active"), T + 60, authoritative=False, can_ask=False).outcome == "applied"
    assert decide(stored, state("active"), T, authoritative=False, can_ask=False).outcome == "ignored"
    live = row(stripe_subscription_id="sub_0", status="active", stripe_state_at=T)
    assert decide(live, state("active"), T + 60, authoritative=False, can_ask=False).outcome == "ignored"
    assert decide(row(), state("active"), T, authoritative=False).outcome == "applied"  # the first one


def test_a_checkout_links_its_subscription_through_stripe() -> None:
    session = {"id": "cs_1", "subscription": "sub_1", "customer": "cus_1"}
    assert decide_checkout(row(), session).outcome == "ask_stripe"
    assert decide_checkout(row(), session, can_ask=False).outcome == "ignored"
    assert decide_checkout(row(stripe_subscription_id="sub_1", status="active"), session).outcome == "applied"
    assert decide_checkout(row(), {"id": "cs_2", "subscription": None}).outcome == "ignored"


def test_past_due_since_is_the_first_past_due_events_time_and_cleared_after() -> None:
    stored = row()
    apply_state(stored, state("past_due"), T)
    assert (stored.status, stored.past_due_since, stored.stripe_state_at) == (
        "past_due",
        datetime.fromtimestamp(T, UTC),
        T,
    )
    apply_state(stored, state("past_due", cancel_at_period_end=True), T + 60)
    assert stored.past_due_since == datetime.fromtimestamp(T, UTC)  # still the first one
    assert stored.cancel_at_period_end
    apply_state(stored, state("active"), T + 120)
    assert (stored.status, stored.past_due_since, stored.plan) == ("active", None, "starter")


def test_a_state_without_a_known_plan_keeps_the_plan_and_an_older_time_never_lowers_the_mark() -> None:
    stored = row(plan="agency", stripe_state_at=T + 100)
    apply_state(stored, state("active", prices=("price_unknown",)), T)
    assert (stored.plan, stored.stripe_subscription_id, stored.stripe_state_at) == ("agency", "sub_1", T + 100)


def test_the_current_subscription_is_the_newest_live_one() -> None:
    old_live = subscription("past_due", id="sub_a", created=T)
    new_live = subscription("active", id="sub_b", created=T + 10)
    newest_ended = subscription("canceled", id="sub_c", created=T + 20)
    assert current_subscription([old_live, new_live, newest_ended]) == new_live
    assert current_subscription([newest_ended, old_live]) == old_live
    assert current_subscription([subscription("canceled", id="sub_d", created=T), newest_ended]) == newest_ended
    assert current_subscription([]) is None
