"""Stripe's webhook events applied to an agency's `Subscription` row: once each, whatever the delivery order.

Stripe delivers an event at least once and in no guaranteed order, so:
- each event is recorded (`StripeEvent`, keyed on its id) in the transaction of its effect: a second
  delivery finds it and changes nothing;
- the stored state remembers the `created` time (Unix seconds) of the event that gave it: an older event
  about the same subscription is recorded and otherwise ignored;
- `canceled` and `incomplete_expired` are final for a subscription id: nothing later changes them;
- when the event alone cannot settle it (two events in the same second disagreeing, an event about a
  subscription other than the stored one, a completed Checkout), the caller asks Stripe for the customer's
  subscriptions as they are now (`current_subscription`) and applies that, as Stripe's docs advise.

Deciding is pure (`decide`, `decide_checkout`, `apply_state`); `apply_event` runs it in a tenant transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.billing.plans import Plan
from api.billing.subscriptions import StripeEvent, Subscription
from tenants.ids import utcnow

SUBSCRIPTION_EVENTS: Final = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
    }
)
CHECKOUT_COMPLETED: Final = "checkout.session.completed"
HANDLED_EVENTS: Final = SUBSCRIPTION_EVENTS | {CHECKOUT_COMPLETED}
"""The event types the webhook endpoint acts on; enable these on the Stripe webhook endpoint."""
FINAL_STATUSES: Final = frozenset({"canceled", "incomplete_expired"})
"""Statuses a Stripe subscription never leaves."""

Outcome = Literal["applied", "duplicate", "outdated", "ignored", "ask_stripe"]


class MalformedEvent(ValueError):
    """The payload is not a Stripe event of the shape expected for its type."""


@dataclass(frozen=True)
class Event:
    """The parts of a Stripe event the webhook reads."""

    id: str
    type: str
    created: int
    object: Mapping[str, Any]


@dataclass(frozen=True)
class SubscriptionState:
    """A Stripe subscription as the agency's row stores it."""

    id: str
    customer: str | None
    status: str
    plan: str | None
    """The configured plan its prices (or its metadata) name; None when none matches."""
    current_period_end: datetime | None
    cancel_at_period_end: bool
    created: int
    tenant_hint: str | None
    """The `tenant_id` in its metadata, set at checkout (None when absent)."""


@dataclass(frozen=True)
class EventDecision:
    """What an event does to the row, and why (a sentence for logs and the webhook's answer)."""

    outcome: Outcome
    reason: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def object_id(value: Any) -> str | None:
    """The id of a field Stripe sends either as an id or, expanded, as an object with an id."""
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def parse_event(payload: Any) -> Event:
    """The event's id, type, time and object, or `MalformedEvent` naming what is missing."""
    if not isinstance(payload, Mapping) or payload.get("object") != "event":
        raise MalformedEvent("the body is not a Stripe event object")
    event_id, event_type, created = payload.get("id"), payload.get("type"), payload.get("created")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 100:
        raise MalformedEvent("the event has no valid id")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 100:
        raise MalformedEvent("the event has no valid type")
    if isinstance(created, bool) or not isinstance(created, int) or created < 0:
        raise MalformedEvent("the event has no valid created time")
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        raise MalformedEvent("the event has no data.object")
    return Event(id=event_id, type=event_type, created=created, object=obj)


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, UTC)


def _price_ids(item: Mapping[str, Any]) -> str | None:
    return object_id(item.get("price"))


