"""Cached metrics reads answered by the first middleware, like a cache in front of the application.

Dashboards read the same series again and again; once an answer is cached (see `cache.py`), serving
it costs less than the authentication middleware, guards, hooks and response machinery around it.
This middleware, first in the chain, answers `GET /v1/metrics` itself when, and only when, everything needed is
already in memory: the API key is well formed and its principal is cached and fresh (the same
`KeyCache` the authentication middleware fills), the key has the `read` scope, its `last_used_at`
is not due to be written, and the tenant's answer for this exact query string is cached. Anything
else (no key, an unknown or revoked key, a miss, another route) goes through the application as
usual, which gives the same answer, errors included, and fills the caches for the next request.
"""

from __future__ import annotations

import time

from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from api import auth
from api.metrics.cache import MetricsCache
from api.observability import ensure_request_id
from tenants import api_keys

PATH = "/v1/metrics"


def _presented_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            return secret.strip() if scheme.lower() == "bearer" else None
        if name == b"x-api-key":
            return value.decode("latin-1")
    return None


def _cached_body(scope: Scope) -> bytes | None:
    secret = _presented_key(scope)
    if not secret or not api_keys.is_well_formed(secret):
        return None
    state = scope["app"].state
    keys: auth.KeyCache = state.key_cache
    key_hash = api_keys.hash_key(secret)
    entry = keys.get(key_hash)
    if entry is None or keys.due_for_refresh(key_hash, entry) or keys.last_used_due(entry.principal.key_id):
        return None
    if not entry.principal.allows("read"):
        return None
    metrics: MetricsCache = state.metrics_cache
    return metrics.get(entry.principal.tenant_id, bytes(scope.get("query_string", b"")).decode("latin-1"))


def cached_metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Answer cached metrics reads at once; pass everything else to `app`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) == "http" and scope["path"] == PATH and scope.get("method") == "GET":
            body = _cached_body(scope)
            if body is not None:
                # Litestar's `before_send` hook (api.observability.echo_request_id) wraps `send`: it adds the
                # request id to the answer and logs the request, as for every other route.
                ensure_request_id(scope)
                scope["state"]["started"] = time.perf_counter()
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode("ascii")),
                        (b"x-cache", b"hit"),
                    ],
                }
                content: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
                await send(start)
                await send(content)
                return
        await app(scope, receive, send)

    return middleware
