"""The days an analysis covers, counted in the client's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.errors import InvalidInput
from tenants.ids import utcnow

MAX_DAYS = 1830


@dataclass(frozen=True, slots=True)
class Window:
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


def resolve_window(date_from: date | None, date_to: date | None, timezone: str, default_days: int) -> Window:
    """The asked window, `to` defaulting to today in the client's zone and `from` to `default_days` before it."""
    end = date_to or local_time(utcnow(), timezone).date()
    start = date_from or end - timedelta(days=default_days - 1)
    if start > end:
        raise InvalidInput(f"from ({start}) is after to ({end}); send from on or before to.", field="from")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"the range is longer than {MAX_DAYS} days; ask for a shorter one.", field="from")
    return Window(start=start, end=end, timezone=timezone)
