"""Eight syncs at once on PostgreSQL, two of each account over overlapping windows, leave exact ledger totals.

Only PostgreSQL runs syncs truly in parallel (SQLite takes one writer at a time), so this module holds no
test unless RESONANCE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.accounts.models import SocialAccount
from api.app import build_services
from api.billing.metering import UsageEvent
from api.clients.models import Client
from api.content.models import StoredMention
from api.sync.models import SyncRun
from tenants.audit import SYSTEM
from tenants.signup import create_tenant
from tests.conftest import BACKENDS, TestDatabase, make_settings

POSTGRES_BACKENDS = [backend for backend in BACKENDS if backend == "postgres"]

__test__ = bool(POSTGRES_BACKENDS)
pytestmark = pytest.mark.parametrize("database", POSTGRES_BACKENDS, indirect=True)

TODAY = datetime.now(UTC).date()
ACCOUNTS = 8


async def test_eight_concurrent_syncs_leave_exact_ledger_totals(database: TestDatabase) -> None:
    services = build_services(make_settings(database, sync_concurrency=ACCOUNTS))
    db = services.database
    try:
        tenant, _key, _secret = await create_tenant(
            db, agency_name="Parallel", email="owner@parallel.example", actor=SYSTEM
        )
        async with db.tenant_session(tenant.id) as session:
            clients = [Client(name=f"Client {n}") for n in range(2)]
            session.add_all(clients)
            await session.flush()
            accounts = [
                SocialAccount(
                    client_id=clients[n % 2].id,
                    network="demo",
                    handle=f"parallel_{n}",
                    sync_enabled=False,
                    sync_settings={"hang_seconds": 0.5},
                )
                for n in range(ACCOUNTS)
            ]
            session.add_all(accounts)
            await session.flush()
            # Each account twice, over windows that overlap by 15 days: the same mentions stored by two runs at once.
            for account in accounts:
                for since in (TODAY - timedelta(days=30), TODAY - timedelta(days=20)):
                    session.add(
                        SyncRun(account_id=account.id, window_since=since, window_until=since + timedelta(days=25))
                    )

        ran = await services.sync_worker.run_pending(False)

        async with db.tenant_session(tenant.id) as session:
            runs = (await session.scalars(select(SyncRun))).all()
            mentions = (await session.execute(select(func.count()).select_from(StoredMention))).scalar_one()
            ledger = (
                await session.execute(
                    select(UsageEvent.meter, func.sum(UsageEvent.quantity), func.count()).group_by(UsageEvent.meter)
                )
            ).all()
        assert ran == 2 * ACCOUNTS
        assert {run.status for run in runs} == {"succeeded"}
        # Every run waits half a second before its first record: the eight slots were all busy at once.
        assert _most_at_once(runs) == ACCOUNTS
        account_days = {(run.account_id, run.finished_at.date()) for run in runs if run.finished_at}
        assert mentions > 0
        assert {meter: (int(total), count) for meter, total, count in ledger} == {
            "syncs": (2 * ACCOUNTS, 2 * ACCOUNTS),
            "tracked_accounts": (len(account_days), len(account_days)),
            "mentions_analysed": (mentions, mentions),
        }
    finally:
        await db.dispose()


def _most_at_once(runs: list[SyncRun] | tuple[SyncRun, ...] | object) -> int:
    events: list[tuple[datetime, int]] = []
    for run in runs:  # type: ignore[attr-defined]
        events += [(run.started_at, 1), (run.finished_at, -1)]
    most = current = 0
    for _at, step in sorted(events, key=lambda event: (event[0], event[1])):
        current += step
        most = max(most, current)
    return most
