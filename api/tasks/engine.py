"""The interface every task engine offers, whatever runs the jobs underneath."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Handler = Callable[..., Awaitable[object]]
"""A job's code: called with the job's arguments as keyword arguments (strings, JSON-encodable)."""


@dataclass(frozen=True)
class Job:
    """A kind of job: its name (stable: queued jobs refer to it), the queue it waits in, how often it is tried."""

    name: str
    queue: str
    handler: Handler
    max_attempts: int = 5
    """Attempts when the handler raises, waiting about `backoff` ** attempt seconds between them."""
    backoff: int = 2


@dataclass(frozen=True)
class Periodic:
    """A job deferred every `every_seconds`, once however many processes schedule it."""

    name: str
    every_seconds: float
    handler: Callable[[], Awaitable[object]]
    queue: str = "schedule"


@dataclass(frozen=True)
class Catalogue:
    """Every kind of job and periodic job one process knows."""

    jobs: Sequence[Job]
    periodic: Sequence[Periodic] = field(default_factory=tuple)

    def job(self, name: str) -> Job:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(f"no job named {name!r}")


@dataclass(frozen=True)
class QueueStats:
    """One queue seen from the engine: jobs waiting, the age of the oldest, jobs running."""

    queue: str
    waiting: int
    running: int
    oldest_seconds: float


class TaskEngine(Protocol):
    """Defers jobs and runs them. Implementations: `InProcessEngine`, `ProcrastinateEngine`."""

    catalogue: Catalogue

    async def defer(self, job: str, args: Mapping[str, str], *, key: str | None = None, delay: float = 0) -> bool:
        """Queue `job` with `args`, to run no sooner than `delay` seconds from now.

        `key` names the job's subject (a sync run, a delivery): while a job with that key waits, another is not
        queued and False is returned. A job deferred while the same key runs is queued (it finds nothing left
        to do, or the next thing to do)."""
        ...

    async def waiting(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` have a job waiting (not yet started): the dispatch skips them instead of deferring again."""
        ...

    async def run(
        self, stop: asyncio.Event, *, queues: Sequence[str] | None = None, concurrency: int = 4, periodic: bool = True
    ) -> None:
        """Run jobs of `queues` (None: all) until `stop` is set, then let the running ones finish.

        With `periodic`, this process also defers the periodic jobs when they are due."""
        ...

    async def drain(self, queues: Sequence[str] | None = None) -> int:
        """Run every job waiting now, and those they queue, until none is left; returns how many ran."""
        ...

    async def stats(self) -> list[QueueStats]:
        """Depth and age of every queue, for metrics and `resonance worker --status`."""
        ...

    async def close(self) -> None:
        """Release connections; the engine is not used afterwards."""
        ...
