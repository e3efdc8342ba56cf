"""Cached metrics reads answered by the first middleware, like a cache in front of the application.

Dashboards read the same series again and again; once an answer is cached (see `cache.py`), serving
it costs less than the authentication middleware, guards, hooks and response machinery around it.
This middleware, first in the chain, answers `GET /v1/metrics` itself when, and only when, everything needed is
already in memory: the API key is well formed and its principal is cached and fresh (the same
`KeyCache` the authentication middleware fills), the key has the `read` scope, its `last_used_at`
is not due to be written, and the tenant's answer for this exact query string is cached. Anything
else (no key, an unknown or revoked key, a miss, another route) goes through the application as
usual, which gives the same answer, errors included, and fills the caches for the next request.

With billing on, the answer is rate-limited and counted like any other request (`api/billing/rate_limits.py`),
with the same headers. In memory mode that costs a few dictionary and list operations, no await; when the
decision needs I/O (the agency's standing is not cached) or the request is refused, the request goes
through the application instead, which decides, counts and refuses exactly as for any other route (a
refused request was not counted here, so it is never counted twice). In Redis mode the check is awaited here.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from api import auth
from api.billing.rate_limits import check, rate_limit_headers
from api.billing.standing import Standings
from api.errors import ApiError
from api.metrics.cache import MetricsCache
from api.observability import ensure_request_id
from tenants import api_keys
from tenants.rate_limits import QUOTA, MemoryRateLimits, RateLimits

PATH = "/v1/metrics"


def _presented_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            return secret.strip() if scheme.lower() == "bearer" else None
        if name == b"x-api-key":
            return value.decode("latin-1")
    return None


def _cached_answer(scope: Scope) -> tuple[auth.Principal, bytes] | None:
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
    body = metrics.get(entry.principal.tenant_id, bytes(scope.get("query_string", b"")).decode("latin-1"))
    return None if body is None else (entry.principal, body)


_NEEDS_IO: list[tuple[bytes, bytes]] = []


def _limit_headers_now(
    store: RateLimits | None, standings: Standings, principal: auth.Principal
) -> list[tuple[bytes, bytes]] | None:
    """The rate-limit headers of an accepted (and counted) request, decided without I/O; None to let the
    application decide (refused); `_NEEDS_IO` when the decision needs I/O (`_limit_headers_later`)."""
    # This runs on every cached read: only the memory store answers without I/O (`try_hit`).
    if store is None:  # billing off
        return []
    if not isinstance(store, MemoryRateLimits):
        return _NEEDS_IO
    standing = standings.cached(principal.tenant_id)
    if standing is None:
        return _NEEDS_IO
    decision = store.try_hit(principal.tenant_id, standing.plan.quotas.get(QUOTA))
    if decision is None:  # a plan without a limit: counted, no headers
        return []
    return rate_limit_headers(decision) if decision.allowed else None


async def _limit_headers_later(state: Any, principal: auth.Principal) -> list[tuple[bytes, bytes]] | None:
    """The same with the store's I/O (Redis); None when the standing is not cached or the store fails."""
    standing = state.standings.cached(principal.tenant_id)
    if standing is None:
        return None
    try:
        decision = await check(state, principal.tenant_id, standing)
    except ApiError:
        return None
    if decision is None:
        return []
    return rate_limit_headers(decision) if decision.allowed else None


def cached_metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Answer cached metrics reads at once; pass everything else to `app`."""

    billing: tuple[RateLimits | None, Standings] | None = None
    """The app's rate-limit store and standings, looked up in its state once (attribute access to the
    state costs about as much as the rate-limit check itself)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal billing
        if str(scope["type"]) == "http" and scope["path"] == PATH and scope.get("method") == "GET":
            answer = _cached_answer(scope)
            limit_headers = None
            if answer is not None:
                if billing is None:
                    state = scope["app"].state
                    billing = (state.rate_limits, state.standings)
                limit_headers = _limit_headers_now(*billing, answer[0])
                if limit_headers is _NEEDS_IO:
                    limit_headers = await _limit_headers_later(scope["app"].state, answer[0])
            if answer is not None and limit_headers is not None:
                body = answer[1]
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
                        *limit_headers,
                    ],
                }
                content: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
                await send(start)
                await send(content)
                return
        await app(scope, receive, send)

    return middleware
