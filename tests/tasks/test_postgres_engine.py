"""The procrastinate engine when things go wrong: a worker that dies, procrastinate's worker stopping by itself.

The whole story (workers killed, PostgreSQL restarted) is `test_fault.py`; these pin the two behaviours it
needed, one at a time.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from procrastinate import exceptions as procrastinate_errors
from sqlalchemy import text

from api.tasks import postgres_engine
from api.tasks.engine import Catalogue, Job
from api.tasks.postgres_engine import ProcrastinateEngine
from tenants.database import driver_url, sync_engine
from tests.conftest import POSTGRES_ENV, TestDatabase


async def _nothing(**_args: str) -> None:
    """A job that has nothing to do."""


def _engine(database: TestDatabase) -> ProcrastinateEngine:
    conninfo = "postgresql://" + driver_url(database.url, asynchronous=True).partition("://")[2]
    return ProcrastinateEngine(Catalogue(jobs=(Job("test.nothing", "sync", _nothing),)), conninfo)


if POSTGRES_ENV in os.environ:

    @pytest.mark.parametrize("database", ["postgres"], indirect=True)
    async def test_the_sweep_retries_a_dead_workers_jobs_and_drops_one_whose_subject_waits_again(
        database: TestDatabase,
    ) -> None:
        engine = _engine(database)
        owner = sync_engine(database.owner_url)
        try:
            assert await engine.defer("test.nothing", {"n": "1"}, key="subject:1")
            assert await engine.defer("test.nothing", {"n": "2"}, key="subject:2")
            # Both were taken by a worker which then died: its last heartbeat is a minute old.
            with owner.begin() as connection:
                heartbeat = "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 minute')"
                dead = connection.execute(text(heartbeat + " RETURNING id")).scalar_one()
                connection.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"), {"w": dead})
            # Since, a dispatch queued the first subject again (a `doing` job does not hold its queueing lock).
            assert await engine.defer("test.nothing", {"n": "1"}, key="subject:1")

            await engine.retry_stalled()

            with owner.connect() as connection:
                jobs = connection.execute(
                    text("SELECT queueing_lock, status, attempts FROM procrastinate_jobs ORDER BY id")
                ).all()
            # The second goes back in line; the first is dropped for the one already waiting, and the sweep did
            # not stop at it (before, its unique violation failed the sweep every time, so nothing was retried).
            assert [tuple(job) for job in jobs] == [("subject:2", "todo", 1), ("subject:1", "todo", 0)]
        finally:
            owner.dispose()
            await engine.close()

    @pytest.mark.parametrize("database", ["postgres"], indirect=True)
    async def test_run_starts_a_new_procrastinate_worker_when_one_stops_by_itself_until_told_to_stop(
        database: TestDatabase, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """procrastinate stops its worker when its heartbeat or LISTEN connection loses the database (a restart
        of PostgreSQL), and starting one fails while the database is away: `run` goes on with a new one."""
        engine = _engine(database)
        monkeypatch.setattr(postgres_engine, "RESTART_SECONDS", (0.01, 0.04))
        starts = 0
        third = asyncio.Event()

        async def worker(stop: asyncio.Event, queues: object, concurrency: int) -> None:
            nonlocal starts
            starts += 1
            if starts == 1:
                return  # stopped by itself, as on a lost LISTEN connection
            if starts == 2:
                raise procrastinate_errors.ConnectorException()  # the database is not back yet
            third.set()
            await stop.wait()

        monkeypatch.setattr(engine, "_run_worker", worker)
        stop = asyncio.Event()
        try:
            running = asyncio.create_task(engine.run(stop, periodic=False))
            await asyncio.wait_for(third.wait(), timeout=10)
            stop.set()
            await asyncio.wait_for(running, timeout=10)
            assert starts == 3
        finally:
            await engine.close()
