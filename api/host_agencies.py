"""Which agency a Host maps to (a verified custom domain, tenants/domains.py), kept a while per process.

Answers, found or not, are kept `HOST_TTL` seconds (`Services.host_agencies`), so a portal sign-in page costs no
query on each view; a domain verified or removed shows within that time, and at once in the process that verified
or removed it (`HostAgencies.forget`). The portal reads the answers (api/portal/host.py); the API's and the
portal's domain routes forget them. Both sit above this module, so neither imports the other.
"""

from __future__ import annotations

import time
import uuid

from tenants.database import Database
from tenants.domains import tenant_of_host

HOST_TTL = 30.0
"""Seconds a host's answer is kept."""
CACHE_MAX = 1000
"""Hosts kept at most; past that the cache starts again empty (a flood of made-up Host headers stays cheap)."""


def _normal(host: str) -> str:
    return host.strip().rstrip(".").lower()


class HostAgencies:
    """This process's answers to "which agency is this host?", each kept `ttl` seconds."""

    def __init__(self, database: Database, *, ttl: float = HOST_TTL) -> None:
        self._database = database
        self._ttl = ttl
        self._kept: dict[str, tuple[float, uuid.UUID | None]] = {}

    def forget(self, host: str) -> None:
        """Drop the kept answer for `host` (just verified or removed); other processes see it within the TTL."""
        self._kept.pop(_normal(host), None)

    async def agency_of(self, host: str) -> uuid.UUID | None:
        """The agency whose verified custom domain `host` is (as the portal's Host header gives it), or None."""
        now = time.monotonic()
        kept = self._kept.get(host)
        if kept is not None and kept[0] > now:
            return kept[1]
        async with self._database.system_session() as session:
            tenant_id = await tenant_of_host(session, host)
        if len(self._kept) > CACHE_MAX:
            self._kept.clear()
        self._kept[host] = (now + self._ttl, tenant_id)
        return tenant_id
