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
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import and_

from api.accounts.models import SocialAccount
from api.sync.engine import SyncEngine
from api.sync.models import SyncRun
from tenants import system
from tenants.database import Database
from tenants.ids import utcnow

logger = logging.getLogger("resonance.worker")

STALE_AFTER = timedelta(minutes=5)
"""A running sync whose heartbeat is older than this is taken to be orphaned by a dead worker."""


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
    ) -> None:
        self.database = database
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
        """Queue a scheduled run for every active account whose next sync is due."""
        now = utcnow()
        async with self.database.system_session() as session:
            due = await system.due_accounts(session, now, limit)
        queued = 0
        for tenant_id, account_id in due:
            async with self.database.tenant_session(tenant_id) as session:
                moved = await session.execute(
                    update(SocialAccount)
                    .where(
                        SocialAccount.tenant_id == tenant_id,  # type: ignore[arg-type]
                        SocialAccount.id == account_id,  # type: ignore[arg-type]
                        or_(
                            SocialAccount.next_sync_at.is_(None),  # type: ignore[union-attr]
                            SocialAccount.next_sync_at <= now,
                        ),  # type: ignore[operator]
                    )
                    .values(next_sync_at=now + self.engine.interval)
                )
                if moved.rowcount == 1:  # type: ignore[attr-defined]
                    session.add(SyncRun(tenant_id=tenant_id, account_id=account_id, trigger="schedule"))
                    queued += 1
        return queued

    async def _claim(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> bool:
        now = utcnow()
        async with self.database.tenant_session(tenant_id) as session:
            result = await session.execute(
                update(SyncRun)
                .where(
                    SyncRun.tenant_id == tenant_id,  # type: ignore[arg-type]
                    SyncRun.id == run_id,  # type: ignore[arg-type]
                    or_(
                        SyncRun.status == "queued",  # type: ignore[arg-type]
                        and_(
                            SyncRun.status == "running",  # type: ignore[arg-type]
                            SyncRun.heartbeat_at < now - STALE_AFTER,
                        ),
                    ),  # type: ignore[operator]
                )
                .values(status="running", worker=self.name, started_at=now, heartbeat_at=now)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _run(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
        try:
            return await self.engine.execute(tenant_id, run_id)
        except Exception:  # the worker outlives any single run
            logger.exception("sync %s crashed the engine", run_id)
            return "failed"
        finally:
            self._slots.release()

    async def dispatch(self, limit: int = 100) -> list[asyncio.Task[str]]:
        """Claim what is claimable now and start it; returns the started tasks."""
        async with self.database.system_session() as session:
            candidates = await system.claimable_sync_runs(session, utcnow() - STALE_AFTER, limit)
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
                await self.dispatch()
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
