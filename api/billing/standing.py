"""An agency's standing, as every request sees it: its plan and whether it may change anything.

Read from the `subscriptions` row and cached per process for a few seconds (like API keys), so the
rate limiter and the write guard cost a dictionary lookup; a Stripe webhook handled in this process
drops the entry at once, other processes see the change within `CACHE_SECONDS`. An entry used in its
last `REFRESH_AHEAD_SECONDS` is read again in the background, so that under steady traffic no request
(and no cached read of the fast path) waits for the database when it expires.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.billing.plans import Plan
from api.billing.subscriptions import LOCAL, Access, Subscription, access_of, subscription_row
from api.singleflight import SingleFlight
from tenants.database import Database

CACHE_SECONDS = 5.0
REFRESH_AHEAD_SECONDS = 1.0
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Standing:
    """The agency's plan, subscription status and access, at `checked_at`."""

    tenant_id: uuid.UUID
    plan: Plan
    status: str
    access: Access
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    past_due_since: datetime | None


class Standings:
    """Per-process cache of agencies' standings."""

    def __init__(self, database: Database, plans: dict[str, Plan], default_plan: str, grace: timedelta) -> None:
        self.database = database
        self.plans = plans
        self.default_plan = plans[default_plan]
        self.grace = grace
        self._entries: dict[int, tuple[float, Standing]] = {}
        """By the agency's id as an integer (hashed in C; a UUID's hash is a Python call, on every request)."""
        self._lookups: SingleFlight[uuid.UUID, Standing] = SingleFlight()
        self._generations: dict[uuid.UUID, int] = {}
        """Bumped by `invalidate`: a lookup that started before keeps its answer out of the cache."""
        self._refreshing: dict[int, asyncio.Task[None]] = {}
        """Background refreshes started and not finished, by the agency's id as an integer: at most one each."""

    def cached(self, tenant_id: uuid.UUID) -> Standing | None:
        """The standing if it is in memory and fresh (no I/O): for the fast paths. Near its expiry, a
        background lookup is started (at most one per agency)."""
        entry = self._entries.get(tenant_id.int)
        if entry is None:
            return None
        remaining = entry[0] - time.monotonic()
        if remaining < 0:
            return None
        if remaining < REFRESH_AHEAD_SECONDS and tenant_id.int not in self._refreshing:
            self._refresh(tenant_id)
        return entry[1]

    async def of(self, tenant_id: uuid.UUID) -> Standing:
        """The agency's standing, from memory when fresh, else from the database (one lookup at a time)."""
        standing = self.cached(tenant_id)
        if standing is not None:
            return standing
        return await self._lookup(tenant_id)

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Forget the agency's standing (its subscription just changed)."""
        self._generations[tenant_id] = self._generations.get(tenant_id, 0) + 1
        self._entries.pop(tenant_id.int, None)

    async def _lookup(self, tenant_id: uuid.UUID) -> Standing:
        generation = self._generations.get(tenant_id, 0)
        standing = await self._lookups.run(tenant_id, lambda: self._load(tenant_id))
        if self._generations.get(tenant_id, 0) == generation:  # else read before a change: answer, don't keep
            self._entries[tenant_id.int] = (time.monotonic() + CACHE_SECONDS, standing)
        return standing

    def _refresh(self, tenant_id: uuid.UUID) -> None:
        # Registered before the task first runs, so the requests in between do not start more.
        key = tenant_id.int
        task = self._refreshing[key] = asyncio.get_running_loop().create_task(self._refresh_now(tenant_id))
        task.add_done_callback(lambda _: self._refreshing.pop(key, None))

    async def _refresh_now(self, tenant_id: uuid.UUID) -> None:
        try:
            await self._lookup(tenant_id)
        except Exception:  # the entry expires as usual and the next request looks the standing up itself
            logger.warning("refreshing the standing of agency %s failed", tenant_id, exc_info=True)

    def standing_from(self, tenant_id: uuid.UUID, row: Subscription | None) -> Standing:
        """The standing a subscription row (or its absence) gives."""
        if row is None:
            return Standing(
                tenant_id=tenant_id,
                plan=self.default_plan,
                status=LOCAL,
                access=access_of(LOCAL, None, self.grace),
                stripe_customer_id=None,
                stripe_subscription_id=None,
                current_period_end=None,
                cancel_at_period_end=False,
                past_due_since=None,
            )
        return Standing(
            tenant_id=tenant_id,
            # A plan removed from the configuration since: the agency keeps going on the default plan's quotas.
            plan=self.plans.get(row.plan, self.default_plan),
            status=row.status,
            access=access_of(row.status, row.past_due_since, self.grace),
            stripe_customer_id=row.stripe_customer_id,
            stripe_subscription_id=row.stripe_subscription_id,
            current_period_end=row.current_period_end,
            cancel_at_period_end=row.cancel_at_period_end,
            past_due_since=row.past_due_since,
        )

    async def _load(self, tenant_id: uuid.UUID) -> Standing:
        async with self.database.tenant_session(tenant_id) as session:
            row = await subscription_row(session, tenant_id)
        return self.standing_from(tenant_id, row)
