"""Billing periods: the month an agency's usage is read and reconciled over (`YYYY-MM`, in UTC)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from api.errors import InvalidInput
from api.metrics.window import FIRST_DAY, LAST_DAY
from tenants.ids import utcnow

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(period: str | None) -> tuple[str, date, date]:
    """The month `YYYY-MM` (default: the current one, UTC) and its first and last days."""
    if period is None:
        today = utcnow().date()
        period = f"{today.year:04d}-{today.month:02d}"
    match = _PERIOD.match(period)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(f"period {period!r} is not a month; send it as YYYY-MM, e.g. 2026-11.", field="period")
    first = date(max(int(match.group(1)), 1), int(match.group(2)), 1)
    if not FIRST_DAY <= first <= LAST_DAY:  # year 0 does not exist, and no month follows 9999-12
        raise InvalidInput(
            f"period {period!r} is outside the months Resonance supports, {FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m}; "
            "send a month in that range as YYYY-MM.",
            field="period",
        )
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return period, first, last
