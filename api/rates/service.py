"""A client's rates: engagement rate, follower growth and reach per post, account by account and period by period."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.clients.service import get_client
from api.metrics.history import AccountKind, client_accounts, load_histories
from api.metrics.rollup import Granularity
from api.metrics.window import AskedDays
from api.rates.formulas import ENGAGEMENT_RATE, FOLLOWER_GROWTH, INTERACTIONS, REACH_PER_POST
from api.rates.periods import account_rates
from api.rates.schemas import AccountRates, RatesOut

DEFAULT_DAYS = 30
METRICS = ("followers", "engagements", "reach", "impressions", *INTERACTIONS)
DEFINITIONS = {
    "engagement_rate": ENGAGEMENT_RATE,
    "follower_growth": FOLLOWER_GROWTH,
    "reach_per_post": REACH_PER_POST,
    "period": "Days, ISO weeks (Monday to Sunday) or calendar months in the client's time zone; the "
    "first and last periods only count their days inside the window (`days`).",
}


async def read_rates(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    days: AskedDays,
    granularity: Granularity,
    *,
    account_id: uuid.UUID | None = None,
    kind: AccountKind | None = None,
) -> RatesOut:
    """The rates of the caller's client `client_id` (of one account, or of one kind) by period of `granularity`."""
    client = await get_client(session, principal, client_id)
    window = days.window(client.timezone)
    accounts = await client_accounts(session, client_id, kind=kind, account_id=account_id)
    histories = await load_histories(session, accounts, window, METRICS, followers_before=True)
    return RatesOut(
        client_id=client_id,
        timezone=client.timezone,
        granularity=granularity,
        date_from=window.start,
        date_to=window.end,
        definitions=DEFINITIONS,
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
