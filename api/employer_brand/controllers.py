"""`GET /v1/clients/{client_id}/employer-brand`: how strong the client is as an employer."""

from __future__ import annotations

import uuid

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.client_analysis import ClientAnalysis, analysis
from api.employer_brand.schemas import EmployerBrandOut
from api.employer_brand.service import DEFAULT_DAYS, read_employer_brand
from api.metrics.window import AskedDays
from api.parameters import client_days
from api.services import Services


class EmployerBrandController(ClientAnalysis):
    @analysis("employer-brand", summary="The client's employer-brand index", days=client_days(DEFAULT_DAYS))
    async def employer_brand(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        services: Services,
        days: AskedDays,
        tag: list[str] | None = Parameter(
            default=None, description="Post tags that mark employer-brand content (repeatable; default employer_brand)."
        ),
    ) -> EmployerBrandOut:
        """An index from 0 to 100 built from four measured components of the client's owned accounts:
        employer-brand content (posts carrying the tag) engaging compared with all posts, follower growth
        on professional networks, sentiment of mentions about working there, and applications recorded in
        the ROI ledger per 1,000 people reached by employer-brand posts. Each component comes with its
        inputs and formula; a component with nothing to measure is left out and says why."""
        return await read_employer_brand(session, principal, services.registry, client_id, days, tag)
