"""Calendar periods in a client's time zone: the day, ISO week (from Monday) or month a moment falls in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Granularity = Literal["day", "week", "month"]


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the period holding `day`."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, granularity: Granularity) -> date:
    """The first day of the period after the one starting on `start`."""
    if granularity == "week":
        return start + timedelta(days=7)
    if granularity == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def period_starts(first: date, last: date, granularity: Granularity) -> list[date]:
    """Every period touching the days `first` to `last` (both included), in order."""
    starts: list[date] = []
    start = period_start(first, granularity)
    while start <= last:
        starts.append(start)
        start = next_period(start, granularity)
    return starts


def local_day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight starting `first` and local midnight ending `last`."""
    start = datetime.combine(first, time.min, zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end