def subscription_state(obj: Mapping[str, Any], plans: Mapping[str, Plan]) -> SubscriptionState:
    """A subscription object (from an event or the API) as stored state, or `MalformedEvent`.

    The plan is the configured plan whose `stripe_price` is among the subscription's items (a plan change in
    the portal swaps that price), else the `plan` of its metadata (set at checkout) when it names a plan.
    The period end is the subscription's own `current_period_end` in API versions that have it, else (since
    2025-03-31, the version in use) its items': the base price's item, or the latest.
    """
    sub_id, status = _text(obj.get("id")), _text(obj.get("status"))
    if sub_id is None or status is None:
        raise MalformedEvent("the subscription has no id or status")
    items_list = obj.get("items")
    raw_items = items_list.get("data") if isinstance(items_list, Mapping) else None
    items = [item for item in raw_items or [] if isinstance(item, Mapping)]
    prices = [price for price in map(_price_ids, items) if price]
    raw_metadata = obj.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
    plan = next((plan for plan in plans.values() if plan.stripe_price and plan.stripe_price in prices), None)
    named = _text(metadata.get("plan"))
    if plan is None and named is not None:
        plan = plans.get(named)
    period_end = _timestamp(obj.get("current_period_end"))
    if period_end is None:
        base = [item for item in items if plan is not None and _price_ids(item) == plan.stripe_price]
        ends = [end for end in (_timestamp(item.get("current_period_end")) for item in base or items) if end]
        period_end = max(ends) if ends else None
    created = obj.get("created")
    return SubscriptionState(
        id=sub_id,
        customer=object_id(obj.get("customer")),
        status=status,
        plan=plan.id if plan else None,
        current_period_end=period_end,
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        created=created if isinstance(created, int) and not isinstance(created, bool) else 0,
        tenant_hint=_text(metadata.get("tenant_id")),
    )


def current_subscription(subscriptions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Of a customer's subscriptions (all statuses), the one that governs the agency now.

    A live one (any status but canceled or incomplete_expired) before an ended one; among those, the most
    recently created (ties broken on the id, so every process picks the same).
    """
    if not subscriptions:
        return None

    def rank(subscription: Mapping[str, Any]) -> tuple[bool, int, str]:
        created = subscription.get("created")
        return (
            subscription.get("status") not in FINAL_STATUSES,
            created if isinstance(created, int) else 0,
            str(subscription.get("id")),
        )

    return max(subscriptions, key=rank)


def _same_state(row: Subscription, state: SubscriptionState) -> bool:
    return (
        row.stripe_subscription_id == state.id
        and row.status == state.status
        and (state.plan is None or row.plan == state.plan)
        and row.current_period_end == state.current_period_end
        and row.cancel_at_period_end == state.cancel_at_period_end
    )


def decide(
    row: Subscription, state: SubscriptionState, at: int, *, authoritative: bool, can_ask: bool = True
) -> EventDecision:
    """Whether `state` (from an event created at `at`) replaces the row's state.

    `authoritative`: the state was just read from Stripe's API (it is current, whatever the event's time).
    `can_ask`: Stripe can be asked (an API key is set); without it a doubt is settled by the event alone.
    """
    stored = row.stripe_subscription_id
    if stored == state.id:
        if row.status in FINAL_STATUSES:
            return EventDecision("ignored", f"subscription {state.id} is {row.status}, which is final")
        if authoritative:
            return EventDecision("applied", f"subscription {state.id} is {state.status} (read from Stripe)")
        if at < row.stripe_state_at:
            return EventDecision("outdated", f"the stored state of subscription {state.id} is newer than this event")
        if at == row.stripe_state_at and not _same_state(row, state) and can_ask:
            return EventDecision("ask_stripe", "another event of the same second gave another state")
        return EventDecision("applied", f"subscription {state.id} is {state.status}")
    if authoritative:
        return EventDecision("applied", f"subscription {state.id} ({state.status}) is the customer's current one")
    if stored is None:
        if at < row.stripe_state_at:
            return EventDecision("outdated", "the stored state is newer than this event")
        return EventDecision("applied", f"subscription {state.id} is {state.status}")
    if can_ask:
        return EventDecision("ask_stripe", f"the event is about subscription {state.id}, the agency's is {stored}")
    if row.status in FINAL_STATUSES and state.status not in FINAL_STATUSES and at >= row.stripe_state_at:
        return EventDecision("applied", f"subscription {state.id} ({state.status}) follows the ended {stored}")
    return EventDecision("ignored", f"the event is about subscription {state.id}, the agency's is {stored}")


def decide_checkout(row: Subscription, session: Mapping[str, Any], *, can_ask: bool = True) -> EventDecision:
    """A completed Checkout Session links its subscription: Stripe is asked for it unless it is the stored one.

    Without an API key, the subscription's own `customer.subscription.*` events set the state.
    """
    subscription = object_id(session.get("subscription"))
    if subscription is None:
        return EventDecision("ignored", "the Checkout Session has no subscription")
    if row.stripe_subscription_id == subscription:
        return EventDecision("applied", f"subscription {subscription} is already linked")
    if not can_ask:
        return EventDecision("ignored", "no Stripe API key to read the new subscription; its own events will set it")
    return EventDecision("ask_stripe", f"the Checkout Session created subscription {subscription}")


def apply_state(row: Subscription, state: SubscriptionState, at: int) -> None:
    """Write `state` (given by an event created at `at`) on the row.

    `past_due_since` is the time of the event that first reported `past_due` (the grace period runs from
    it) and is cleared when the subscription leaves `past_due`. A state without a known plan keeps the plan.
    `updated_at` moves only when something does.
    """
    before = _snapshot(row)
    if state.status == "past_due":
        still = row.stripe_subscription_id == state.id and row.status == "past_due" and row.past_due_since
        if not still:
            row.past_due_since = datetime.fromtimestamp(at, UTC)
    else:
        row.past_due_since = None
    row.stripe_subscription_id = state.id
    row.status = state.status
    if state.plan is not None:
        row.plan = state.plan
    row.current_period_end = state.current_period_end
    row.cancel_at_period_end = state.cancel_at_period_end
    row.stripe_state_at = max(row.stripe_state_at, at)
    if _snapshot(row) != before:
        row.updated_at = utcnow()


def _snapshot(row: Subscription) -> tuple[Any, ...]:
    return (
        row.stripe_subscription_id,
        row.status,
        row.plan,
        row.current_period_end,
        row.cancel_at_period_end,
        row.past_due_since,
        row.stripe_state_at,
    )


class AskStripe(Exception):
    """The event cannot be settled alone: the transaction is rolled back and Stripe is asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _record(session: AsyncSession, tenant_id: uuid.UUID, event: Event) -> bool:
    """Insert the event's `StripeEvent`; False when it is already there (applied before)."""
    table = StripeEvent.__table__  # type: ignore[attr-defined]
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = module.insert(table).values(
        tenant_id=tenant_id, id=event.id, type=event.type, created=event.created, received_at=utcnow()
    )
    # RETURNING rather than rowcount, which psycopg reports as -1 for this statement in an ORM session.
    inserted = await session.execute(
        insert.on_conflict_do_nothing(index_elements=["tenant_id", "id"]).returning(table.c.id)
    )
    return inserted.first() is not None


