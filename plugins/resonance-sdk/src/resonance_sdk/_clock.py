"""The connectors' clock: what "now" and "today" are, in UTC.

A connector's records are dated in UTC (the sync engine's days are UTC days), and a fetch asks the clock
in a few places only: today's snapshot of a counter, the last complete day of a statistics endpoint, when
a refreshed token expires. Asking it through these two functions keeps every connector on the same
definition, and gives tests one seam to pin (a connector module that binds `_today = utc_today` lets its
tests `monkeypatch.setattr(module, "_today", lambda: day)`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC: the day a snapshot taken now belongs to."""
    return utc_now().date()
