"""A client's benchmark: its accounts against its competitors', share of voice, rank among peers."""

from __future__ import annotations

import uuid

from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.auth import Principal
from api.benchmark.percentiles import MIN_GROUP, PERCENTILES, position
from api.benchmark.schemas import BenchmarkOut, PeerPercentiles, ShareOfVoice, Side
from api.benchmark.share_of_voice import SHARE_OF_VOICE, share_of_voice
from api.benchmark.sides import ACCOUNT_FIGURES, SIDE_FIGURES, SideFigures, account_figures, side_figures
from api.clients.models import Client
from api.clients.service import get_client
from api.content.models import StoredMention
from api.metrics.history import client_accounts, load_histories
from api.metrics.window import AskedDays, DayRange
from api.rates.formulas import INTERACTIONS

DEFAULT_DAYS = 90
METRICS = ("followers", "engagements", "reach", "impressions", *INTERACTIONS)


async def _sides(session: AsyncSession, accounts: list[SocialAccount], window: DayRange) -> dict[str, Side]:
    figures = [account_figures(h, window) for h in await load_histories(session, accounts, window, METRICS)]
    return {
        kind: Side(total=side_figures(chosen), accounts=chosen)
        for kind in ("owned", "competitor")
        for chosen in [[f for f in figures if f.kind == kind]]
    }


async def _voice(
    session: AsyncSession, client_id: uuid.UUID, accounts: list[SocialAccount], window: DayRange
) -> ShareOfVoice:
    by_id = {account.id: account for account in accounts}
    first, after = window.utc_bounds()
    statement = sa_select(col(StoredMention.account_id)).where(
        col(StoredMention.client_id) == client_id,
        col(StoredMention.kind) == "mention",
        col(StoredMention.account_id).in_(list(by_id)),
        col(StoredMention.published_at) >= first,
        col(StoredMention.published_at) < after,
    )
    rows = (await session.execute(statement)).scalars().all()
    total, networks = share_of_voice((by_id[row].network, by_id[row].kind) for row in rows if row in by_id)
    return ShareOfVoice(total=total, networks=networks)


async def _peer_owned(session: AsyncSession, peer: Client, window: DayRange) -> SideFigures:
    """A peer client's owned side over the same local dates in its own time zone."""
    accounts = await client_accounts(session, peer.id, kind="owned")
    own_window = DayRange(start=window.start, end=window.end, timezone=peer.timezone)
    histories = await load_histories(session, accounts, own_window, METRICS)
    return side_figures([account_figures(h, own_window) for h in histories])


async def _percentiles(session: AsyncSession, client: Client, owned: SideFigures, window: DayRange) -> PeerPercentiles:
    if client.industry is None:
        return PeerPercentiles(
            industry=None,
            min_group_size=MIN_GROUP,
            reason="this client has no industry; set it with PATCH /v1/clients/{client_id} to compare it with peers.",
            engagement_rate=None,
            growth_pct=None,
            posts_per_week=None,
        )
    peers = (
        await session.scalars(
            select(Client).where(col(Client.industry) == client.industry, col(Client.id) != client.id)
        )
    ).all()
    figures = [await _peer_owned(session, peer, window) for peer in peers]
    return PeerPercentiles(
        industry=client.industry,
        min_group_size=MIN_GROUP,
        reason=None,
        engagement_rate=position(owned.engagement_rate, [f.engagement_rate for f in figures]),
        growth_pct=position(owned.growth_pct, [f.growth_pct for f in figures]),
        posts_per_week=position(owned.posts_per_week, [f.posts_per_week for f in figures]),
    )


async def benchmark_of(session: AsyncSession, client: Client, window: DayRange) -> BenchmarkOut:
    """The client's benchmark over `window` (used by the API and the reports)."""
    accounts = await client_accounts(session, client.id)
    sides = await _sides(session, accounts, window)
    return BenchmarkOut(
        client_id=client.id,
        timezone=client.timezone,
        date_from=window.start,
        date_to=window.end,
        definitions={
            "accounts": ACCOUNT_FIGURES,
            "sides": SIDE_FIGURES,
            "share_of_voice": SHARE_OF_VOICE,
            "percentiles": PERCENTILES,
        },
        owned=sides["owned"],
        competitor=sides["competitor"],
        share_of_voice=await _voice(session, client.id, accounts, window),
        percentiles=await _percentiles(session, client, sides["owned"].total, window),
    )


async def read_benchmark(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, days: AskedDays
) -> BenchmarkOut:
    """The benchmark of the caller's client `client_id` over the asked days (404 for another tenant's client)."""
    client = await get_client(session, principal, client_id)
    return await benchmark_of(session, client, days.window(client.timezone))