async def apply_event(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    event: Event,
    plans: Mapping[str, Plan],
    *,
    current: Mapping[str, Any] | None = None,
    asked: bool = False,
    can_ask: bool = True,
) -> EventDecision:
    """Apply `event` to the agency's row in the caller's tenant transaction, recording it as applied.

    The event's record is inserted first: on PostgreSQL a concurrent delivery of the same event waits for
    this transaction and then finds it; on SQLite the insert takes the write lock, so reading the row after it
    sees the latest state. `AskStripe` is raised (roll the transaction back, then call again with
    `asked=True` and `current`: the customer's current subscription object, or None when it has none).
    """
    if not await _record(session, tenant_id, event):
        return EventDecision("duplicate", f"event {event.id} was already applied")
    row = (
        await session.scalars(select(Subscription).where(col(Subscription.tenant_id) == tenant_id).with_for_update())
    ).first()
    if row is None:
        return EventDecision("ignored", "the agency has no subscription row")
    if not asked and event.type == CHECKOUT_COMPLETED:
        reference = _text(event.object.get("client_reference_id"))
        if reference is not None and reference != str(tenant_id):
            return EventDecision("ignored", "the Checkout Session names another agency")
        decision = decide_checkout(row, event.object, can_ask=can_ask)
        if decision.outcome == "ask_stripe":
            raise AskStripe(decision.reason)
        return decision
    if asked and current is None:
        return EventDecision("ignored", "Stripe lists no subscription for the customer")
    state = subscription_state(current if asked and current is not None else event.object, plans)
    if state.tenant_hint is not None and state.tenant_hint != str(tenant_id):
        return EventDecision("ignored", "the subscription's metadata names another agency")
    decision = decide(row, state, event.created, authoritative=asked, can_ask=can_ask)
    if decision.outcome == "ask_stripe":
        raise AskStripe(decision.reason)
    if decision.outcome == "applied":
        apply_state(row, state, event.created)
    return decision
