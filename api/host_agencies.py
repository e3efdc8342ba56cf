"""Which agency a Host maps to (a verified custom domain, tenants/domains.py), kept a while per application.

Answers, found or not, are kept `HOST_TTL` seconds in the application's state, so a portal sign-in page costs no
query on each view; a domain verified or removed shows within that time, and at once in the process that verified
or removed it (`forget_host`). The portal reads the answers (api/portal/host.py); the API's domain routes
(api/tenancy/brand.py) forget them. Both sit above this module, so neither imports the other.
"""

from __future__ import annotations

import time
import uuid

from litestar.datastructures import State

from tenants.database import Database
from tenants.domains import tenant_of_host

HOST_TTL = 30.0
"""Seconds a host's answer is kept."""
_CACHE_KEY = "portal_host_tenants"
_CACHE_MAX = 1000
"""Hosts kept at most; past that the cache starts again empty (a flood of made-up Host headers stays cheap)."""

_Kept = dict[str, tuple[float, uuid.UUID | None]]


def _normal(host: str) -> str:
    return host.strip().rstrip(".").lower()


def forget_host(state: State, host: str) -> None:
    """Drop this process's kept answer for `host` (just verified or removed); other processes see it in time."""
    cache: _Kept = state.get(_CACHE_KEY, {})
    cache.pop(_normal(host), None)


async def agency_of_host(state: State, database: Database, host: str) -> uuid.UUID | None:
    """The agency whose verified custom domain `host` is (as the portal's Host header gives it), or None."""
    cache: _Kept = state.setdefault(_CACHE_KEY, {})
    now = time.monotonic()
    kept = cache.get(host)
    if kept is not None and kept[0] > now:
        return kept[1]
    async with database.system_session() as session:
        tenant_id = await tenant_of_host(session, host)
    if len(cache) > _CACHE_MAX:
        cache.clear()
    cache[host] = (now + HOST_TTL, tenant_id)
    return tenant_id
