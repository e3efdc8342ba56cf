"""The sync worker: schedules due accounts, claims queued runs and runs them with bounded concurrency.

The `sync_runs` table is the queue: a run is claimed by a compare-and-set from `queued` to
`running`, so any number of workers (the in-process one of `resonance serve`, or separate
`resonance worker` processes on several machines) share the work without running a sync twice.
A worker that dies leaves its runs `running` with a stale heartbeat; another worker reclaims them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
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
    """Claims and runs syncs; `run_forever` for services, `run_pending` for tests and the CLI."""

    def __init__(
        self,
        database: Database,
        engine: SyncEngine,
        *,
        concurrency: int = 4,
        poll_seconds: float = 5.0,
        schedule: bool = True,
        name: str | None = None,
        quotas: Quotas | None = None,
    ) -> None:
        self.database = database
        self.quotas = quotas
        """The plans' quotas and access, held to when scheduling; None schedules without limits (tests)."""
        self._told: dict[tuple[uuid.UUID, str], date] = {}
        self.engine = engine
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.schedule = schedule
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[str]] = set()

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    async def enqueue_due(self, limit: int = 500) -> int:
        """Queue a scheduled run for every active account whose next sync is due, within each agency's plan.

        An agency that may not write (canceled, unpaid…) gets no run: its due accounts are looked at again one
        interval later. One whose plan's syncs per day are used up gets runs up to its limit, and its other due
        accounts are moved to the next 00:00 UTC. One transaction per agency, with one count of its day.
        """
        now = utcnow()
        async with self.database.system_session() as session:
            due = await system.due_accounts(session, now, limit)
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for tenant_id, account_id in due:
            by_tenant.setdefault(tenant_id, []).append(account_id)
        queued = 0
        for tenant_id, account_ids in by_tenant.items():
            queued += await self._enqueue_tenant(tenant_id, account_ids, now)
        return queued

    async def _enqueue_tenant(self, tenant_id: uuid.UUID, account_ids: list[uuid.UUID], now: datetime) -> int:
        queued = 0
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
                    return 0
                room = verdict.room
            deferred = 0
            for account_id in account_ids:
                if room is not None and room <= 0:
                    deferred += await self._move(session, tenant_id, account_id, now, next_day_start(now))
                    continue
                if await self._move(session, tenant_id, account_id, now, now + self.engine.interval):
                    session.add(SyncRun(tenant_id=tenant_id, account_id=account_id, trigger="schedule"))
                    queued += 1
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
                            col(SyncRun.heartbeat_at) < now - STALE_AFTER,
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
            await asyncio.sleep(STALE_AFTER.total_seconds() / BEATS_PER_STALE)
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

    async def _run(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
        beat = asyncio.create_task(self._beat(tenant_id, run_id), name=f"sync-heartbeat-{run_id}")
        try:
            return await self.engine.execute(tenant_id, run_id)
        except Exception:  # the worker outlives any single run
            logger.exception("sync %s crashed the engine", run_id)
            return "failed"
        finally:
            beat.cancel()
            await asyncio.wait([beat])
            self._slots.release()

    async def dispatch(self, limit: int = 100, stop: asyncio.Event | None = None) -> list[asyncio.Task[str]]:
        """Claim what is claimable now and start it, until `stop` is set; returns the started tasks."""
        async with self.database.system_session() as session:
            candidates = await system.claimable_sync_runs(session, utcnow() - STALE_AFTER, limit)
        started: list[asyncio.Task[str]] = []
        for tenant_id, run_id in candidates:
            await self._slots.acquire()
            if stop is not None and stop.is_set():  # waiting for a free slot may take as long as a sync
                self._slots.release()
                break
            try:
                claimed = await self._claim(tenant_id, run_id)
            except Exception:
                self._slots.release()
                raise
            if not claimed:
                self._slots.release()
                continue
            task = asyncio.create_task(self._run(tenant_id, run_id), name=f"sync-{run_id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            started.append(task)
        return started

    async def run_pending(self, schedule: bool | None = None) -> int:
        """Queue due accounts (when scheduling), run every claimable sync, wait for them; returns how many."""
        if self.schedule if schedule is None else schedule:
            await self.enqueue_due()
        total = 0
        while True:
            tasks = await self.dispatch()
            if not tasks:
                return total
            total += len(tasks)
            await asyncio.gather(*tasks)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Poll for work until `stop` is set, then let running syncs finish."""
        logger.info("sync worker %s started (concurrency %d)", self.name, self.concurrency)
        while not stop.is_set():
            try:
                if self.schedule:
                    await self.enqueue_due()
                await self.dispatch(stop=stop)
            except Exception:  # a database blip must not kill the worker
                logger.exception("sync worker %s could not poll; retrying", self.name)
            self._wake.clear()
            waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        logger.info("sync worker %s stopped", self.name)
