"""Rolling daily values up to weeks and months, each metric by its own aggregation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

Granularity = Literal["day", "week", "month"]


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the period containing `day` (weeks start on Monday, ISO 8601)."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def rollup(
    points: Iterable[tuple[date, float]], granularity: Granularity, aggregation: str
) -> list[tuple[date, float]]:
    """Group `(day, value)` points, sorted by day, into periods: `sum` adds flows, `last` keeps a stock's last value."""
    periods: dict[date, float] = {}
    for day, value in points:
        start = period_start(day, granularity)
        if aggregation == "sum":
            periods[start] = periods.get(start, 0.0) + value
        else:
            periods[start] = value
    return sorted(periods.items())


def period_count(first: date, last: date, granularity: Granularity) -> int:
    """How many periods touch the days `first` to `last` (both included), counted without listing them."""
    if granularity == "week":
        return (period_start(last, "week") - period_start(first, "week")).days // 7 + 1
    if granularity == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1
