"""A short-lived, per-process cache of read answers, per tenant: encoded `GET /v1/metrics` responses, and the
portal's dashboards.

Metrics change when a sync writes points (every few hours per account), while dashboards read the
same series again and again. A response is fresh for `ttl` seconds; in this process it is dropped at
once when the tenant's data changes (a sync stored points, a client or account was deleted). Keys
start with the tenant id, which comes from the API key, so one tenant's cached answer can never be
served to another; then comes the client the key is limited to (None for a key of the whole agency),
so an answer computed for the agency is never served to a key limited to another client, for which
the same query string is a 404.

An entry read in the last second of its freshness is recomputed by one background task while it is
served (refresh-ahead), so under steady traffic answers are renewed before they expire and no request
waits for the database. After `ttl`, an entry is stale for another `ttl` seconds: a read of a stale
entry is answered with it at once while the background task reads the database again
(stale-while-revalidate); an entry nobody read for `2 * ttl` is gone and the next read computes it.
So another process's change shows within `ttl` under steady traffic, and within `2 * ttl` at most.
Concurrent misses of one key share a single computation (`load`), and an answer computed while the
tenant's data changed is returned but not kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from api.singleflight import SingleFlight

V = TypeVar("V")
Key = tuple[uuid.UUID, uuid.UUID | None, str]
"""(tenant, the client the reader is limited to or None, what was asked: a query string, say)."""
Compute = Callable[[], Awaitable[V]]
logger = logging.getLogger(__name__)
REFRESH_AHEAD_SECONDS = 1.0
"""An entry read in its last second of freshness (or last fifth, for short TTLs) is recomputed in the
background while it is served, so under steady traffic it is renewed before it goes stale."""


@dataclass(frozen=True)
class _Entry(Generic[V]):
    refresh_at: float
    fresh_until: float
    stale_until: float
    body: V
    compute: Compute[V] | None


class ReadCache(Generic[V]):
    """Answers by (tenant, client limit, what was asked): fresh for `ttl` seconds, then stale as long again."""

    def __init__(self, ttl: float, size: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        """Seconds on a monotonic clock; tests pass their own to step through freshness without sleeping."""
        self._entries: OrderedDict[Key, _Entry[V]] = OrderedDict()
        self.loading: SingleFlight[Key, V] = SingleFlight()
        self._generation: dict[uuid.UUID, int] = {}
        self._refreshing: set[asyncio.Task[V]] = set()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, tenant_id: uuid.UUID, query: str, client_id: uuid.UUID | None = None) -> V | None:
        """The cached body (fresh, or stale while a refresh runs), or None when absent or too old."""
        key = (tenant_id, client_id, query)
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if now >= entry.fresh_until and (now >= entry.stale_until or entry.compute is None):
            self._entries.pop(key, None)
            return None
        if now >= entry.refresh_at and entry.compute is not None:
            self._revalidate(key, entry.compute)
        self._entries.move_to_end(key)
        return entry.body

    def _revalidate(self, key: Key, compute: Compute[V]) -> None:
        if self.loading.pending(key) is not None:
            return
        task = asyncio.get_running_loop().create_task(self.loading.run(key, self._keeper(key, compute)))
        self._refreshing.add(task)
        task.add_done_callback(lambda done: self._refreshed(key, done))

    async def settled(self) -> None:
        """Wait for the background refreshes running now (their errors are theirs: see `_refreshed`)."""
        await asyncio.gather(*self._refreshing, return_exceptions=True)

    def _refreshed(self, key: Key, task: asyncio.Task[V]) -> None:
        self._refreshing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The next read computes it in its own request and meets the error itself (a deleted account: 404).
            self._entries.pop(key, None)
            logger.info("refreshing a cached read failed: %s", type(task.exception()).__name__)

    def _keeper(self, key: Key, compute: Compute[V]) -> Compute[V]:
        """`compute`, keeping its answer unless the tenant's data changed meanwhile."""
        tenant_id, client_id, query = key
        generation = self._generation.get(tenant_id, 0)

        async def compute_and_keep() -> V:
            body = await compute()
            if self._generation.get(tenant_id, 0) == generation:
                self.put(tenant_id, query, body, compute, client_id=client_id)
            return body

        return compute_and_keep

    async def load(
        self, tenant_id: uuid.UUID, query: str, compute: Compute[V], client_id: uuid.UUID | None = None
    ) -> V:
        """The cached body, else the one computation of it in flight, else `compute()` (kept for `ttl`)."""
        cached = self.get(tenant_id, query, client_id)
        if cached is not None:
            return cached
        key = (tenant_id, client_id, query)
        return await self.loading.run(key, self._keeper(key, compute))

    def put(
        self,
        tenant_id: uuid.UUID,
        query: str,
        body: V,
        compute: Compute[V] | None = None,
        *,
        client_id: uuid.UUID | None = None,
    ) -> None:
        """Keep `body` for `ttl` seconds, and `compute` to refresh it afterwards (nothing when disabled)."""
        if not self.enabled:
            return
        now = self.clock()
        key = (tenant_id, client_id, query)
        refresh_at = now + self.ttl - min(REFRESH_AHEAD_SECONDS, self.ttl / 5)
        self._entries[key] = _Entry(refresh_at, now + self.ttl, now + 2 * self.ttl, body, compute)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Forget everything cached for `tenant_id` (its data just changed)."""
        self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1
        for key in [key for key in self._entries if key[0] == tenant_id]:
            del self._entries[key]
