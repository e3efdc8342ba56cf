"""The second yardstick of the read benchmark: a bare Litestar handler that reads the database itself.

`uvicorn --factory tests.bench.bare_sql_app:create_app` answers `GET /v1/metrics?account_id=…&metric=…&from&to`
by doing what Resonance's uncached read must do at the least, and nothing else: in one transaction on a
connection of a psycopg `AsyncConnectionPool`, logged in as the same non-owner app role, it sets the tenant the
way `tenants.database` does (`set_config('app.tenant_id', …, true)`, so row-level security costs the same), reads
the account and its points with the same SQL Resonance runs, and encodes the same JSON shape with msgspec. No
authentication, no middleware, no ORM. The tenant comes from `RESONANCE_BENCH_TENANT`, the units and aggregations
of the metrics from `RESONANCE_BENCH_CATALOG` (JSON: metric id → [unit, aggregation]), the database from
`RESONANCE_BENCH_DATABASE_URL`. The read benchmark checks that it answers the very bytes Resonance answers.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

import msgspec
from litestar import Litestar, Request, Response, get
from psycopg_pool import AsyncConnectionPool

DATABASE_ENV = "RESONANCE_BENCH_DATABASE_URL"
TENANT_ENV = "RESONANCE_BENCH_TENANT"
CATALOG_ENV = "RESONANCE_BENCH_CATALOG"

ACCOUNT_SQL = "SELECT network, handle FROM accounts WHERE tenant_id = %s AND id = %s"
POINTS_SQL = (
    "SELECT account_id, metric, day, value, native_metric, quality, fetched_at FROM metric_points"
    " WHERE tenant_id = %s AND account_id = %s AND day >= %s AND day <= %s AND metric = ANY(%s)"
    " ORDER BY account_id, metric, day"
)


class Point(msgspec.Struct):
    period: date
    value: float


class Series(msgspec.Struct):
    account_id: uuid.UUID
    network: str
    handle: str
    metric: str
    unit: str
    aggregation: str
    native_metrics: list[str]
    quality: list[str]
    last_fetched_at: datetime | None
    points: list[Point]


class Answer(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    granularity: str
    date_from: date
    date_to: date
    series: list[Series]


def create_app() -> Litestar:
    tenant = os.environ[TENANT_ENV]
    catalog: dict[str, list[str]] = json.loads(os.environ[CATALOG_ENV])
    pool = AsyncConnectionPool(os.environ[DATABASE_ENV], min_size=4, max_size=10, open=False)
    encoder = msgspec.json.Encoder()

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await pool.open(wait=True)
        try:
            yield
        finally:
            await pool.close()

    @get("/v1/metrics")
    async def metrics(request: Request[None, None, None]) -> Response[bytes]:
        query = request.query_params
        account_id = uuid.UUID(query["account_id"])
        names = query.getall("metric")
        start, end = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
        async with pool.connection() as connection, connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            account = await (await connection.execute(ACCOUNT_SQL, (tenant, account_id))).fetchone()
            if account is None:
                return Response(b'{"status":404}', status_code=404, media_type="application/json")
            cursor = await connection.execute(POINTS_SQL, (tenant, account_id, start, end, names))
            rows = await cursor.fetchall()
        network, handle = account
        series: list[Series] = []
        current: Series | None = None
        for row_account, metric, day, value, native, quality, fetched in rows:
            if current is None or current.metric != metric:
                unit, aggregation = catalog[metric]
                current = Series(row_account, network, handle, metric, unit, aggregation, [], [], None, [])
                series.append(current)
            if native not in current.native_metrics:
                current.native_metrics.append(native)
            if quality not in current.quality:
                current.quality.append(quality)
            if current.last_fetched_at is None or fetched > current.last_fetched_at:
                current.last_fetched_at = fetched
            current.points.append(Point(day, value))
        for each in series:
            if each.last_fetched_at is not None:
                each.last_fetched_at = each.last_fetched_at.astimezone(UTC)
            each.native_metrics.sort()
            each.quality.sort()
        body = encoder.encode(Answer("day", start, end, series))
        return Response(body, media_type="application/json")

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[metrics, health], lifespan=[lifespan], debug=False)
