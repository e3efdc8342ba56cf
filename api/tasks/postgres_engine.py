"""The PostgreSQL engine: procrastinate, with its jobs in the service's own database.

Why procrastinate (docs/operations/tasks.md has the comparison): it is asyncio from the ground up, it needs no
broker beside the PostgreSQL scaled mode already runs, a job is a row (so it survives any worker or restart),
workers send heartbeats and a worker killed mid-job has its job found and retried, periodic jobs are deferred
once however many processes schedule them (a unique row per tick), queueing locks keep one waiting job per
subject, and retries back off exponentially.

Its tables and functions (`procrastinate_*`) are created by migration 0013 from the schema of the pinned
release; a new procrastinate release that changes its schema comes with a migration of ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from procrastinate.jobs import Status

from api.tasks.engine import Catalogue, Job, Periodic, QueueStats

logger = logging.getLogger("resonance.tasks")

STALLED_SECONDS = 30.0
"""A worker silent for this long is taken for dead: its running jobs are retried by the next sweep."""

HEARTBEAT_SECONDS = 10.0

RESTART_SECONDS = (1.0, 30.0)
"""How long `run` waits before starting procrastinate's worker again when it stopped by itself: the first
wait, doubled after each stop in a row up to the second (a worker that ran that long starts again at the first)."""

_STATS = """
SELECT j.queue_name,
       count(*) FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())) AS waiting,
       count(*) FILTER (WHERE j.status = 'doing') AS running,
       coalesce(extract(epoch FROM now() - min(e.at) FILTER (
           WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))), 0) AS oldest
  FROM procrastinate_jobs j
  LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
 WHERE j.status IN ('todo', 'doing')
 GROUP BY j.queue_name
