"""Daily sums a fetch builds up page by page and carries in its checkpoints.

Many networks give no daily history of a counter, only each post's running totals: a connector then adds
each post's counters to the day it was published and, once every page is read, yields one `MetricPoint`
per day of the window and per metric, zeros included. A run that stops between two pages must resume with
the sums of the pages it already read, or the days would count those posts twice (re-reading them) or not
at all; so each checkpoint carries a snapshot of the sums (`state()`), and the resumed run starts from it
(`restore()`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from resonance_sdk._records import MetricPoint, Quality, Window


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class DailySums:
    """Sums of native metrics by day (UTC), as a checkpoint carries them: `{"2026-03-02": {"likes": 8.0}}`."""

    def __init__(self, days: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.days: dict[str, dict[str, float]] = {day: dict(values) for day, values in (days or {}).items()}

    @classmethod
    def restore(cls, value: Any) -> DailySums:
        """The sums a checkpoint's `state()` recorded; anything unreadable in it is left out (a day that is
        not a string, values that are not a mapping, a value that is not a number), and what is not a
        mapping at all restarts from nothing."""
        if not isinstance(value, dict):
            return cls()
        return cls(
            {
                day: {str(native): number for native, raw in values.items() if (number := _number(raw)) is not None}
                for day, values in value.items()
                if isinstance(day, str) and isinstance(values, dict)
            }
        )

    def add(self, day: date, values: Mapping[str, float]) -> None:
        """Add `values` (one post's counters, say) to the sums of `day`."""
        sums = self.days.setdefault(day.isoformat(), {})
        for native, value in values.items():
            sums[native] = sums.get(native, 0.0) + value

    def get(self, day: date, native: str) -> float:
        """The sum of `native` on `day`, 0 when nothing was added."""
        return self.days.get(day.isoformat(), {}).get(native, 0.0)

    def state(self) -> dict[str, dict[str, float]]:
        """A snapshot for a checkpoint, days in order: the sums go on changing after it is yielded."""
        return {day: dict(values) for day, values in sorted(self.days.items())}

    def points(
        self, natives: Sequence[str], window: Window, quality: Quality, *, through: date | None = None
    ) -> Iterator[MetricPoint]:
        """One point per day of the window (up to `through`, when given) and per native metric, zeros included."""
        day, last = window.since, window.until if through is None else min(window.until, through)
        while day <= last:
            for native in natives:
                yield MetricPoint(native_metric=native, day=day, value=self.get(day, native), quality=quality)
            day += timedelta(days=1)
