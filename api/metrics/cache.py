"""A short-lived, per-process cache of metrics responses, per tenant.

Metrics change when a sync writes points (every few hours per account), while dashboards read the
same series again and again. A response is kept for `ttl` seconds; in this process it is dropped at
once when the tenant's data changes (a sync stored points, a client or account was deleted), and
another process's change is seen within `ttl`. Keys start with the tenant id, which comes from the
API key, so one tenant's cached answer can never be served to another.

Concurrent misses of one key share a single computation (`load`): when an entry expires under load,
one request reads the database and the others wait for its answer instead of all running the same
query at once. An answer computed while the tenant's data changed is returned but not kept.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from api.singleflight import SingleFlight

Key = tuple[uuid.UUID, str]


class MetricsCache:
    """Encoded responses by (tenant, query string), expiring after `ttl` seconds, at most `size` of them."""

    def __init__(self, ttl: float, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[Key, tuple[float, bytes]] = OrderedDict()
        self.loading: SingleFlight[Key, bytes] = SingleFlight()
        self._generation: dict[uuid.UUID, int] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, tenant_id: uuid.UUID, query: str) -> bytes | None:
        """The cached body, or None when absent or expired."""
        entry = self._entries.get((tenant_id, query))
        if entry is None:
            return None
        expires, body = entry
        if expires < time.monotonic():
            self._entries.pop((tenant_id, query), None)
            return None
        self._entries.move_to_end((tenant_id, query))
        return body

    async def load(self, tenant_id: uuid.UUID, query: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached body, else the one computation of it in flight, else `compute()` (kept for `ttl`)."""
        cached = self.get(tenant_id, query)
        if cached is not None:
            return cached
        generation = self._generation.get(tenant_id, 0)

        async def compute_and_keep() -> bytes:
            body = await compute()
            if self._generation.get(tenant_id, 0) == generation:
                self.put(tenant_id, query, body)
            return body

        return await self.loading.run((tenant_id, query), compute_and_keep)

    def put(self, tenant_id: uuid.UUID, query: str, body: bytes) -> None:
        """Keep `body` for `ttl` seconds (nothing when disabled)."""
        if not self.enabled:
            return
        self._entries[(tenant_id, query)] = (time.monotonic() + self.ttl, body)
        self._entries.move_to_end((tenant_id, query))
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Forget everything cached for `tenant_id` (its data just changed)."""
        self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1
        for key in [key for key in self._entries if key[0] == tenant_id]:
            del self._entries[key]
