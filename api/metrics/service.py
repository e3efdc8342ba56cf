"""Metric series per account and metric, by day, week or month, and the canonical catalogue."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table, bindparam, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.accounts.models import SocialAccount
from api.auth import Principal
from api.clients.models import Client
from api.errors import InvalidInput, NotFound
from api.metrics.models import StoredMetricPoint
from api.metrics.rollup import Granularity, rollup
from api.metrics.schemas import CatalogMetric, CatalogOut, MetricSeries, MetricsOut, MetricValue, NativeSource
from api.metrics.window import AskedDays
from plugins.registry import Registry
from plugins.sdk import CATALOG_VERSION
from tenants.ids import utcnow

DEFAULT_DAYS = 30


_ACCOUNTS: Table = SocialAccount.__table__  # type: ignore[attr-defined]
_POINTS: Table = StoredMetricPoint.__table__  # type: ignore[attr-defined]
_FETCHED_AT = type_coerce(_POINTS.c.fetched_at, DateTime(timezone=True)).label("fetched_at")
"""The fetch time as the driver gives it: made a UTC timestamp once per series (`_utc`), not once per point."""


_POINTS_OF_ACCOUNTS = (
    select(
        _POINTS.c.account_id,
        _POINTS.c.metric,
        _POINTS.c.day,
        _POINTS.c.value,
        _POINTS.c.native_metric,
        _POINTS.c.quality,
        _FETCHED_AT,
    )
    .where(
        _POINTS.c.tenant_id == bindparam("tenant_id"),
        _POINTS.c.account_id.in_(bindparam("account_ids", expanding=True)),
        _POINTS.c.day >= bindparam("start"),
        _POINTS.c.day <= bindparam("end"),
    )
    .order_by(_POINTS.c.account_id, _POINTS.c.metric, _POINTS.c.day)
)
"""The points of some accounts over some days, sorted by series and day. Built once: building a statement costs
more Python than running a cached one."""
_POINTS_OF_METRICS = _POINTS_OF_ACCOUNTS.where(_POINTS.c.metric.in_(bindparam("metrics", expanding=True)))
_ACCOUNT = select(_ACCOUNTS.c.id, _ACCOUNTS.c.network, _ACCOUNTS.c.handle, _ACCOUNTS.c.client_id).where(
    _ACCOUNTS.c.tenant_id == bindparam("tenant_id"), _ACCOUNTS.c.id == bindparam("account_id")
)


async def _accounts(
    connection: AsyncConnection, principal: Principal, account_id: uuid.UUID | None, client_id: uuid.UUID | None
) -> list[Any]:
    """`(id, network, handle)` of the asked account, or of every account of the asked client, in the caller's tenant;
    a 404 as `get_account` and `get_client` answer (another tenant's, or another client's for a limited key)."""
    if account_id is not None:
        found = (
            await connection.execute(_ACCOUNT, {"tenant_id": principal.tenant_id, "account_id": account_id})
        ).first()
        if found is None or not principal.sees_client(found.client_id):
            raise NotFound(f"There is no account {account_id} in this agency.", field="account_id")
        return [found]
    assert client_id is not None
    clients: Table = Client.__table__  # type: ignore[attr-defined]
    statement = select(clients.c.id).where(clients.c.tenant_id == principal.tenant_id, clients.c.id == client_id)
    if not principal.sees_client(client_id) or (await connection.execute(statement)).first() is None:
        raise NotFound(f"There is no client {client_id} in this agency.", field="client_id")
    columns = (_ACCOUNTS.c.id, _ACCOUNTS.c.network, _ACCOUNTS.c.handle)
    statement = (
        select(*columns)
        .where(_ACCOUNTS.c.tenant_id == principal.tenant_id, _ACCOUNTS.c.client_id == client_id)
        .order_by(_ACCOUNTS.c.id)
    )
    return list((await connection.execute(statement)).all())


def _utc(stamp: datetime | None) -> datetime | None:
    """`stamp` as a UTC timestamp (SQLite gives it back naive, in UTC: `tenants.types.UTCDateTime`)."""
    if stamp is None:
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


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
    """The series of one account or of every account of a client, by `granularity`, over the asked days.

    This is the API's hottest uncached read (a dashboard asks for hundreds of points at once), so it runs two
    Core statements on the tenant session's connection (its transaction carries the tenant for row-level
    security) with the tenant named in each, rather than ORM queries: no entity, no loader criteria, no
    per-row type processing, and the points grouped in one pass over rows sorted by series and day.
    """
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
    connection = await session.connection()
    accounts = {row.id: row for row in await _accounts(connection, principal, account_id, client_id)}
    asked = {"tenant_id": principal.tenant_id, "account_ids": list(accounts), "start": start, "end": end}
    statement = _POINTS_OF_METRICS if metric else _POINTS_OF_ACCOUNTS
    if metric:
        asked["metrics"] = metric
    series: list[MetricSeries] = []
    current: MetricSeries | None = None
    several = len(accounts) > 1  # only then can a series end where the metric stays (`UUID.__eq__` is Python code)
    for row_account, metric_id, day, value, native, quality, fetched in (
        await connection.execute(statement, asked)
    ).all():
        if current is None or metric_id != current.metric or (several and row_account != current.account_id):
            definition = catalog.get(metric_id)
            account = accounts[row_account]
            current = MetricSeries(
                account_id=row_account,
                network=account.network,
                handle=account.handle,
                metric=metric_id,
                unit=definition.unit if definition else "",
                aggregation=definition.aggregation if definition else "sum",
                native_metrics=[],
                quality=[],
                last_fetched_at=fetched,
                points=[],
            )
            series.append(current)
        current.points.append(MetricValue(day, value))
        # A series has one or two native metrics and qualities: a list is cheaper than a set here.
        if native not in current.native_metrics:
            current.native_metrics.append(native)
        if quality not in current.quality:
            current.quality.append(quality)
        if fetched > current.last_fetched_at:
            current.last_fetched_at = fetched
    for each in series:
        each.native_metrics.sort()
        each.quality.sort()
        each.last_fetched_at = _utc(each.last_fetched_at)
        if granularity != "day":
            days_of = ((point.period, point.value) for point in each.points)
            each.points = [MetricValue(*period) for period in rollup(days_of, granularity, each.aggregation)]
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
