"""A bench-only connector plugin: yields metric points from memory, as fast as a connector can.

It declares `METRIC_COUNT` native metrics, each feeding its own canonical metric (`bench_00`, ...),
which the plugin adds to the catalogue through the `resonance_metric_definitions` hook, and yields
one point per metric and day of the window, day after day, with a `Checkpoint` every
`CHECKPOINT_DAYS` days, like a real connector backfilling a long history. Values are a cheap
deterministic function of (metric, day), so the raw COPY side can produce the very same rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from plugins.sdk import (
    AccountRef,
    CanonicalMetric,
    Checkpoint,
    Connector,
    MetricDeclaration,
    MetricPoint,
    Record,
    Window,
    hookimpl,
)

METRIC_COUNT = 40
CHECKPOINT_DAYS = 2500


def canonical(index: int) -> str:
    return f"bench_{index:02d}"


def native(index: int) -> str:
    return f"bench_native_{index:02d}"


def value(metric_index: int, day_index: int) -> float:
    """The value of metric `metric_index` on the `day_index`-th day of the window."""
    return float((day_index * 37 + metric_index * 101) % 10007)


class BenchConnector(Connector):
    id: ClassVar[str] = "bench"
    name: ClassVar[str] = "Benchmark (in memory)"
    version: ClassVar[str] = "1.0.0"
    metrics: ClassVar[tuple[MetricDeclaration, ...]] = tuple(
        MetricDeclaration(native=native(i), canonical=canonical(i), unit="count") for i in range(METRIC_COUNT)
    )
    capabilities = frozenset({"account_metrics"})

    async def check(self, credentials: Mapping[str, Any]) -> None:
        return None

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        names = [native(i) for i in range(METRIC_COUNT)]
        days = (window.until - window.since).days + 1
        day = window.since
        one = timedelta(days=1)
        for day_index in range(days):
            for metric_index, name in enumerate(names):
                yield MetricPoint(native_metric=name, day=day, value=value(metric_index, day_index))
            if (day_index + 1) % CHECKPOINT_DAYS == 0:
                yield Checkpoint(state={"last_day": day.isoformat()})
            day += one


def rows(
    tenant_id: Any, account_id: Any, since: date, days: int, fetched_at: Any, run_id: Any
) -> list[tuple[Any, ...]]:
    """The rows the engine stores for a window, as tuples in `metric_points` column order (for COPY)."""
    one = timedelta(days=1)
    out = []
    day = since
    for day_index in range(days):
        for metric_index in range(METRIC_COUNT):
            out.append(
                (
                    tenant_id,
                    account_id,
                    canonical(metric_index),
                    day,
                    value(metric_index, day_index),
                    native(metric_index),
                    "exact",
                    fetched_at,
                    run_id,
                )
            )
        day += one
    return out


@hookimpl
def resonance_metric_definitions() -> list[CanonicalMetric]:
    return [
        CanonicalMetric(id=canonical(i), unit="count", aggregation="sum", description="Benchmark metric.")
        for i in range(METRIC_COUNT)
    ]


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return [BenchConnector]
