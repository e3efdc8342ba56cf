"""The embedded engine: jobs wait in this process's memory and run on its event loop.

For the SQLite default (`resonance demo`, `resonance serve` on one machine) and the tests: no broker, no
database table. A job queued here is lost if the process dies; nothing that matters is, because every job's
subject is a row of the ledger (a queued sync run, a due delivery, unreported usage) and the periodic dispatch
job queues again whatever is still due when the process starts.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from api.tasks.engine import Catalogue, Job, QueueStats

logger = logging.getLogger("resonance.tasks")


@dataclass(order=True)
class _Queued:
    due: float
    order: int
    job: Job = field(compare=False)
    args: dict[str, str] = field(compare=False)
    key: str | None = field(compare=False)
    attempts: int = field(default=0, compare=False)
    queued_at: float = field(default=0.0, compare=False)


class InProcessEngine:
    """`TaskEngine` on asyncio: a heap of due times, bounded concurrency, retries with exponential backoff."""

    def __init__(self, catalogue: Catalogue, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.catalogue = catalogue
        self._clock = clock
        self._heap: list[_Queued] = []
        self._keys: set[str] = set()
        self._order = itertools.count()
        self._changed = asyncio.Event()
        self._running: dict[str, int] = {}

    async def defer(self, job: str, args: Mapping[str, str], *, key: str | None = None, delay: float = 0) -> bool:
        if key is not None and key in self._keys:
            return False
        now = self._clock()
        self._push(_Queued(now + delay, next(self._order), self.catalogue.job(job), dict(args), key, 0, now))
        return True

    async def waiting(self, keys: Sequence[str]) -> set[str]:
        return {key for key in keys if key in self._keys}

    def _push(self, item: _Queued) -> None:
        heapq.heappush(self._heap, item)
        if item.key is not None:
            self._keys.add(item.key)
        self._changed.set()

    def _take_due(self, queues: Sequence[str] | None, limit: int) -> list[_Queued]:
        now = self._clock()
        taken: list[_Queued] = []
        kept: list[_Queued] = []
        while self._heap and self._heap[0].due <= now and len(taken) < limit:
            item = heapq.heappop(self._heap)
            if queues is None or item.job.queue in queues:
                taken.append(item)
                if item.key is not None:
                    self._keys.discard(item.key)
            else:
                kept.append(item)
        for item in kept:
            heapq.heappush(self._heap, item)
        return taken

    async def _execute(self, item: _Queued) -> None:
        queue = item.job.queue
        self._running[queue] = self._running.get(queue, 0) + 1
        try:
            await item.job.handler(**item.args)
        except Exception:
            item.attempts += 1
            if item.attempts >= item.job.max_attempts:
                logger.exception("job %s %s failed %d time(s); giving up", item.job.name, item.args, item.attempts)
                return
            delay = item.job.backoff**item.attempts
            logger.warning(
                "job %s %s failed (attempt %d of %d); retrying in %.0f s",
                item.job.name,
                item.args,
                item.attempts,
                item.job.max_attempts,
                delay,
                exc_info=True,
            )
            if item.key is not None and item.key in self._keys:
                return  # queued again meanwhile: that job will do it
            item.due, item.order = self._clock() + delay, next(self._order)
            self._push(item)
        finally:
            self._running[queue] -= 1

    async def drain(self, queues: Sequence[str] | None = None) -> int:
        ran = 0
        while batch := self._take_due(queues, 1000):
            await asyncio.gather(*(self._execute(item) for item in batch))
            ran += len(batch)
        return ran

    async def run(
        self, stop: asyncio.Event, *, queues: Sequence[str] | None = None, concurrency: int = 4, periodic: bool = True
    ) -> None:
        running: set[asyncio.Task[None]] = set()
        next_periodic = {spec.name: self._clock() for spec in self.catalogue.periodic} if periodic else {}
        logger.info("in-process task engine started (concurrency %d)", concurrency)
        while not stop.is_set():
            for spec in self.catalogue.periodic:
                if spec.name in next_periodic and next_periodic[spec.name] <= self._clock():
                    next_periodic[spec.name] = self._clock() + spec.every_seconds
                    await self._run_periodic(spec.name, spec.handler)
            self._changed.clear()
            while len(running) < concurrency and (batch := self._take_due(queues, 1)):
                task = asyncio.create_task(self._execute(batch[0]), name=f"job-{batch[0].job.name}")
                running.add(task)
                task.add_done_callback(running.discard)
            mine = (item.due for item in self._heap if queues is None or item.job.queue in queues)
            wake_at = min([*next_periodic.values(), *mine], default=self._clock() + 1)
            timeout = max(0.0, min(wake_at - self._clock(), 1.0))
            waiters = [asyncio.create_task(stop.wait())]
            if len(running) < concurrency:
                waiters.append(asyncio.create_task(self._changed.wait()))
            await asyncio.wait([*waiters, *running], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        logger.info("in-process task engine stopped")

    async def _run_periodic(self, name: str, handler: Callable[[], Awaitable[object]]) -> None:
        try:
            await handler()
        except Exception:  # the next tick tries again
            logger.exception("periodic job %s failed; it runs again at its next tick", name)

    async def stats(self) -> list[QueueStats]:
        now = self._clock()
        queues = sorted({job.queue for job in self.catalogue.jobs})
        answer = []
        for queue in queues:
            waiting = [item for item in self._heap if item.job.queue == queue and item.due <= now]  # as on PostgreSQL
            oldest = max((now - item.queued_at for item in waiting), default=0.0)
            answer.append(QueueStats(queue, len(waiting), self._running.get(queue, 0), oldest))
        return answer

    async def close(self) -> None:
        self._heap.clear()
        self._keys.clear()
