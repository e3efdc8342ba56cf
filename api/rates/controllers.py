"""Reading a client's rates: engagement rate, follower growth and reach per post by period."""

from __future__ import annotations

import uuid

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.client_analysis import ClientAnalysis, analysis
from api.content.history import AccountKind
from api.metrics.rollup import Granularity
from api.metrics.window import AskedDays
from api.parameters import local_days
from api.rates.schemas import RatesOut
from api.rates.service import DEFAULT_DAYS, read_rates


class RatesController(ClientAnalysis):
    @analysis("rates", summary="Read a client's rates by period", days=local_days(DEFAULT_DAYS))
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
