"""Whom an account reaches: audience growth over the window and the share of reach beyond its followers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import msgspec

from api.rates.formulas import growth

AUDIENCE_GROWTH = (
    "audience.growth = followers on the last day stored in the window - followers on the first day stored in "
    "the window; growth_pct = growth ÷ the first value * 100 (null from 0)."
)
REACH_BEYOND_FOLLOWERS = (
    "reach_beyond_followers.share = Σ reach_non_followers ÷ Σ reach over the window's days that report both "
    "(reach_non_followers is the non-follower part of reach, where the network splits it); null with a reason "
    "where the network does not report that split."
)


class AudienceGrowth(msgspec.Struct):
    followers_start: float | None
    followers_start_day: date | None
    followers_end: float | None
    followers_end_day: date | None
    growth: float | None
    growth_pct: float | None


class ReachBeyondFollowers(msgspec.Struct):
    share: float | None
    reach: float | None
    reach_non_followers: float | None
    days: int
    reason: str | None


def audience_growth(followers: Mapping[date, float]) -> AudienceGrowth:
    """First to last stored follower count of the window (a stock: no summing)."""
    if not followers:
        return AudienceGrowth(None, None, None, None, None, None)
    first, last = min(followers), max(followers)
    change, change_pct = growth(followers[first], followers[last])
    return AudienceGrowth(followers[first], first, followers[last], last, change, change_pct)


def reach_beyond_followers(
    reach: Mapping[date, float], non_followers: Mapping[date, float], network: str, reported: bool
) -> ReachBeyondFollowers:
    """The non-follower share of reach; `reported` says whether the network's connector provides the split."""
    days = sorted(set(reach) & set(non_followers))
    if not days:
        reason = (
            "no reach_non_followers or reach is stored for this account in the window (both are needed)."
            if reported
            else f"{network} does not report reach among non-followers: its connector maps no native metric to "
            "reach_non_followers."
        )
        return ReachBeyondFollowers(share=None, reach=None, reach_non_followers=None, days=0, reason=reason)
    total_reach = sum(reach[day] for day in days)
    outside = sum(non_followers[day] for day in days)
    if not total_reach:
        return ReachBeyondFollowers(
            share=None, reach=0.0, reach_non_followers=outside, days=len(days), reason="reach was 0 on those days."
        )
    return ReachBeyondFollowers(
        share=outside / total_reach, reach=total_reach, reach_non_followers=outside, days=len(days), reason=None
    )
