"""EMV rates and the ROI report over HTTP."""

from __future__ import annotations

import uuid

from litestar import Controller, get, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.metrics.window import AskedDays
from api.parameters import day_range
from api.roi.schemas import EmvRatesIn, EmvRatesOut, RoiOut
from api.roi.service import DEFAULT_DAYS, read_emv_rates, read_roi, replace_emv_rates
from tenants.audit import Actor

DAYS = day_range(
    "First day (default: 29 days before `to`).",
    "Last day, included (default: today, client's zone).",
    default_days=DEFAULT_DAYS,
)


class EmvRatesController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/emv-rates"
    tags = ["roi"]

    @get("/", guards=[require("read")], summary="The client's EMV rates")
    async def get_rates(self, client_id: uuid.UUID, session: AsyncSession, principal: Principal) -> EmvRatesOut:
        """The rates EMV uses for this client, in its currency: its own where set (`customized`), the
        documented defaults elsewhere."""
        return await read_emv_rates(session, principal, client_id)

    @put("/", guards=[require("write")], summary="Set the client's EMV rates")
    async def put_rates(
        self, client_id: uuid.UUID, data: EmvRatesIn, session: AsyncSession, principal: Principal, actor: Actor
    ) -> EmvRatesOut:
        """Replace the client's own rates: CPM by network, a CPM for other networks, and a value per action
        (reactions, comments, shares, saves, clicks, video_views, profile_views). Rates left out take the
        defaults; an empty body goes back to the defaults."""
        return await replace_emv_rates(session, principal, actor, client_id, data)


class RoiController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/roi"
    tags = ["roi"]

    @get("/", guards=[require("read")], summary="ROI, ROAS and EMV of a client", dependencies={"days": DAYS})
    async def roi(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        days: AskedDays,
        network: str | None = Parameter(default=None, description="Only this network's entries and EMV."),
    ) -> RoiOut:
        """ROI = (value − cost) ÷ cost and ROAS = conversion revenue ÷ ad spend over the window, with totals per
        cost type, value type and network, and earned media value on its own line (never in value or ROI).
        The answer carries the formulas, the inputs and the rates used; amounts are exact decimals in the
        client's currency, rounded only for display."""
        return await read_roi(session, principal, client_id, days, network)
