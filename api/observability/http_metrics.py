"""API request counts and latencies, recorded by a `before_send` hook.

A hook rather than Litestar's `PrometheusMiddleware`: middleware only sees the responses of the handlers
below it, so a request refused by the API key middleware (whose error response Litestar's outer exception
handler builds after the middleware stack has unwound) would be counted as a 200, and requests no route
matched would not be counted at all. A `before_send` hook sees every response the application sends.

The route label is the matched route's template (`/v1/clients/{client_id}`), never the path: a path holds ids,
which would make one series per object and put tenant data in metrics.
"""

from __future__ import annotations

import time

from litestar.types import Message, Scope
from prometheus_client import Counter, Histogram

from api.observability import metrics

_STARTED = "metrics_started"
_STATUS = "metrics_status"


async def count_request(message: Message, scope: Scope) -> None:
    """`before_send` hook: note the status at the response's start, record the request at its last body part."""
    if str(scope["type"]) != "http":
        return
    state = scope.setdefault("state", {})
    if message["type"] == "http.response.start":
        state[_STATUS] = message["status"]
        # `started` is set by the request-id middleware; a request that never reached it (an unmatched route)
        # is timed from here, which is all there is of it.
        state.setdefault(_STARTED, state.get("started", time.perf_counter()))
        return
    if message["type"] != "http.response.body" or message.get("more_body", False) or _STATUS not in state:
        return
    status = int(state.pop(_STATUS))
    method = scope.get("method", "")
    key = (method if method in metrics.HTTP_METHODS else "other", scope.get("path_template"), status)
    series = _series.get(key)
    if series is None:
        series = _series.setdefault(key, _labelled(*key))
    series[0].inc()
    series[1].observe(time.perf_counter() - state[_STARTED])


# The labelled series by (method, template, status): a dictionary lookup per request instead of prometheus_client's
# locked label lookups (this runs on every response, the cached metrics reads included). Bounded like the labels.
_series: dict[tuple[str, str | None, int], tuple[Counter, Histogram]] = {}


def _labelled(method: str, template: str | None, status: int) -> tuple[Counter, Histogram]:
    route = template or metrics.UNMATCHED_ROUTE
    return (
        metrics.http_requests.labels(method, route, str(status)),
        metrics.http_duration.labels(method, route, f"{status // 100}xx"),
    )
