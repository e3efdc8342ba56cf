"""The formulas every analytics answer shares, as pure functions over numbers already loaded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

INTERACTIONS = ("reactions", "comments", "shares", "saves", "clicks")
"""Canonical metrics that make up engagements where a network does not report `engagements` itself."""

Denominator = Literal["reach", "impressions"]

ENGAGEMENT_RATE = (
    "engagement_rate = engagements ÷ reach; where the account reports no reach (or zero) for the period, "
    "engagements ÷ impressions; `engagement_rate_denominator` says which was used, and the rate is null when "
    "neither is reported. engagements is the `engagements` metric, or where the network does not report it, "
    "the sum of reactions + comments + shares + saves + clicks (`engagements_source`). Flows are summed over "
    "the days of the period inside the window."
)
FOLLOWER_GROWTH = (
    "follower_growth = followers_end - followers_start; follower_growth_pct = follower_growth ÷ followers_start "
    "* 100. followers is a stock: followers_end is the last value stored in the period, followers_start the "
    "last value stored before the period (the previous period's end), or the first value in the period when "
    "nothing was stored before it; `followers_start_day` names that day."
)
REACH_PER_POST = (
    "reach_per_post = reach in the period ÷ posts published in the period; posts are counted on their local "
    "day in the client's time zone; null when the period has no post or no reach."
)


def total(series: Mapping[date, float], days: Iterable[date]) -> float | None:
    """The sum of a flow over `days`, or None when none of them has a value."""
    values = [series[day] for day in days if day in series]
    return sum(values) if values else None


def engagements(daily: Mapping[str, Mapping[date, float]], days: list[date]) -> tuple[float | None, str | None]:
    """Engagements over `days` and where they came from (`engagements` or `sum_of_interactions`)."""
    reported = total(daily.get("engagements", {}), days)
    if reported is not None:
        return reported, "engagements"
    parts = [value for metric in INTERACTIONS if (value := total(daily.get(metric, {}), days)) is not None]
    return (sum(parts), "sum_of_interactions") if parts else (None, None)


def engagement_rate(
    engaged: float | None, reach: float | None, impressions: float | None
) -> tuple[float | None, Denominator | None]:
    """engagements ÷ reach, else ÷ impressions, and which denominator was used."""
    if engaged is None:
        return None, None
    if reach:
        return engaged / reach, "reach"
    if impressions:
        return engaged / impressions, "impressions"
    return None, None


def growth(start: float | None, end: float | None) -> tuple[float | None, float | None]:
    """Absolute change and percent change of a stock (percent is null from a zero or missing start)."""
    if start is None or end is None:
        return None, None
    change = end - start
    return change, (change / start * 100 if start else None)


def post_engagement(metrics: Mapping[str, Any], native_to_canonical: Mapping[str, str]) -> tuple[float, list[str]]:
    """A post's engagement from its native metrics, and the native fields summed.

    Fields feeding canonical `engagements` are used when the post has any; otherwise the fields feeding
    reactions, comments, shares, saves and clicks are added up.
    """
    numeric = {name: float(value) for name, value in metrics.items() if _is_number(value)}
    for wanted in (("engagements",), INTERACTIONS):
        fields = sorted(name for name in numeric if native_to_canonical.get(name, name) in wanted)
        if fields:
            return sum(numeric[name] for name in fields), fields
    return 0.0, []


def post_reach(metrics: Mapping[str, Any], native_to_canonical: Mapping[str, str]) -> float:
    """A post's reach from its native metrics: the fields feeding `reach`, else those feeding `impressions`."""
    numeric = {name: float(value) for name, value in metrics.items() if _is_number(value)}
    for wanted in ("reach", "impressions"):
        fields = [name for name in numeric if native_to_canonical.get(name, name) == wanted]
        if fields:
            return sum(numeric[name] for name in fields)
    return 0.0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
