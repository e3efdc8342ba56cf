"""Reading a client's rates: engagement rate, follower growth and reach per post by period."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.metrics.history import AccountKind, client_accounts, load_histories
from api.metrics.rollup import Granularity
from api.metrics.window import resolve_window
from api.rates.formulas import ENGAGEMENT_RATE, FOLLOWER_GROWTH, INTERACTIONS, REACH_PER_POST
from api.rates.periods import account_rates
from api.rates.schemas import AccountRates, RatesOut

DEFAULT_DAYS = 30
METRICS = ("followers", "engagements", "reach", "impressions", *INTERACTIONS)


class RatesController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["analytics"]

    @get("/v1/clients/{client_id:uuid}/rates", guards=[require("read")], summary="Read a client's rates by period")
    async def read_rates(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        date_from: Annotated[
            date | None, QueryParameter(name="from", description="First local day (default: 30 days before to).")
        ] = None,
        date_to: Annotated[
            date | None, QueryParameter(name="to", description="Last local day, included (default: today).")
        ] = None,
        granularity: Granularity = Parameter(default="day", description="day, week (ISO, Monday) or month."),
        account_id: uuid.UUID | None = Parameter(default=None, description="Only this account of the client."),
        kind: AccountKind | None = Parameter(default=None, description="Only owned or only competitor accounts."),
    ) -> RatesOut:
        """Per account and period (days in the client's time zone): engagement rate (and which denominator
        it used), follower growth (absolute and %), and reach per post; `definitions` states each formula."""
        client = await get_client(session, principal, client_id)
        window = resolve_window(date_from, date_to, client.timezone, DEFAULT_DAYS)
        accounts = await client_accounts(session, client_id, kind=kind, account_id=account_id)
        histories = await load_histories(session, accounts, window, METRICS, followers_before=True)
        return RatesOut(
            client_id=client_id,
            timezone=client.timezone,
            granularity=granularity,
            date_from=window.start,
            date_to=window.end,
            definitions={
                "engagement_rate": ENGAGEMENT_RATE,
                "follower_growth": FOLLOWER_GROWTH,
                "reach_per_post": REACH_PER_POST,
                "period": "Days, ISO weeks (Monday to Sunday) or calendar months in the client's time zone; the "
                "first and last periods only count their days inside the window (`days`).",
            },
            accounts=[
                AccountRates(
                    account_id=history.account_id,
                    network=history.network,
                    handle=history.handle,
                    kind=history.kind,
                    periods=account_rates(history, window, granularity),
                )
                for history in histories
            ],
        )
