"""Quotas of an agency's plan: what the agency uses of each, and the check made before a write that adds to one.

The check runs inside the transaction of the write it guards, and refuses before anything is written:

- on PostgreSQL it first takes a transaction-scoped advisory lock keyed on (agency, quota), so concurrent
  creations of the same agency queue behind each other and each counts what the previous one committed;
- on SQLite it first takes the database's single write lock (a write statement that changes nothing), which
  every writer needs anyway; SQLite's driver runs plain reads outside any transaction, so without it two
  creations could both count the same number and both insert.

The lock is released when the transaction ends, so it covers the count and the insert that follows it.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.accounts.models import SocialAccount
from api.billing.plans import Plan
from api.billing.standing import Standing, Standings
from api.billing.subscriptions import subscription_row
from api.clients.models import Client
from api.errors import ApiError
from api.sync.models import SyncRun
from api.webhooks.models import WebhookEndpoint
from tenants.ids import utcnow

UNTRACKED_STATUSES: Final = frozenset({"paused"})
"""Account statuses that do not count as tracked: a paused account is neither synced nor billed, and resuming it
takes a slot again. Accounts waiting for new credentials (`needs_reauth`) or in `error` still count: they are
tracked, and resume without asking for a slot once fixed."""

COUNTED: Final = ("clients", "tracked_accounts", "syncs_per_day", "webhook_endpoints")
"""The quotas counted from stored rows (`api_requests_per_minute` is the rate limiter's)."""

_NOUNS: Final = {
    "clients": ("client", "clients", "the agency has {used}"),
    "tracked_accounts": ("tracked account", "tracked accounts", "the agency tracks {used}"),
    "syncs_per_day": ("sync per day (UTC)", "syncs per day (UTC)", "the agency has started {used} today"),
    "webhook_endpoints": ("webhook endpoint", "webhook endpoints", "the agency has {used}"),
}
_FREE_A_SLOT: Final = {
    "clients": "delete a client (DELETE /v1/clients/{client_id})",
    "tracked_accounts": "pause an account (PATCH /v1/accounts/{account_id} with status paused) or delete one",
    "syncs_per_day": "wait until 00:00 UTC, when the daily count starts again",
    "webhook_endpoints": "delete a webhook endpoint (DELETE /v1/webhook-endpoints/{endpoint_id})",
}

ID_CLOCK_SLACK: Final = timedelta(minutes=1)
"""How much earlier than its `requested_at` a sync run's time-ordered id may be (both are set when the run is
made); the daily count bounds ids with this slack so that it reads one index range, not the agency's history."""


class QuotaExceeded(ApiError):
    """A write would take the agency past a quota of its plan; nothing was written."""

    status_code = 402
    code = "quota_exceeded"
    title = "Quota exceeded"


class DailyQuotaExceeded(QuotaExceeded):
    """The daily sync quota is used up; it comes back at 00:00 UTC (`Retry-After`)."""

    status_code = 429
    title = "Daily quota exceeded"


def day_start(now: datetime) -> datetime:
    """00:00 UTC of `now`'s day."""
    return datetime.combine(now.astimezone(UTC).date(), time.min, UTC)


def next_day_start(now: datetime) -> datetime:
    """The next 00:00 UTC after `now`."""
    return day_start(now) + timedelta(days=1)


def uuid7_floor(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 made at or after `moment` (ids sort by creation time, see tenants/ids.py)."""
    millis = max(0, math.floor(moment.timestamp() * 1000))
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (0b10 << 62))


def lock_key(tenant_id: uuid.UUID, quota: str) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit integer) of one agency's quota."""
    digest = hashlib.blake2b(f"resonance-quota:{tenant_id}:{quota}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_quota(session: AsyncSession, tenant_id: uuid.UUID, quota: str) -> None:
    """Hold the agency's `quota` until the session's transaction ends (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(tenant_id, quota)})
    else:
        # Starts the write transaction (waiting for the database's write lock) without changing a row.
        await session.execute(text("UPDATE subscriptions SET plan = plan WHERE 1 = 0"))


async def usage_of(session: AsyncSession, quota: str, now: datetime | None = None) -> int:
    """How much of `quota` the session's agency uses now (one of `COUNTED`)."""
    if quota == "clients":
        statement = sa_select(func.count()).select_from(Client)
    elif quota == "tracked_accounts":
        statement = (
            sa_select(func.count())
            .select_from(SocialAccount)
            .where(col(SocialAccount.status).not_in(UNTRACKED_STATUSES))
        )
    elif quota == "syncs_per_day":
        start = day_start(now or utcnow())
        statement = (
            sa_select(func.count())
            .select_from(SyncRun)
            .where(col(SyncRun.id) >= uuid7_floor(start - ID_CLOCK_SLACK), col(SyncRun.requested_at) >= start)
        )
    elif quota == "webhook_endpoints":
        statement = sa_select(func.count()).select_from(WebhookEndpoint)
    else:
        raise ValueError(f"quota {quota!r} is not counted from stored rows")
    return int((await session.execute(statement)).scalar_one())


@dataclass(frozen=True)
class SchedulingRoom:
    """What the scheduler may queue for one agency in this pass."""

    writable: bool
    room: int | None
    """Scheduled runs it may still queue today; None when unlimited."""
    standing: Standing


class Quotas:
    """Counts the agency's use of its plan's quotas and refuses a write that would go past one."""

    def __init__(self, standings: Standings, *, stripe_enabled: bool) -> None:
        self.standings = standings
        self.stripe_enabled = stripe_enabled

    async def standing(self, session: AsyncSession, tenant_id: uuid.UUID) -> Standing:
        """The agency's standing read in this transaction (not the per-process cache): quotas use the plan as
        it is now, e.g. right after `resonance tenant plan`."""
        return self.standings.standing_from(tenant_id, await subscription_row(session, tenant_id))

    async def ensure_room(
        self, session: AsyncSession, tenant_id: uuid.UUID, quota: str, *, now: datetime | None = None
    ) -> None:
        """Refuse (`QuotaExceeded`, or `DailyQuotaExceeded` for syncs) when one more would pass the plan's limit.

        Call it in the transaction that then writes the new row, after the request's own checks: the lock it
        takes lasts until that transaction ends.
        """
        plan = (await self.standing(session, tenant_id)).plan
        limit = plan.limit(quota)
        if limit is None:
            return
        await lock_quota(session, tenant_id, quota)
        now = now or utcnow()
        used = await usage_of(session, quota, now)
        if used < limit:
            return
        raise self.exceeded(tenant_id, plan, quota, used, limit, now)

    async def scheduling_room(self, session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> SchedulingRoom:
        """Whether the scheduler may queue runs for the agency, and how many (the lock is held as for a write)."""
        standing = await self.standing(session, tenant_id)
        if not standing.access.writable:
            return SchedulingRoom(writable=False, room=0, standing=standing)
        limit = standing.plan.limit("syncs_per_day")
        if limit is None:
            return SchedulingRoom(writable=True, room=None, standing=standing)
        await lock_quota(session, tenant_id, "syncs_per_day")
        used = await usage_of(session, "syncs_per_day", now)
        return SchedulingRoom(writable=True, room=max(0, limit - used), standing=standing)

    def exceeded(
        self, tenant_id: uuid.UUID, plan: Plan, quota: str, used: int, limit: int, now: datetime
    ) -> QuotaExceeded:
        """The problem saying which quota is full, with the usage, the limit and how to get more."""
        singular, plural, has = _NOUNS[quota]
        upgrade = self.upgrade(tenant_id, plan, quota, used)
        names = [f"{entry['name']} ({_limit_text(entry['limit'])})" for entry in upgrade["plans"]]
        more = f"upgrade to {' or '.join(names)}" if names else "no plan allows more"
        detail = (
            f"The {plan.name} plan allows {limit} {singular if limit == 1 else plural} and {has.format(used=used)}: "
            f"{_FREE_A_SLOT[quota]}, or {more}. Nothing was changed."
        )
        extra: dict[str, Any] = {"quota": quota, "usage": used, "limit": limit, "plan": plan.id, "upgrade": upgrade}
        if quota == "syncs_per_day":
            retry = max(1, math.ceil((next_day_start(now) - now).total_seconds()))
            return DailyQuotaExceeded(detail, field=quota, headers={"Retry-After": str(retry)}, extra=extra)
        return QuotaExceeded(detail, field=quota, extra=extra)

    def upgrade(self, tenant_id: uuid.UUID, plan: Plan, quota: str, used: int) -> dict[str, Any]:
        """The plans that allow more of `quota` than `used`, cheapest first, and how to move to one."""
        better = sorted(
            (
                other
                for other in self.standings.plans.values()
                if other.id != plan.id and (other.limit(quota) is None or (other.limit(quota) or 0) > used)
            ),
            # Cheapest first; at one price, the smallest step up first.
            key=lambda other: (other.price, other.limit(quota) is None, other.limit(quota) or 0, other.id),
        )
        plans = [{"id": other.id, "name": other.name, "limit": other.limit(quota)} for other in better]
        if not better:
            how = "No plan on sale allows more; free a slot instead."
        elif self.stripe_enabled:
            how = f'Subscribe with POST /v1/billing/checkout-session and the body {{"plan": "{better[0].id}"}}.'
        else:
            how = (
                "Billing runs in local mode: ask the operator to run "
                f"`resonance tenant plan {tenant_id} {better[0].id}`."
            )
        return {"plans": plans, "how": how}


def _limit_text(limit: int | None) -> str:
    return "unlimited" if limit is None else str(limit)


__all__ = [
    "COUNTED",
    "UNTRACKED_STATUSES",
    "DailyQuotaExceeded",
    "QuotaExceeded",
    "Quotas",
    "SchedulingRoom",
    "day_start",
    "lock_quota",
    "next_day_start",
    "usage_of",
]
