"""The days an analysis covers, counted in the client's time zone, and the limits every asked range meets.

Every analytics route resolves its `from`/`to` here before it builds anything (buckets, series, SQL):
the days must lie between `FIRST_DAY` and `LAST_DAY`, and the range within the route's cap, so no
date arithmetic downstream (a previous period, a week's Monday, the day after `to`, a time-zone shift)
can leave the calendar Python represents, and no request makes the server list millions of days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.errors import InvalidInput
from api.metrics.rollup import Granularity, period_count
from tenants.ids import utcnow

MAX_DAYS = 1830
"""The longest range (five years) an analysis, the ROI report or an objective covers, in days."""
FIRST_DAY = date(1900, 1, 1)
"""The earliest day a request may name: far enough after `date.min` for a previous period of `MAX_DAYS`."""
LAST_DAY = date(2999, 12, 31)
"""The latest day a request may name: far enough before `date.max` for the period after it."""


@dataclass(frozen=True, slots=True)
class DayRange:
    """From `start` to `end`, both included, as local dates in `timezone`."""

    start: date
    end: date
    timezone: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants of local midnight on `start` and on the day after `end`."""
        zone = self.zone
        first = datetime.combine(self.start, time.min, zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time.min, zone).astimezone(UTC)
        return first, after

    def local_day(self, moment: datetime) -> date:
        """The client's calendar day of a UTC instant."""
        return local_time(moment, self.timezone).date()


def local_time(moment: datetime, timezone: str) -> datetime:
    """A UTC instant on the client's wall clock (naive instants are taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone))


def check_day(day: date | None, field: str) -> None:
    """Refuse a day outside `FIRST_DAY`..`LAST_DAY` with a 422 naming `field`."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            f"{field} ({day}) is outside the days Resonance supports, {FIRST_DAY} to {LAST_DAY}; send a day in "
            "that range (YYYY-MM-DD).",
            field=field,
        )


def check_span(start: date, end: date, max_days: int, *, field: str = "from") -> None:
    """Refuse `start`..`end` when it has more than `max_days` days, saying how many it has."""
    days = (end - start).days + 1
    if days > max_days:
        raise InvalidInput(
            f"the range from {start} to {end} has {days:,} days; this analysis covers at most {max_days:,} days: "
            "narrow the range.",
            field=field,
        )


def check_periods(start: date, end: date, granularity: Granularity, max_periods: int, *, field: str) -> None:
    """Refuse `start`..`end` when it holds more than `max_periods` periods of `granularity` (counted, not listed)."""
    periods = period_count(start, end, granularity)
    if periods > max_periods:
        coarser = {"day": " or use week or month", "week": " or use month"}.get(granularity, "")
        raise InvalidInput(
            f"the range from {start} to {end} has {periods:,} {granularity}s; {granularity} granularity allows at "
            f"most {max_periods:,}: narrow the range{coarser}.",
            field=field,
        )


def resolve_range(
    date_from: date | None,
    date_to: date | None,
    today: date,
    default_days: int,
    max_days: int | None = MAX_DAYS,
    *,
    granularity: Granularity = "day",
    max_periods: int | None = None,
) -> tuple[date, date]:
    """The asked days, `to` defaulting to `today` and `from` to `default_days` before it, checked before use.

    The cap is `max_periods` periods of `granularity` when given, else `max_days` days. It is checked
    before the calendar, so the answer to 0001-01-01..9999-12-31 says how long that is; a short range at
    the edge of the calendar is then refused as outside the supported days.
    """
    end = date_to or today
    if date_from is None:
        check_day(date_to, "to")  # first: it keeps the default start's arithmetic inside the calendar
        start = end - timedelta(days=default_days - 1)
    else:
        start = date_from
    if start > end:
        raise InvalidInput(f"from ({start}) is after to ({end}); send from on or before to.", field="from")
    if max_periods is not None:
        check_periods(start, end, granularity, max_periods, field="granularity")
    elif max_days is not None:
        check_span(start, end, max_days)
    check_day(date_from, "from")
    check_day(date_to, "to")
    return start, end


def resolve_window(
    date_from: date | None, date_to: date | None, timezone: str, default_days: int, max_days: int = MAX_DAYS
) -> DayRange:
    """The asked window, `to` defaulting to today in the client's zone and `from` to `default_days` before it."""
    today = local_time(utcnow(), timezone).date()
    start, end = resolve_range(date_from, date_to, today, default_days, max_days)
    return DayRange(start=start, end=end, timezone=timezone)


def today_in(timezone: str) -> date:
    """Today on the wall clock of `timezone` (a client's today)."""
    return datetime.now(ZoneInfo(timezone)).date()


@dataclass(frozen=True, slots=True)
class AskedDays:
    """The `from` and `to` days a request sent (either may be absent), not yet checked, and the route's default.

    Every analytics route takes its days as this one value (`api.parameters.day_range`) and resolves it with
    one of the methods below, so the defaults and the checks are the same wherever a range is asked.
    """

    first: date | None
    last: date | None
    default_days: int
    """How many days the range covers, up to `last`, when `first` is absent."""

    def window(self, timezone: str, max_days: int = MAX_DAYS) -> DayRange:
        """The days asked in `timezone`, `to` defaulting to today there (`resolve_window`)."""
        return resolve_window(self.first, self.last, timezone, self.default_days, max_days)

    def resolve(
        self, today: date, *, granularity: Granularity = "day", max_periods: int | None = None
    ) -> tuple[date, date]:
        """The first and last day asked, `to` defaulting to `today` (`resolve_range`)."""
        return resolve_range(
            self.first, self.last, today, self.default_days, granularity=granularity, max_periods=max_periods
        )

    def bounds(self) -> tuple[date | None, date | None]:
        """The days of a filter with open ends (a list's `from`/`to`): each checked, `from` not after `to`."""
        if self.first and self.last and self.first > self.last:
            raise InvalidInput(f"from ({self.first}) is after to ({self.last}).", field="from")
        check_day(self.first, "from")
        check_day(self.last, "to")  # the day after it must exist
        return self.first, self.last
