"""Computing the employer-brand index of a client over a window (used by the API and the reports)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.auth import Principal
from api.clients.models import Client
from api.clients.service import get_client
from api.content.models import StoredMention, StoredPost
from api.employer_brand import index
from api.employer_brand.schemas import ComponentOut, EmployerBrandOut
from api.employer_brand.topics import WORKPLACE_PHRASES, is_about_working_there
from api.metrics.models import StoredMetricPoint
from api.metrics.sources import native_to_canonical
from api.metrics.window import AskedDays, DayRange
from api.rates.formulas import post_engagement, post_reach
from api.roi.models import ValueEntry
from plugins.registry import Registry

DEFAULT_DAYS = 90
DEFAULT_TAGS = ("employer_brand",)
PROFESSIONAL_NETWORKS = ("linkedin",)
"""Networks whose audience counts as the professional audience (connector ids)."""


async def _content(
    session: AsyncSession,
    registry: Registry,
    accounts: list[SocialAccount],
    bounds: tuple[datetime, datetime],
    tags: set[str],
) -> tuple[index.Component, float, int]:
    networks = {account.id: account.network for account in accounts}
    mappings = {network: native_to_canonical(registry, network) for network in set(networks.values())}
    posts = (
        await session.scalars(
            select(StoredPost).where(
                col(StoredPost.account_id).in_(list(networks)),
                col(StoredPost.published_at) >= bounds[0],
                col(StoredPost.published_at) < bounds[1],
            )
        )
    ).all()
    totals = {"all_reach": 0.0, "all_engagements": 0.0, "tagged_reach": 0.0, "tagged_engagements": 0.0}
    tagged_posts = 0
    for post in posts:
        mapping = mappings[networks[post.account_id]]
        reach = post_reach(post.metrics, mapping)
        engagements, _fields = post_engagement(post.metrics, mapping)
        totals["all_reach"] += reach
        totals["all_engagements"] += engagements
        if tags.intersection(post.tags):
            tagged_posts += 1
            totals["tagged_reach"] += reach
            totals["tagged_engagements"] += engagements
    component = index.content_score(
        totals["tagged_engagements"], totals["tagged_reach"], totals["all_engagements"], totals["all_reach"]
    )
    return component, totals["tagged_reach"], tagged_posts


async def _audience(session: AsyncSession, accounts: list[SocialAccount], start: date, end: date) -> index.Component:
    professional = [account.id for account in accounts if account.network in PROFESSIONAL_NETWORKS]
    rows = (
        await session.execute(
            sa_select(col(StoredMetricPoint.account_id), col(StoredMetricPoint.day), col(StoredMetricPoint.value))
            .where(
                col(StoredMetricPoint.account_id).in_(professional),
                col(StoredMetricPoint.metric) == "followers",
                col(StoredMetricPoint.day) >= start,
                col(StoredMetricPoint.day) <= end,
            )
            .order_by(col(StoredMetricPoint.account_id), col(StoredMetricPoint.day))
        )
    ).all()
    first: dict[uuid.UUID, tuple[date, float]] = {}
    last: dict[uuid.UUID, tuple[date, float]] = {}
    for account_id, day, value in rows:
        first.setdefault(account_id, (day, value))
        last[account_id] = (day, value)
    if not first:
        return index.audience_score(0.0, 0.0, 0)
    days = (max(day for day, _ in last.values()) - min(day for day, _ in first.values())).days
    return index.audience_score(
        sum(value for _, value in first.values()), sum(value for _, value in last.values()), days
    )


async def _sentiment(
    session: AsyncSession, client_id: uuid.UUID, bounds: tuple[datetime, datetime]
) -> tuple[index.Component, int, int]:
    rows = (
        await session.execute(
            sa_select(col(StoredMention.text), col(StoredMention.sentiment_label)).where(
                col(StoredMention.client_id) == client_id,
                col(StoredMention.published_at) >= bounds[0],
                col(StoredMention.published_at) < bounds[1],
            )
        )
    ).all()
    labels: Counter[str | None] = Counter(label for text, label in rows if is_about_working_there(text))
    component = index.sentiment_score(labels["positive"], labels["negative"], labels["neutral"])
    return component, sum(labels.values()), labels[None]


async def employer_brand_of(
    session: AsyncSession, registry: Registry, client: Client, window: DayRange, tags: set[str]
) -> EmployerBrandOut:
    """The index and its components for `client` over `window` (days in the client's time zone)."""
    client_id = client.id
    start, end = window.start, window.end
    bounds = window.utc_bounds()
    accounts = list(
        (
            await session.scalars(
                select(SocialAccount).where(
                    col(SocialAccount.client_id) == client_id, col(SocialAccount.kind) == "owned"
                )
            )
        ).all()
    )
    content, tagged_reach, tagged_posts = await _content(session, registry, accounts, bounds, tags)
    audience = await _audience(session, accounts, start, end)
    sentiment, workplace_mentions, unanalysed = await _sentiment(session, client_id, bounds)
    conversions = index.conversions_score(await applications(session, client_id, start, end), tagged_reach)
    components = [content, audience, sentiment, conversions]
    value, weights = index.combine(components)
    return EmployerBrandOut(
        client_id=client_id,
        date_from=start,
        date_to=end,
        index=round(value, 1) if value is not None else None,
        components=[
            ComponentOut(
                name=component.name,
                score=round(component.score, 1) if component.score is not None else None,
                weight=round(weights.get(component.name, 0.0), 4),
                formula=index.FORMULAS[component.name],
                inputs=component.inputs,
                missing_reason=component.missing_reason,
            )
            for component in components
        ],
        employer_brand_posts=tagged_posts,
        workplace_mentions=workplace_mentions,
        workplace_mentions_unanalysed=unanalysed,
        definition={
            "index": index.FORMULAS["index"],
            "employer_brand_content": f"posts of the client's owned accounts tagged {sorted(tags)}",
            "reach": "a post's reach where the network reports it, else its impressions",
            "engagements": "a post's engagements where the network reports them, else the sum of its "
            "reactions, comments, shares, saves and clicks",
            "professional_networks": list(PROFESSIONAL_NETWORKS),
            "workplace_mentions": "mentions of the client whose text contains one of workplace_phrases "
            "(whole words, any case, accents ignored); unanalysed ones are counted apart",
            "workplace_phrases": list(WORKPLACE_PHRASES),
            "days": "the window's days in the client's time zone",
        },
    )


async def applications(session: AsyncSession, client_id: uuid.UUID, start: date, end: date) -> int | None:
    """Applications recorded in the client's ROI ledger over the window (None when none is recorded)."""
    total = (
        await session.execute(
            sa_select(func.sum(col(ValueEntry.count))).where(
                col(ValueEntry.client_id) == client_id,
                col(ValueEntry.type) == "application",
                col(ValueEntry.day) >= start,
                col(ValueEntry.day) <= end,
            )
        )
    ).scalar_one()
    return None if total is None else int(total)


async def read_employer_brand(
    session: AsyncSession,
    principal: Principal,
    registry: Registry,
    client_id: uuid.UUID,
    days: AskedDays,
    tags: list[str] | None,
) -> EmployerBrandOut:
    """The index of the caller's client `client_id` over the asked days, `tags` marking employer-brand posts."""
    client = await get_client(session, principal, client_id)
    return await employer_brand_of(session, registry, client, days.window(client.timezone), set(tags or DEFAULT_TAGS))
