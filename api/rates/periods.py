"""Rates of one account for each day, week or month of a window."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import msgspec

from api.content.history import AccountHistory
from api.metrics.rollup import Granularity, period_start
from api.metrics.window import DayRange
from api.rates.formulas import engagement_rate, engagements, growth, total


class PeriodRates(msgspec.Struct, frozen=True):
    """Every input and result of one period; None where the account reports nothing to compute from."""

    period: date
    days: int
    engagements: float | None
    engagements_source: str | None
    reach: float | None
    impressions: float | None
    engagement_rate: float | None
    engagement_rate_denominator: str | None
    followers_start: float | None
    followers_start_day: date | None
    followers_end: float | None
    follower_growth: float | None
    follower_growth_pct: float | None
    posts: int
    reach_per_post: float | None


def periods(window: DayRange, granularity: Granularity) -> list[tuple[date, list[date]]]:
    """Each period overlapping the window, with its days inside the window."""
    grouped: dict[date, list[date]] = {}
    day = window.start
    while day <= window.end:
        grouped.setdefault(period_start(day, granularity), []).append(day)
        day += timedelta(days=1)
    return list(grouped.items())


def account_rates(history: AccountHistory, window: DayRange, granularity: Granularity) -> list[PeriodRates]:
    """Engagement rate, follower growth and reach per post of each period of the window."""
    posts_by_day = Counter(post.local_time.date() for post in history.posts)
    followers = history.series("followers")
    previous = history.followers_before
    result = []
    for start, days in periods(window, granularity):
        engaged, source = engagements(history.daily, days)
        reach = total(history.series("reach"), days)
        impressions = total(history.series("impressions"), days)
        rate, denominator = engagement_rate(engaged, reach, impressions)
        stored = [(day, followers[day]) for day in days if day in followers]
        base = previous if previous is not None else (stored[0] if stored else None)
        end_value = stored[-1][1] if stored else None
        change, change_pct = growth(base[1] if base else None, end_value)
        posted = sum(posts_by_day[day] for day in days)
        result.append(
            PeriodRates(
                period=start,
                days=len(days),
                engagements=engaged,
                engagements_source=source,
                reach=reach,
                impressions=impressions,
                engagement_rate=rate,
                engagement_rate_denominator=denominator,
                followers_start=base[1] if base else None,
                followers_start_day=base[0] if base else None,
                followers_end=end_value,
                follower_growth=change,
                follower_growth_pct=change_pct,
                posts=posted,
                reach_per_post=reach / posted if reach is not None and posted else None,
            )
        )
        if stored:
            previous = stored[-1]
    return result
