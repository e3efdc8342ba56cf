"""Response shapes of the metrics read and the catalogue."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class MetricValue(msgspec.Struct, gc=False):
    """One period's value. Not tracked by the garbage collector (it holds a date and a float, so it can never be
    part of a cycle): a read builds hundreds of them, which otherwise trigger collections as they are made."""

    period: date
    value: float


class MetricSeries(msgspec.Struct):
    """One metric of one account; `aggregation` says how days combine (sum for flows, last for stocks)."""

    account_id: uuid.UUID
    network: str
    handle: str
    metric: str
    unit: str
    aggregation: str
    native_metrics: list[str]
    quality: list[str]
    last_fetched_at: datetime | None
    points: list[MetricValue]


class MetricsOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    granularity: str
    date_from: date
    date_to: date
    series: list[MetricSeries]


class NativeSource(msgspec.Struct):
    """A network's own metric that feeds a canonical one, with when the network offers it."""

    connector: str
    native: str
    unit: str
    valid_from: date | None
    valid_until: date | None
    replaced_by: str | None


class CatalogMetric(msgspec.Struct):
    id: str
    unit: str
    aggregation: str
    description: str
    sources: list[NativeSource]


class CatalogOut(msgspec.Struct):
    version: str
    metrics: list[CatalogMetric]
