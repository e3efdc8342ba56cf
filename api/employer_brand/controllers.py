"""`GET /v1/clients/{client_id}/employer-brand`: how strong the client is as an employer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.employer_brand.schemas import EmployerBrandOut
from api.employer_brand.service import DEFAULT_DAYS, DEFAULT_TAGS, employer_brand_of
from api.metrics.window import resolve_window


class EmployerBrandController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["analytics"]

    @get(
        "/v1/clients/{client_id:uuid}/employer-brand",
        guards=[require("read")],
        summary="The client's employer-brand index",
    )
    async def employer_brand(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        date_from: Annotated[
            date | None, QueryParameter(name="from", description="First day (default: 90 days before `to`).")
        ] = None,
        date_to: Annotated[
            date | None, QueryParameter(name="to", description="Last day, included (default: today, client's time).")
        ] = None,
        tag: list[str] | None = Parameter(
            default=None, description="Post tags that mark employer-brand content (repeatable; default employer_brand)."
        ),
    ) -> EmployerBrandOut:
        """An index from 0 to 100 built from four measured components of the client's owned accounts:
        employer-brand content (posts carrying the tag) engaging compared with all posts, follower growth
        on professional networks, sentiment of mentions about working there, and applications recorded in
        the ROI ledger per 1,000 people reached by employer-brand posts. Each component comes with its
        inputs and formula; a component with nothing to measure is left out and says why."""
        client = await get_client(session, principal, client_id)
        window = resolve_window(date_from, date_to, client.timezone, DEFAULT_DAYS)
        return await employer_brand_of(session, state.registry, client, window, set(tag or DEFAULT_TAGS))
