"""The agency of a request's Host: a custom domain of the agency (tenants/domains.py), looked up once in a while.

Answers, found or not, are kept `HOST_TTL` seconds per application, so a sign-in page costs no query on each view;
a domain verified or removed shows within that time (at once in the process that verified or removed it). Only a
verified domain maps to its agency.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from litestar import Request
from litestar.datastructures import State

from api.services import Services
from tenants.branding import BrandLook, brand_look
from tenants.domains import tenant_of_host
from tenants.models import Tenant

HOST_TTL = 30.0
"""Seconds a host's answer is kept."""
_CACHE_KEY = "portal_host_tenants"


def request_host(request: Request[Any, Any, Any]) -> str:
    """The Host header without its port, lower case."""
    host = request.headers.get("host", "")
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


def forget_host(state: State, host: str) -> None:
    """Drop this process's kept answer for `host` (just verified or removed); other processes see it in time."""
    cache: dict[str, tuple[float, uuid.UUID | None]] = state.get(_CACHE_KEY, {})
    cache.pop(host.strip().rstrip(".").lower(), None)


async def tenant_of_request(request: Request[Any, Any, Any], services: Services) -> uuid.UUID | None:
    """The agency whose custom domain this request came to, or None."""
    host = request_host(request)
    if not host:
        return None
    cache: dict[str, tuple[float, uuid.UUID | None]] = request.app.state.setdefault(_CACHE_KEY, {})
    now = time.monotonic()
    kept = cache.get(host)
    if kept is not None and kept[0] > now:
        return kept[1]
    async with services.database.system_session() as session:
        tenant_id = await tenant_of_host(session, host)
    if len(cache) > 1000:
        cache.clear()
    cache[host] = (now + HOST_TTL, tenant_id)
    return tenant_id


async def brand_of_request(request: Request[Any, Any, Any], services: Services) -> BrandLook | None:
    """The brand of the agency whose custom domain this request came to, or None."""
    tenant_id = await tenant_of_request(request, services)
    if tenant_id is None:
        return None
    async with services.database.tenant_session(tenant_id) as session:
        agency = await session.get(Tenant, tenant_id)
        return await brand_look(session, agency.name) if agency else None
