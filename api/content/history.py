"""Loading what analytics compute from: an account's daily metrics and posts over a window.

Loading is kept apart from the computations (`api.rates`, `api.presence`, `api.benchmark`), which take
`AccountHistory` values and touch no database, so they can be checked by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.content.models import StoredPost
from api.errors import NotFound
from api.metrics.models import StoredMetricPoint
from api.metrics.window import DayRange, local_time

AccountKind = Literal["owned", "competitor"]


@dataclass(frozen=True, slots=True)
class PostFact:
    """A post as analytics see it: when it went out on the client's wall clock, and its native metrics."""

    local_time: datetime
    metrics: dict[str, Any]


@dataclass(slots=True)
class AccountHistory:
    """One account's daily values by canonical metric, and its posts, inside a window."""

    account_id: uuid.UUID
    network: str
    handle: str
    kind: str
    target_posts_per_week: float | None = None
    daily: dict[str, dict[date, float]] = field(default_factory=dict)
    posts: list[PostFact] = field(default_factory=list)
    followers_before: tuple[date, float] | None = None
    """The last follower count stored before the window, the base of the first period's growth."""
    last_post_before: date | None = None
    """The local day of the account's last post before the window, if any."""

    def series(self, metric: str) -> dict[date, float]:
        return self.daily.get(metric, {})


async def client_accounts(
    session: AsyncSession,
    client_id: uuid.UUID,
    *,
    kind: AccountKind | None = None,
    account_id: uuid.UUID | None = None,
) -> list[SocialAccount]:
    """The client's accounts (of one kind, or the one asked for), oldest first; an account of another client is 404."""
    statement = select(SocialAccount).where(col(SocialAccount.client_id) == client_id)
    if kind is not None:
        statement = statement.where(col(SocialAccount.kind) == kind)
    if account_id is not None:
        statement = statement.where(col(SocialAccount.id) == account_id)
    accounts = list((await session.scalars(statement.order_by(col(SocialAccount.id)))).all())
    if account_id is not None and not accounts:
        raise NotFound(
            f"There is no account {account_id} of this client{' of that kind' if kind else ''}.", field="account_id"
        )
    return accounts


async def load_histories(
    session: AsyncSession,
    accounts: Sequence[SocialAccount],
    window: DayRange,
    metrics: Iterable[str],
    *,
    followers_before: bool = False,
) -> list[AccountHistory]:
    """Each account's `metrics` by day, its posts in the window (local days), the local day of its last post
    before the window, and with `followers_before` its last follower count before the window."""
    histories = {
        account.id: AccountHistory(
            account_id=account.id,
            network=account.network,
            handle=account.handle,
            kind=account.kind,
            target_posts_per_week=account.target_posts_per_week,
        )
        for account in accounts
    }
    if not histories:
        return []
    ids = list(histories)
    wanted = sorted(set(metrics))
    points = sa_select(
        col(StoredMetricPoint.account_id),
        col(StoredMetricPoint.metric),
        col(StoredMetricPoint.day),
        col(StoredMetricPoint.value),
    ).where(
        col(StoredMetricPoint.account_id).in_(ids),
        col(StoredMetricPoint.metric).in_(wanted),
        col(StoredMetricPoint.day) >= window.start,
        col(StoredMetricPoint.day) <= window.end,
    )
    for account_id, metric, day, value in (await session.execute(points)).all():
        histories[account_id].daily.setdefault(metric, {})[day] = value
    for history in histories.values():
        history.daily = {metric: dict(sorted(days.items())) for metric, days in history.daily.items()}

    first, after = window.utc_bounds()
    posts = (
        sa_select(col(StoredPost.account_id), col(StoredPost.published_at), col(StoredPost.metrics))
        .where(
            col(StoredPost.account_id).in_(ids),
            col(StoredPost.published_at) >= first,
            col(StoredPost.published_at) < after,
        )
        .order_by(col(StoredPost.published_at))
    )
    for account_id, published_at, post_metrics in (await session.execute(posts)).all():
        histories[account_id].posts.append(PostFact(local_time(published_at, window.timezone), dict(post_metrics)))

    before = (
        sa_select(col(StoredPost.account_id), func.max(col(StoredPost.published_at)))
        .where(col(StoredPost.account_id).in_(ids), col(StoredPost.published_at) < first)
        .group_by(col(StoredPost.account_id))
    )
    for account_id, published_at in (await session.execute(before)).all():
        if published_at is not None:
            histories[account_id].last_post_before = window.local_day(published_at)

    if followers_before:
        for account_id, history in histories.items():
            previous = (
                await session.execute(
                    sa_select(col(StoredMetricPoint.day), col(StoredMetricPoint.value))
                    .where(
                        col(StoredMetricPoint.account_id) == account_id,
                        col(StoredMetricPoint.metric) == "followers",
                        col(StoredMetricPoint.day) < window.start,
                    )
                    .order_by(col(StoredMetricPoint.day).desc())
                    .limit(1)
                )
            ).first()
            if previous is not None:
                history.followers_before = (previous[0], previous[1])
    return [histories[account.id] for account in accounts]
