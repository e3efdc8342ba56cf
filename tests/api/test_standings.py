"""The per-process cache of agencies' standings: refreshed ahead of expiry, never keeping an answer read
before a change of subscription."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from api.billing import standing as standing_module
from api.billing.plans import BUILT_IN
from api.billing.standing import Standing, Standings
from api.billing.subscriptions import Subscription, subscription_row
from tenants.audit import SYSTEM
from tenants.database import Database
from tenants.signup import create_tenant
from tests.conftest import TestDatabase


async def _agency_on(db: Database, plan: str) -> uuid.UUID:
    tenant, _key, _secret = await create_tenant(
        db, agency_name="Standing Agency", email="o@standing.example", actor=SYSTEM
    )
    async with db.tenant_session(tenant.id) as session:
        session.add(Subscription(plan=plan))
    return tenant.id


async def _set_plan(db: Database, tenant_id: uuid.UUID, plan: str) -> None:
    async with db.tenant_session(tenant_id) as session:
        row = await subscription_row(session, tenant_id)
        assert row is not None
        row.plan = plan


def test_a_standing_used_near_its_expiry_is_read_again_in_the_background(database: TestDatabase) -> None:
    async def scenario() -> tuple[str, str, str]:
        db = Database(database.url)
        try:
            tenant_id = await _agency_on(db, "starter")
            standings = Standings(db, dict(BUILT_IN), "starter", timedelta(days=7))
            first = await standings.of(tenant_id)
            await _set_plan(db, tenant_id, "agency")
            # Still fresh: the cached answer, no lookup.
            assert standings.cached(tenant_id) is first
            assert not standings._refreshing
            # In its last second: the cached answer at once, and a lookup in the background.
            standings._entries[tenant_id.int] = (time.monotonic() + standing_module.REFRESH_AHEAD_SECONDS / 2, first)
            during = standings.cached(tenant_id)
            assert standings.cached(tenant_id) is during  # a second request before the lookup has even started
            assert len(standings._refreshing) == 1
            await asyncio.gather(*standings._refreshing.values())
            after = standings.cached(tenant_id)
            assert after is not None
            return first.plan.id, during.plan.id if during else "", after.plan.id
        finally:
            await db.dispose()

    assert asyncio.run(scenario()) == ("starter", "starter", "agency")


def test_an_answer_read_before_an_invalidation_is_returned_but_not_kept(database: TestDatabase) -> None:
    async def scenario() -> tuple[str, bool]:
        db = Database(database.url)
        try:
            tenant_id = await _agency_on(db, "starter")
            standings = Standings(db, dict(BUILT_IN), "starter", timedelta(days=7))
            release = asyncio.Event()
            load = standings._load

            async def slow_load(tenant: uuid.UUID) -> Standing:
                answer = await load(tenant)
                await release.wait()
                return answer

            standings._load = slow_load  # type: ignore[method-assign]
            lookup = asyncio.create_task(standings.of(tenant_id))
            await asyncio.sleep(0.05)
            standings.invalidate(tenant_id)  # a webhook changed the subscription meanwhile
            release.set()
            answered = await lookup
            return answered.plan.id, standings.cached(tenant_id) is None
        finally:
            await db.dispose()

    assert asyncio.run(scenario()) == ("starter", True)
