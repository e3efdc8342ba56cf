"""One computation per key at a time: concurrent callers of the same key share its result.

When a cached value expires under load, every request that arrives before it is recomputed would
otherwise run the same database work at once, and the pile-up shows as tail latency. With `run`,
the first caller computes and the others await its result (or its exception). A computation whose
caller was cancelled (the client went away) does not take the others down: they compute it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """In-process deduplication of concurrent computations by key."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    def pending(self, key: K) -> asyncio.Future[V] | None:
        """The computation of `key` in flight, if any."""
        return self._running.get(key)

    @staticmethod
    async def wait(running: asyncio.Future[V]) -> tuple[bool, V | None]:
        """`(True, result)` of a computation in flight, `(False, None)` if it was cancelled."""
        try:
            return True, await asyncio.shield(running)
        except asyncio.CancelledError:
            if running.cancelled():
                return False, None
            raise

    async def run(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The result of the computation of `key` in flight, else of `compute()` run now."""
        while (running := self._running.get(key)) is not None:
            done, result = await self.wait(running)
            if done:
                return result  # type: ignore[return-value]
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # marked as retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._running[key]
