"""Sync runs as jobs: scheduling due accounts, and claiming and running one run.

The `sync_runs` table is the ledger: a run is claimed by a compare-and-set from `queued` to `running`, so
whatever the task engine (`api/tasks/`) delivers twice, or retries after its worker was killed, a sync runs
once at a time and ends once. A worker that dies leaves its run `running` with a stale heartbeat; the
dispatch job queues it again and the next claim takes it over.

`run_pending` runs everything due in this process, without an engine: for `resonance worker --once` and tests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import and_, col

from api.accounts.models import SocialAccount
from api.billing.quotas import Quotas, next_day_start
from api.sync.engine import SyncEngine
from api.sync.models import SyncRun
from tenants import system
from tenants.database import Database
from tenants.ids import utcnow

logger = logging.getLogger("resonance.worker")

STALE_AFTER = timedelta(minutes=5)
"""A running sync whose heartbeat is older than this is taken to be orphaned by a dead worker."""

BEATS_PER_STALE = 5
"""How many heartbeats a live worker writes for each of its runs within `STALE_AFTER`."""


class SyncWorker:
    """Claims and runs syncs: `run_one` is the `sync.run` job, `run_pending` runs all that is due here (tests and
    `resonance worker --once`)."""

    def __init__(
        self,
        database: Database,
        engine: SyncEngine,
        *,
        concurrency: int = 4,
        schedule: bool = True,
        name: str | None = None,
        quotas: Quotas | None = None,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.database = database
        self.stale_after = stale_after
        """A running sync whose heartbeat is older than this is taken over (shortened by the fault tests)."""
        self.quotas = quotas
        """The plans' quotas and access, held to when scheduling; None schedules without limits (tests)."""
        self._told: dict[tuple[uuid.UUID, str], date] = {}
        self.engine = engine
        self.concurrency = concurrency
        self.schedule = schedule
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._slots = asyncio.Semaphore(concurrency)

    async def enqueue_due(self, limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Queue a scheduled run for every active account whose next sync is due, within each agency's plan.

        An agency that may not write (canceled, unpaid…) gets no run: its due accounts are looked at again one
        interval later. One whose plan's syncs per day are used up gets runs up to its limit, and its other due
        accounts are moved to the next 00:00 UTC. One transaction per agency, with one count of its day.
        Returns the (tenant id, run id) of the runs queued, to be deferred once committed.
        """
        now = utcnow()
        async with self.database.system_session() as session:
            due = await system.due_accounts(session, now, limit)
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for tenant_id, account_id in due:
            by_tenant.setdefault(tenant_id, []).append(account_id)
        queued: list[tuple[uuid.UUID, uuid.UUID]] = []
        for tenant_id, account_ids in by_tenant.items():
            queued += await self._enqueue_tenant(tenant_id, account_ids, now)
        return queued

    async def _enqueue_tenant(
        self, tenant_id: uuid.UUID, account_ids: list[uuid.UUID], now: datetime
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        queued: list[tuple[uuid.UUID, uuid.UUID]] = []
        async with self.database.tenant_session(tenant_id) as session:
            room: int | None = None
            if self.quotas is not None:
                verdict = await self.quotas.scheduling_room(session, tenant_id, now)
                if not verdict.writable:
                    later = now + self.engine.interval
                    for account_id in account_ids:
                        await self._move(session, tenant_id, account_id, now, later)
                    self._tell_once(
                        tenant_id,
                        "read_only",
                        now,
                        "no scheduled sync for agency %s: its subscription is %s, read-only; "
                        "its due accounts are looked at again every %s",
                        verdict.standing.status,
                        self.engine.interval,
                    )
                    return []
                room = verdict.room
            deferred = 0
            for account_id in account_ids:
                if room is not None and room <= 0:
                    deferred += await self._move(session, tenant_id, account_id, now, next_day_start(now))
                    continue
                if await self._move(session, tenant_id, account_id, now, now + self.engine.interval):
                    run = SyncRun(tenant_id=tenant_id, account_id=account_id, trigger="schedule")
                    session.add(run)
                    queued.append((tenant_id, run.id))
                    if room is not None:
                        room -= 1
            if deferred:
                self._tell_once(
                    tenant_id,
                    "syncs_per_day",
                    now,
                    "agency %s has used its plan's syncs per day; %d scheduled sync(s) moved to 00:00 UTC",
                    deferred,
                )
        return queued

    async def _move(
        self, session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, now: datetime, to: datetime
    ) -> int:
        """Set a still-due active account's next sync to `to`; 1 when this worker did it, else 0."""
        moved = await session.execute(
            update(SocialAccount)
            .where(
                col(SocialAccount.tenant_id) == tenant_id,
                col(SocialAccount.id) == account_id,
                # Re-checked here: the account may have been paused, or scheduled by another worker, since.
                col(SocialAccount.sync_enabled).is_(True),
                col(SocialAccount.status) == "active",
                or_(col(SocialAccount.next_sync_at).is_(None), col(SocialAccount.next_sync_at) <= now),
            )
            .values(next_sync_at=to)
        )
        return 1 if moved.rowcount == 1 else 0  # type: ignore[attr-defined]

    def _tell_once(self, tenant_id: uuid.UUID, why: str, now: datetime, message: str, *args: Any) -> None:
        """Log `message` once per agency, reason and UTC day, not at every pass."""
        today = now.date()
        if self._told.get((tenant_id, why)) == today:
            return
        self._told[(tenant_id, why)] = today
        logger.info(message, tenant_id, *args)

    async def _claim(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> bool:
        now = utcnow()
        async with self.database.tenant_session(tenant_id) as session:
            result = await session.execute(
                update(SyncRun)
                .where(
                    col(SyncRun.tenant_id) == tenant_id,
                    col(SyncRun.id) == run_id,
                    or_(
                        col(SyncRun.status) == "queued",
                        and_(
                            col(SyncRun.status) == "running",
                            col(SyncRun.heartbeat_at) < now - self.stale_after,
                        ),
                    ),
                )
                .values(status="running", worker=self.name, started_at=now, heartbeat_at=now)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _beat(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
        """Keep the heartbeat of a claimed run fresh, however long its connector goes without yielding,
        so that no other worker takes it for orphaned and runs it a second time."""
        while True:
            await asyncio.sleep(self.stale_after.total_seconds() / BEATS_PER_STALE)
            try:
                async with self.database.tenant_session(tenant_id) as session:
                    await session.execute(
                        update(SyncRun)
                        .where(
                            col(SyncRun.tenant_id) == tenant_id,
                            col(SyncRun.id) == run_id,
                            col(SyncRun.status) == "running",
                            col(SyncRun.worker) == self.name,
                        )
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is retried at the next one
                logger.warning("sync %s: could not record the heartbeat", run_id, exc_info=True)

    async def run_one(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str | None:
        """The `sync.run` job: claim the run and execute it; None when there was nothing to claim (it ended,
        or it runs elsewhere with a fresh heartbeat)."""
        if not await self._claim(tenant_id, run_id):
            return None
        return await self._execute_claimed(tenant_id, run_id)

    async def network_of(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str | None:
        """The network of a run still to be run (queued, or running: perhaps orphaned); None for one that ended."""
        async with self.database.tenant_session(tenant_id) as session:
            network = await session.scalar(
                select(col(SocialAccount.network))
                .join(
                    SyncRun,
                    and_(
                        col(SyncRun.tenant_id) == col(SocialAccount.tenant_id),
                        col(SyncRun.account_id) == col(SocialAccount.id),
                    ),
                )
                .where(
                    col(SyncRun.tenant_id) == tenant_id,
                    col(SyncRun.id) == run_id,
                    col(SyncRun.status).in_(("queued", "running")),
                )
            )
        return str(network) if network is not None else None

    async def claimable(self, limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant id, run id) of the queued runs and of those whose worker stopped beating."""
        async with self.database.system_session() as session:
            return await system.claimable_sync_runs(session, utcnow() - self.stale_after, limit)

    async def _execute_claimed(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
        beat = asyncio.create_task(self._beat(tenant_id, run_id), name=f"sync-heartbeat-{run_id}")
        try:
            return await self.engine.execute(tenant_id, run_id)
        except Exception:  # the worker outlives any single run
            logger.exception("sync %s crashed the engine", run_id)
            return "failed"
        finally:
            beat.cancel()
            await asyncio.wait([beat])

    async def _run(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
        try:
            return await self._execute_claimed(tenant_id, run_id)
        finally:
            self._slots.release()

    async def _start_claimable(self, limit: int = 100) -> list[asyncio.Task[str]]:
        """Claim what is claimable now and start it, `concurrency` at a time; returns the started tasks."""
        candidates = await self.claimable(limit)
        started: list[asyncio.Task[str]] = []
        for tenant_id, run_id in candidates:
            await self._slots.acquire()
            try:
                claimed = await self._claim(tenant_id, run_id)
            except Exception:
                self._slots.release()
                raise
            if not claimed:
                self._slots.release()
                continue
            started.append(asyncio.create_task(self._run(tenant_id, run_id), name=f"sync-{run_id}"))
        return started

    async def run_pending(self, schedule: bool | None = None) -> int:
        """Queue due accounts (when scheduling), run every claimable sync, wait for them; returns how many."""
        if self.schedule if schedule is None else schedule:
            await self.enqueue_due()
        total = 0
        while True:
            tasks = await self._start_claimable()
            if not tasks:
                return total
            total += len(tasks)
            await asyncio.gather(*tasks)
