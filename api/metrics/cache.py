"""A short-lived, per-process cache of metrics responses, per tenant.

Metrics change when a sync writes points (every few hours per account), while dashboards read the
same series again and again. A response is kept for `ttl` seconds; in this process it is dropped at
once when the tenant's data changes (a sync stored points, a client or account was deleted), and
another process's change is seen within `ttl`. Keys start with the tenant id, which comes from the
API key, so one tenant's cached answer can never be served to another.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict


class MetricsCache:
    """Encoded responses by (tenant, query string), expiring after `ttl` seconds, at most `size` of them."""

    def __init__(self, ttl: float, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[tuple[uuid.UUID, str], tuple[float, bytes]] = OrderedDict()

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
        for key in [key for key in self._entries if key[0] == tenant_id]:
            del self._entries[key]
