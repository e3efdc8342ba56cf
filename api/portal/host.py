"""The agency and brand of a portal request's Host: a verified custom domain of the agency.

The host → agency answers are kept a while per application (api/host_agencies.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request

from api.services import Services
from tenants.branding import BrandLook, brand_look
from tenants.models import Tenant


def request_host(request: Request[Any, Any, Any]) -> str:
    """The Host header without its port, lower case."""
    host = request.headers.get("host", "")
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


async def tenant_of_request(request: Request[Any, Any, Any], services: Services) -> uuid.UUID | None:
    """The agency whose custom domain this request came to, or None."""
    host = request_host(request)
    if not host:
        return None
    return await services.host_agencies.agency_of(host)


async def brand_of_request(request: Request[Any, Any, Any], services: Services) -> BrandLook | None:
    """The brand of the agency whose custom domain this request came to, or None."""
    tenant_id = await tenant_of_request(request, services)
    if tenant_id is None:
        return None
    async with services.database.tenant_session(tenant_id) as session:
        agency = await session.get(Tenant, tenant_id)
        return await brand_look(session, agency.name) if agency else None
