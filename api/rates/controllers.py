"""Reading a client's rates: engagement rate, follower growth and reach per post by period."""

from __future__ import annotations

import uuid

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.metrics.history import AccountKind
from api.metrics.rollup import Granularity
from api.metrics.window import AskedDays
from api.parameters import local_days
from api.rates.schemas import RatesOut
from api.rates.service import DEFAULT_DAYS, read_rates


class RatesController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["analytics"]

    @get(
        "/v1/clients/{client_id:uuid}/rates",
        guards=[require("read")],
        summary="Read a client's rates by period",
        dependencies={"days": local_days(DEFAULT_DAYS)},
    )
    async def read_rates(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        days: AskedDays,
        granularity: Granularity = Parameter(default="day", description="day, week (ISO, Monday) or month."),
        account_id: uuid.UUID | None = Parameter(default=None, description="Only this account of the client."),
        kind: AccountKind | None = Parameter(default=None, description="Only owned or only competitor accounts."),
    ) -> RatesOut:
        """Per account and period (days in the client's time zone): engagement rate (and which denominator
        it used), follower growth (absolute and %), and reach per post; `definitions` states each formula."""
        return await read_rates(session, principal, client_id, days, granularity, account_id=account_id, kind=kind)
