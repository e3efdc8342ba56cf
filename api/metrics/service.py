"""Metric series per account and metric, by day, week or month, and the canonical catalogue."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.accounts.service import get_account
from api.auth import Principal
from api.clients.service import get_client
from api.errors import InvalidInput
from api.metrics.models import StoredMetricPoint
from api.metrics.rollup import Granularity, rollup
from api.metrics.schemas import CatalogMetric, CatalogOut, MetricSeries, MetricsOut, MetricValue, NativeSource
from api.metrics.window import AskedDays
from plugins.registry import Registry
from plugins.sdk import CATALOG_VERSION
from tenants.ids import utcnow

DEFAULT_DAYS = 30


async def read_series(
    session: AsyncSession,
    principal: Principal,
    registry: Registry,
    account_id: uuid.UUID | None,
    client_id: uuid.UUID | None,
    metric: list[str] | None,
    days: AskedDays,
    granularity: Granularity,
) -> MetricsOut:
    """The series of one account or of every account of a client, by `granularity`, over the asked days."""
    if (account_id is None) == (client_id is None):
        raise InvalidInput("send exactly one of account_id or client_id.", field="account_id")
    start, end = days.resolve(utcnow().date())
    catalog = registry.metrics
    unknown = [name for name in metric or () if name not in catalog]
    if unknown:
        raise InvalidInput(
            f"metric {unknown[0]!r} is not in the catalogue; see GET /v1/metrics/catalog for the ids.",
            field="metric",
        )
    if account_id is not None:
        accounts = [await get_account(session, principal, account_id)]
    else:
        assert client_id is not None
        await get_client(session, principal, client_id)
        accounts = list(
            (
                await session.scalars(
                    select(SocialAccount)
                    .where(col(SocialAccount.client_id) == client_id)
                    .order_by(col(SocialAccount.id))
                )
            ).all()
        )
    by_id = {account.id: account for account in accounts}
    statement = (
        sa_select(
            col(StoredMetricPoint.account_id),
            col(StoredMetricPoint.metric),
            col(StoredMetricPoint.day),
            col(StoredMetricPoint.value),
            col(StoredMetricPoint.native_metric),
            col(StoredMetricPoint.quality),
            col(StoredMetricPoint.fetched_at),
        )
        .where(
            col(StoredMetricPoint.account_id).in_(list(by_id)),
            col(StoredMetricPoint.day) >= start,
            col(StoredMetricPoint.day) <= end,
        )
        .order_by(col(StoredMetricPoint.account_id), col(StoredMetricPoint.metric), col(StoredMetricPoint.day))
    )
    if metric:
        statement = statement.where(StoredMetricPoint.metric.in_(metric))  # type: ignore[attr-defined]
    grouped: dict[tuple[uuid.UUID, str], list[Any]] = defaultdict(list)
    for row in (await session.execute(statement)).all():
        grouped[(row[0], row[1])].append(row)
    series = []
    for (series_account, metric_id), rows in grouped.items():
        definition = catalog.get(metric_id)
        aggregation = definition.aggregation if definition else "sum"
        account = by_id[series_account]
        fetched: list[datetime] = [row[6] for row in rows]
        series.append(
            MetricSeries(
                account_id=series_account,
                network=account.network,
                handle=account.handle,
                metric=metric_id,
                unit=definition.unit if definition else "",
                aggregation=aggregation,
                native_metrics=sorted({row[4] for row in rows}),
                quality=sorted({row[5] for row in rows}),
                last_fetched_at=max(fetched) if fetched else None,
                points=[
                    MetricValue(period=period, value=value)
                    for period, value in rollup(((row[2], row[3]) for row in rows), granularity, aggregation)
                ],
            )
        )
    return MetricsOut(granularity=granularity, date_from=start, date_to=end, series=series)


def catalog_of(registry: Registry) -> CatalogOut:
    """Every canonical metric with its unit, aggregation and meaning, and the native metrics that feed it."""
    sources: dict[str, list[NativeSource]] = defaultdict(list)
    for connector_id in sorted(registry.connectors):
        for declaration in registry.connectors[connector_id].metrics:
            sources[declaration.canonical].append(
                NativeSource(
                    connector=connector_id,
                    native=declaration.native,
                    unit=declaration.unit,
                    valid_from=declaration.valid_from,
                    valid_until=declaration.valid_until,
                    replaced_by=declaration.replaced_by,
                )
            )
    return CatalogOut(
        version=CATALOG_VERSION,
        metrics=[
            CatalogMetric(
                id=m.id,
                unit=m.unit,
                aggregation=m.aggregation,
                description=m.description,
                sources=sources.get(m.id, []),
            )
            for m in sorted(registry.metrics.values(), key=lambda m: m.id)
        ],
    )
