"""Where the portal's e-mailed links point: the agency's own verified domain when it has one, else the service.

A client of an agency that shows its brand on `portal.agency.example` should land there, not on the service's
address, when it follows an invitation or a sign-in link. The link keeps the scheme of `RESONANCE_PUBLIC_URL`
(https in production), since a custom domain is served by the same front end as the service's own address.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from sqlmodel import col, select

from api.services import Services
from tenants.domains import TenantDomain


async def portal_base_url(services: Services, tenant_id: uuid.UUID) -> str:
    """The base URL for links to this agency's portal pages, without a trailing slash.

    The agency's earliest verified domain (so the choice does not change when it verifies another), or the
    service's public URL when it has none."""
    public = services.settings.public_url.rstrip("/")
    async with services.database.tenant_session(tenant_id) as session:
        query = (
            select(TenantDomain.host)
            .where(col(TenantDomain.verified_at).is_not(None))
            .order_by(col(TenantDomain.verified_at), col(TenantDomain.host))
            .limit(1)
        )
        host = (await session.scalars(query)).first()
    if host is None:
        return public
    return f"{urlsplit(public).scheme}://{host}"
