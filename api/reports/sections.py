"""The report's sections, each built from the same computations as the API's answers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.clients.models import Client
from api.content.models import StoredMention, StoredPost
from api.employer_brand.schemas import EmployerBrandOut
from api.metrics.models import StoredMetricPoint
from api.metrics.rollup import period_start
from api.metrics.window import DayRange
from api.reports.document import Chart, Figure, Section, Table
from api.reports.i18n import Words

SUMMARY_METRICS = ("followers", "impressions", "reach", "engagements")


def previous_window(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before `start`..`end`."""
    length = end - start
    previous_end = start - timedelta(days=1)
    return previous_end - length, previous_end


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change, or None when there is nothing to compare with."""
    if current is None or not previous:
        return None
    return (current - previous) / previous


async def owned_accounts(session: AsyncSession, client_id: uuid.UUID) -> list[SocialAccount]:
    statement = select(SocialAccount).where(
        col(SocialAccount.client_id) == client_id, col(SocialAccount.kind) == "owned"
    )
    return list((await session.scalars(statement)).all())


class _Totals:
    """Flows summed and stocks (followers) taken at their last day per account, over one window."""

    def __init__(self) -> None:
        self.flows: dict[str, float] = defaultdict(float)
        self.last_followers: dict[uuid.UUID, tuple[date, float]] = {}
        self.weekly: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, account_id: uuid.UUID, metric: str, day: date, value: float) -> None:
        if metric == "followers":
            if account_id not in self.last_followers or self.last_followers[account_id][0] < day:
                self.last_followers[account_id] = (day, value)
            return
        self.flows[metric] += value
        self.weekly[period_start(day, "week")][metric] += value

    @property
    def followers(self) -> float | None:
        return sum(value for _, value in self.last_followers.values()) if self.last_followers else None

    def engagement_rate(self) -> tuple[float | None, str]:
        if self.flows.get("reach"):
            return self.flows["engagements"] / self.flows["reach"], "reach"
        if self.flows.get("impressions"):
            return self.flows["engagements"] / self.flows["impressions"], "impressions"
        return None, "reach"


async def _metric_totals(
    session: AsyncSession, accounts: list[uuid.UUID], start: date, end: date
) -> tuple[_Totals, _Totals]:
    previous_start, _ = previous_window(start, end)
    rows = await session.execute(
        sa_select(
            col(StoredMetricPoint.account_id),
            col(StoredMetricPoint.metric),
            col(StoredMetricPoint.day),
            col(StoredMetricPoint.value),
        ).where(
            col(StoredMetricPoint.account_id).in_(accounts),
            col(StoredMetricPoint.metric).in_(SUMMARY_METRICS),
            col(StoredMetricPoint.day) >= previous_start,
            col(StoredMetricPoint.day) <= end,
        )
    )
    current, previous = _Totals(), _Totals()
    for account_id, metric, day, value in rows.all():
        (current if day >= start else previous).add(account_id, metric, day, value)
    return current, previous


async def _count(session: AsyncSession, statement: object) -> int:
    return int((await session.execute(statement)).scalar_one())  # type: ignore[call-overload]


async def _content_counts(
    session: AsyncSession, client: Client, accounts: list[uuid.UUID], window: DayRange
) -> tuple[int, int]:
    low, high = window.utc_bounds()
    posts = await _count(
        session,
        sa_select(func.count())
        .select_from(StoredPost)
        .where(
            col(StoredPost.account_id).in_(accounts),
            col(StoredPost.published_at) >= low,
            col(StoredPost.published_at) < high,
        ),
    )
    mentions = await _count(
        session,
        sa_select(func.count())
        .select_from(StoredMention)
        .where(
            col(StoredMention.client_id) == client.id,
            col(StoredMention.published_at) >= low,
            col(StoredMention.published_at) < high,
        ),
    )
    return posts, mentions


async def summary_section(session: AsyncSession, client: Client, window: DayRange, words: Words) -> Section:
    """Audience, reach, engagement and activity of the client's own accounts, against the previous period."""
    accounts = [account.id for account in await owned_accounts(session, client.id)]
    current, previous = await _metric_totals(session, accounts, window.start, window.end)
    posts, mentions = await _content_counts(session, client, accounts, window)
    before = DayRange(*previous_window(window.start, window.end), window.timezone)
    previous_posts, previous_mentions = await _content_counts(session, client, accounts, before)
    rate, denominator = current.engagement_rate()
    previous_rate, _ = previous.engagement_rate()
    figures = [
        Figure(words("followers"), current.followers, change=change(current.followers, previous.followers)),
        *(
            Figure(
                words(metric),
                current.flows.get(metric, 0.0),
                change=change(current.flows.get(metric, 0.0), previous.flows.get(metric)),
            )
            for metric in ("impressions", "reach", "engagements")
        ),
        Figure(words("engagement_rate"), rate, "%", change=change(rate, previous_rate)),
        Figure(words("posts"), posts, change=change(posts, previous_posts)),
        Figure(words("mentions"), mentions, change=change(mentions, previous_mentions)),
    ]
    weeks = sorted(current.weekly)
    chart = Chart(
        title=words("weekly_activity"),
        kind="bar",
        categories=[week.isoformat() for week in weeks],
        series={
            words(metric): [current.weekly[week].get(metric, 0.0) for week in weeks]
            for metric in ("impressions", "engagements")
        },
    )
    return Section(
        key="summary",
        title=words("summary"),
        figures=figures,
        charts=[chart] if weeks else [],
        notes=[
            words("change_note"),
            words("engagement_rate_note", denominator=words(f"{denominator}_denominator")),
            words("followers_note"),
        ],
    )


def employer_brand_section(result: EmployerBrandOut, words: Words) -> Section:
    """The employer-brand index and its components."""
    rows: list[list[str | int | float | None]] = [
        [
            words(component.name),
            component.score if component.score is not None else words("not_measured"),
            component.weight,
        ]
        for component in result.components
    ]
    return Section(
        key="employer_brand",
        title=words("employer_brand"),
        figures=[Figure(words("employer_brand_index"), result.index, "score")],
        tables=[
            Table(
                title=words("employer_brand"),
                columns=words.each("component", "score", "weight"),
                rows=rows,
            )
        ],
        charts=[
            Chart(
                title=words("employer_brand_index"),
                kind="bar",
                categories=[words(component.name) for component in result.components],
                series={words("score"): [component.score for component in result.components]},
            )
        ],
        notes=[
            words("employer_brand_note", url=f"/v1/clients/{result.client_id}/employer-brand"),
            *(words(f"missing_{component.name}") for component in result.components if component.missing_reason),
        ],
    )
