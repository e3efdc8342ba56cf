"""Reading metric series per account and metric, by day, week or month."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter, QueryParameter
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.accounts.service import get_account
from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.errors import InvalidInput
from api.metrics.cache import MetricsCache
from api.metrics.models import StoredMetricPoint
from api.metrics.rollup import Granularity, rollup
from api.metrics.schemas import CatalogMetric, CatalogOut, MetricSeries, MetricsOut, MetricValue, NativeSource
from api.metrics.window import resolve_range
from plugins.registry import Registry
from plugins.sdk import CATALOG_VERSION
from tenants.ids import utcnow

DEFAULT_DAYS = 30


def _cache_key(request: Request[Any, Any, Any]) -> str:
    return bytes(request.scope.get("query_string", b"")).decode("latin-1")


async def serve_cached(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """`before_request` of the metrics read: a cached answer skips parameter parsing and injection."""
    principal = request.user
    if not isinstance(principal, Principal):
        return None
    cache: MetricsCache = request.app.state.metrics_cache
    query = _cache_key(request)
    body = cache.get(principal.tenant_id, query, principal.client_id)
    key = (principal.tenant_id, principal.client_id, query)
    if body is None and (running := cache.loading.pending(key)) is not None:
        _done, body = await cache.loading.wait(running)  # another request is reading these series right now
    return Response(body, media_type=MediaType.JSON, headers={"X-Cache": "hit"}) if body is not None else None


class MetricsController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/metrics"
    tags = ["metrics"]

    @get(
        "/",
        guards=[require("read")],
        summary="Read metric series",
        before_request=serve_cached,
        # The body is encoded once and may be served again from the cache: document its shape here.
        responses={200: ResponseSpec(data_container=MetricsOut, description="Series per account and metric")},
    )
    async def read_metrics(
        self,
        principal: Principal,
        state: State,
        request: Request[Any, Any, Any],
        account_id: uuid.UUID | None = Parameter(default=None, description="One account's series."),
        client_id: uuid.UUID | None = Parameter(default=None, description="Every account of a client."),
        metric: list[str] | None = Parameter(default=None, description="Canonical metric ids (repeatable)."),
        date_from: Annotated[
            date | None, QueryParameter(name="from", description="First day (default: -30 d).")
        ] = None,
        date_to: Annotated[
            date | None, QueryParameter(name="to", description="Last day, included (default: today).")
        ] = None,
        granularity: Granularity = Parameter(default="day", description="day, week (ISO, Monday) or month."),
    ) -> Response[bytes]:
        """Series per account and metric; weeks and months sum flows and keep the last value of stocks.

        Answers may come from a per-process cache for up to `RESONANCE_METRICS_CACHE_SECONDS` after
        another process changed the data (`X-Cache: hit`); changes made in this process show at once.
        """
        cache: MetricsCache = state.metrics_cache
        query = _cache_key(request)

        async def compute() -> bytes:
            async with state.database.tenant_session(principal.tenant_id) as session:
                result = await self._read(
                    session, principal, state, account_id, client_id, metric, date_from, date_to, granularity
                )
            return msgspec.json.encode(result)

        body = await cache.load(principal.tenant_id, query, compute, principal.client_id)
        return Response(body, media_type=MediaType.JSON, headers={"X-Cache": "miss"})

    async def _read(
        self,
        session: AsyncSession,
        principal: Principal,
        state: State,
        account_id: uuid.UUID | None,
        client_id: uuid.UUID | None,
        metric: list[str] | None,
        date_from: date | None,
        date_to: date | None,
        granularity: Granularity,
    ) -> MetricsOut:
        if (account_id is None) == (client_id is None):
            raise InvalidInput("send exactly one of account_id or client_id.", field="account_id")
        start, end = resolve_range(date_from, date_to, utcnow().date(), DEFAULT_DAYS)
        catalog = state.registry.metrics
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

    @get("/catalog", guards=[require("read")], summary="The canonical metric catalogue")
    async def catalog(self, state: State) -> CatalogOut:
        """Every canonical metric id with its unit, aggregation over time and meaning, and the native
        metric of each installed connector that feeds it (with validity dates and replacements)."""
        registry: Registry = state.registry
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
