"""Reading metric series per account and metric, by day, week or month."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.metrics.rollup import Granularity
from api.metrics.schemas import CatalogOut, MetricsOut
from api.metrics.service import DEFAULT_DAYS, catalog_of, read_series
from api.metrics.window import AskedDays
from api.parameters import day_range
from api.services import Services, services_of

DAYS = day_range("First day (default: -30 d).", "Last day, included (default: today).", default_days=DEFAULT_DAYS)


def _cache_key(request: Request[Any, Any, Any]) -> str:
    return bytes(request.scope.get("query_string", b"")).decode("latin-1")


async def serve_cached(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """`before_request` of the metrics read: a cached answer skips parameter parsing and injection."""
    principal = request.user
    if not isinstance(principal, Principal):
        return None
    cache = services_of(request.app.state).metrics_cache
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
        dependencies={"days": DAYS},
        # The body is encoded once and may be served again from the cache: document its shape here.
        responses={200: ResponseSpec(data_container=MetricsOut, description="Series per account and metric")},
    )
    async def read_metrics(
        self,
        principal: Principal,
        services: Services,
        request: Request[Any, Any, Any],
        account_id: uuid.UUID | None = Parameter(default=None, description="One account's series."),
        client_id: uuid.UUID | None = Parameter(default=None, description="Every account of a client."),
        metric: list[str] | None = Parameter(default=None, description="Canonical metric ids (repeatable)."),
        *,  # the range parameters come after these in the document, as before
        days: AskedDays,
        granularity: Granularity = Parameter(default="day", description="day, week (ISO, Monday) or month."),
    ) -> Response[bytes]:
        """Series per account and metric; weeks and months sum flows and keep the last value of stocks.

        Answers may come from a per-process cache for up to `RESONANCE_METRICS_CACHE_SECONDS` after
        another process changed the data (`X-Cache: hit`); changes made in this process show at once.
        """
        query = _cache_key(request)

        async def compute() -> bytes:
            async with services.database.tenant_session(principal.tenant_id) as session:
                result = await read_series(
                    session, principal, services.registry, account_id, client_id, metric, days, granularity
                )
            return msgspec.json.encode(result)

        body = await services.metrics_cache.load(principal.tenant_id, query, compute, principal.client_id)
        return Response(body, media_type=MediaType.JSON, headers={"X-Cache": "miss"})

    @get("/catalog", guards=[require("read")], summary="The canonical metric catalogue")
    async def catalog(self, services: Services) -> CatalogOut:
        """Every canonical metric id with its unit, aggregation over time and meaning, and the native
        metric of each installed connector that feeds it (with validity dates and replacements)."""
        return catalog_of(services.registry)