"""


def cron_every(every: float) -> str:
    """A cron line for "every `every` seconds" in croniter's six fields (seconds last); minutes from 60 up."""
    seconds = int(every)
    if seconds != every or seconds < 1:
        raise ValueError(f"a periodic job on PostgreSQL runs every whole number of seconds, not {every}")
    if seconds < 60:
        if 60 % seconds:
            raise ValueError(f"a periodic job under a minute must divide 60 seconds, not {seconds}")
        return f"* * * * * */{seconds}"
    if seconds % 60 or 60 % (seconds // 60):
        raise ValueError(f"a periodic job of a minute or more must be a divisor of an hour in minutes, not {seconds}")
    return f"*/{seconds // 60} * * * *"


class ProcrastinateEngine:
    """`TaskEngine` on procrastinate; `conninfo` is a libpq URL of the service's database."""

    def __init__(
        self,
        catalogue: Catalogue,
        conninfo: str,
        *,
        stalled_seconds: float = STALLED_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        pool_size: int = 4,
    ) -> None:
        self.catalogue = catalogue
        self.stalled_seconds = stalled_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.conninfo = conninfo
        self.pool_size = pool_size
        sweep = Periodic("tasks.retry_stalled", 10, self.retry_stalled)
        self._periodic = [*catalogue.periodic, sweep]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open_lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._tasks: dict[str, Any] = {}
        self.app = self._build_app()

    def _build_app(self) -> procrastinate.App:
        """A procrastinate app with every job registered; its connection pool opens on first use."""
        connector = procrastinate.PsycopgConnector(conninfo=self.conninfo, min_size=1, max_size=self.pool_size)
        self.app = procrastinate.App(connector=connector)
        self._tasks = {}
        for job in self.catalogue.jobs:
            self._register(job)
        for spec in self._periodic:
            # One tick waits at most: ticks that come while one waits (busy workers) are skipped, not piled up.
            self._register(Job(spec.name, spec.queue, _periodic_handler(spec), max_attempts=1), queueing_lock=spec.name)
        self._periodic_registered = False
        self._opened = False
        return self.app

    def _register(self, job: Job, queueing_lock: str | None = None) -> None:
        retry = procrastinate.RetryStrategy(max_attempts=job.max_attempts - 1, exponential_wait=job.backoff)
        task = self.app.task(
            name=job.name,
            queue=job.queue,
            retry=retry if job.max_attempts > 1 else False,
            queueing_lock=queueing_lock,
        )(job.handler)
        self._tasks[job.name] = task

    async def _open(self) -> None:
        """Open the pool on this event loop. A pool belongs to the loop that opened it: on another loop (a test
        client's lifespan after another's) the old one is left behind and a new one opened."""
        loop = asyncio.get_running_loop()
        if self._open_lock is None or self._lock_loop is not loop:
            self._open_lock, self._lock_loop = asyncio.Lock(), loop
        async with self._open_lock:
            if self._opened and self._loop is not loop:
                self._build_app()
            if not self._opened:
                await self.app.open_async()
                self._opened, self._loop = True, loop

    async def defer(self, job: str, args: Mapping[str, str], *, key: str | None = None, delay: float = 0) -> bool:
        await self._open()
        self.catalogue.job(job)  # an unknown name is a bug here, not a job that fails on a worker
        options: dict[str, Any] = {"queueing_lock": key}
        if delay > 0:
            options["schedule_in"] = {"seconds": delay}
        try:
            await self.app.configure_task(job, **options).defer_async(**args)
        except procrastinate_errors.AlreadyEnqueued:
            return False
        return True

    async def waiting(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        await self._open()
        rows = await self.app.connector.execute_query_all_async(
            "SELECT queueing_lock FROM procrastinate_jobs WHERE status = 'todo' AND queueing_lock = ANY(%(keys)s)",
            keys=list(keys),
        )
        return {row["queueing_lock"] for row in rows}

    async def run(
        self, stop: asyncio.Event, *, queues: Sequence[str] | None = None, concurrency: int = 4, periodic: bool = True
    ) -> None:
        await self._open()
        if periodic and not self._periodic_registered:
            for spec in self._periodic:
                self.app.periodic(cron=cron_every(spec.every_seconds), periodic_id=spec.name)(self._tasks[spec.name])
            self._periodic_registered = True
        pause = RESTART_SECONDS[0]
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self._run_worker(stop, queues, concurrency)
            except Exception:
                logger.warning("procrastinate's worker failed", exc_info=True)
            if stop.is_set():
                break
            # procrastinate stops its worker when one of its side tasks (the heartbeat, the LISTEN connection)
            # loses the database, as when PostgreSQL restarts: this process goes on, with a new worker once the
            # database answers again (the dead worker's jobs are retried by the stalled-job sweep).
            if time.monotonic() - started >= RESTART_SECONDS[1]:
                pause = RESTART_SECONDS[0]
            logger.warning("procrastinate's worker stopped (lost the database?); starting another in %.0f s", pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(pause * 2, RESTART_SECONDS[1])

    async def _run_worker(self, stop: asyncio.Event, queues: Sequence[str] | None, concurrency: int) -> None:
        """One procrastinate worker, until it stops or `stop` is set (then it lets its running jobs finish)."""
        worker = asyncio.create_task(
            self.app.run_worker_async(
                **_queues(queues),
                concurrency=concurrency,
                install_signal_handlers=False,
                update_heartbeat_interval=self.heartbeat_seconds,
                stalled_worker_timeout=self.stalled_seconds,
                delete_jobs="successful",
            ),
            name="procrastinate-worker",
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([worker, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not worker.done():
            worker.cancel()  # procrastinate stops fetching and waits for the running jobs
        stopping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    async def drain(self, queues: Sequence[str] | None = None) -> int:
        await self._open()
        before = await self._finished()
        await self.app.run_worker_async(
            **_queues(queues),
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            delete_jobs="never",
        )
        return await self._finished() - before

    async def _finished(self) -> int:
        row = await self.app.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('succeeded', 'failed')"
        )
        return int(row["n"])

    async def retry_stalled(self) -> None:
        """Put back in line the jobs of workers that stopped sending heartbeats (killed, or cut off)."""
        manager = self.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_seconds):
            assert job.id is not None  # jobs read from the database have their id
            try:
                await manager.retry_job(job)
            except procrastinate_errors.UniqueViolation:
                # Another job of the same subject (queueing lock) already waits, deferred by a dispatch since:
                # that one will do the work, so this one is dropped rather than blocking the sweep forever.
                logger.warning("job %s (%s) lost its worker; another waits for its subject", job.id, job.task_name)
                await manager.finish_job_by_id_async(job.id, status=Status.ABORTED, delete_job=True)
            else:
                logger.warning("job %s (%s) lost its worker; retrying it", job.id, job.task_name)

    async def stats(self) -> list[QueueStats]:
        await self._open()
        rows = await self.app.connector.execute_query_all_async(_STATS)
        queues = sorted({job.queue for job in self.catalogue.jobs} | {spec.queue for spec in self._periodic})
        answer = {queue: QueueStats(queue, 0, 0, 0.0) for queue in queues}
        for row in rows:
            queue = row["queue_name"]
            answer[queue] = QueueStats(queue, int(row["waiting"]), int(row["running"]), float(row["oldest"]))
        return sorted(answer.values(), key=lambda stats: stats.queue)

    async def close(self) -> None:
        if self._opened and self._loop is asyncio.get_running_loop():
            await self.app.close_async()
        self._opened = False


def _periodic_handler(spec: Periodic) -> Any:
    async def periodic(timestamp: int) -> None:  # procrastinate passes the tick's timestamp
        await spec.handler()

    periodic.__name__ = spec.name.replace(".", "_")
    return periodic


def _queues(queues: Sequence[str] | None) -> dict[str, Any]:
    """procrastinate's `queues` option: absent for every queue."""
    return {} if queues is None else {"queues": list(queues)}
