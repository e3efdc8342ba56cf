"""A client's presence: cadence, silences, regularity, audience and best slots per account."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.clients.models import Client
from api.clients.service import get_client
from api.metrics.history import AccountKind, client_accounts, load_histories
from api.metrics.sources import native_to_canonical, reports
from api.metrics.window import AskedDays, DayRange
from api.presence.audience import AUDIENCE_GROWTH, REACH_BEYOND_FOLLOWERS
from api.presence.cadence import DAYS_SINCE_LAST_POST, LONGEST_SILENCE, POSTS_PER_WEEK, REGULARITY
from api.presence.schemas import PresenceOut
from api.presence.slots import BEST_SLOTS
from api.presence.summary import account_presence
from plugins.registry import Registry

DEFAULT_DAYS = 90
METRICS = ("followers", "reach", "reach_non_followers")
DEFINITIONS = {
    "window": "From `from` to `to`, both included, as local days in the client's time zone; posts are placed "
    "on their local day and hour.",
    "posts_per_week": POSTS_PER_WEEK,
    "days_since_last_post": DAYS_SINCE_LAST_POST,
    "longest_silence": LONGEST_SILENCE,
    "regularity": REGULARITY,
    "audience": AUDIENCE_GROWTH,
    "reach_beyond_followers": REACH_BEYOND_FOLLOWERS,
    "best_slots": BEST_SLOTS,
}


async def presence_of(
    session: AsyncSession, registry: Registry, client: Client, window: DayRange, kind: AccountKind = "owned"
) -> PresenceOut:
    """The presence of the client's accounts of `kind` over `window` (used by the API and the reports)."""
    accounts = await client_accounts(session, client.id, kind=kind)
    histories = await load_histories(session, accounts, window, METRICS)
    return PresenceOut(
        client_id=client.id,
        timezone=client.timezone,
        date_from=window.start,
        date_to=window.end,
        definitions=DEFINITIONS,
        accounts=[
            account_presence(
                history,
                window,
                native_to_canonical(registry, history.network),
                reports(registry, history.network, "reach_non_followers"),
            )
            for history in histories
        ],
    )


async def read_presence(
    session: AsyncSession,
    principal: Principal,
    registry: Registry,
    client_id: uuid.UUID,
    days: AskedDays,
    kind: AccountKind,
) -> PresenceOut:
    """The presence of the caller's client `client_id` over the asked days (404 for another tenant's client)."""
    client = await get_client(session, principal, client_id)
    return await presence_of(session, registry, client, days.window(client.timezone), kind)
