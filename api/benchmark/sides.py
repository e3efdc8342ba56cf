"""Each account's headline figures over a window, and the same figures for each side (owned, competitor)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import msgspec

from api.content.history import AccountHistory
from api.metrics.window import DayRange
from api.presence.audience import audience_growth
from api.presence.cadence import posts_per_week
from api.rates.formulas import engagement_rate, engagements, total

ACCOUNT_FIGURES = (
    "Per account over the window: audience = followers on the last day stored in the window; growth_pct = "
    "(that value - followers on the first day stored) ÷ the first * 100; engagement_rate = Σ engagements ÷ "
    "Σ reach, or ÷ Σ impressions where reach is absent (`engagement_rate_denominator`); posts_per_week = posts "
    "÷ days * 7."
)
SIDE_FIGURES = (
    "Per side (owned, competitor): audience = Σ the accounts' audience; growth_pct = (Σ last - Σ first follower "
    "counts) ÷ Σ first * 100 over accounts with both; engagement_rate = the mean of the accounts' engagement "
    "rates (accounts without one are left out; `engagement_rate_accounts` counts those used); posts_per_week = "
    "the mean of the accounts' posts per week."
)


class AccountFigures(msgspec.Struct):
    account_id: uuid.UUID
    network: str
    handle: str
    kind: str
    audience: float | None
    followers_start: float | None
    growth_pct: float | None
    engagements: float | None
    engagement_rate: float | None
    engagement_rate_denominator: str | None
    posts: int
    posts_per_week: float


class SideFigures(msgspec.Struct):
    accounts: int
    audience: float | None
    growth_pct: float | None
    engagement_rate: float | None
    engagement_rate_accounts: int
    posts_per_week: float | None


def account_figures(history: AccountHistory, window: DayRange) -> AccountFigures:
    """One account's audience, growth, engagement rate and cadence over `window`."""
    days = [window.start + timedelta(days=n) for n in range(window.days)]
    engaged, _source = engagements(history.daily, days)
    rate, denominator = engagement_rate(
        engaged, total(history.series("reach"), days), total(history.series("impressions"), days)
    )
    audience = audience_growth(history.series("followers"))
    return AccountFigures(
        account_id=history.account_id,
        network=history.network,
        handle=history.handle,
        kind=history.kind,
        audience=audience.followers_end,
        followers_start=audience.followers_start,
        growth_pct=audience.growth_pct,
        engagements=engaged,
        engagement_rate=rate,
        engagement_rate_denominator=denominator,
        posts=len(history.posts),
        posts_per_week=posts_per_week(len(history.posts), window),
    )


def side_figures(accounts: Sequence[AccountFigures]) -> SideFigures:
    """The side's totals and means, as `SIDE_FIGURES` defines them."""
    audiences = [a.audience for a in accounts if a.audience is not None]
    paired = [
        (a.followers_start, a.audience) for a in accounts if a.followers_start is not None and a.audience is not None
    ]
    first = sum(start for start, _ in paired)
    rates = [a.engagement_rate for a in accounts if a.engagement_rate is not None]
    return SideFigures(
        accounts=len(accounts),
        audience=sum(audiences) if audiences else None,
        growth_pct=(sum(end for _, end in paired) - first) / first * 100 if first else None,
        engagement_rate=sum(rates) / len(rates) if rates else None,
        engagement_rate_accounts=len(rates),
        posts_per_week=sum(a.posts_per_week for a in accounts) / len(accounts) if accounts else None,
    )
