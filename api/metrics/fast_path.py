"""Cached metrics reads answered by the first middleware, like a cache in front of the application.

Dashboards read the same series again and again; once an answer is cached (see `cache.py`), serving
it costs less than the authentication middleware, guards, hooks and response machinery around it.
This middleware, first in the chain, answers `GET /v1/metrics` itself when, and only when, everything needed is
already in memory: the request presents one well-formed API key, picked from its headers by the rule the
authentication middleware applies (`api.auth.presented_key`), its principal is cached and fresh (the same
`KeyCache` the authentication middleware fills), the key has the `read` scope, its `last_used_at`
is not due to be written, and the tenant's answer for this exact query string, computed for a key with the same
client limit (`api/client_keys.py`), is cached. Anything
else (no key, an unknown or revoked key, a miss, another route) goes through the application as
usual, which gives the same answer, errors included, and fills the caches for the next request.

With billing on, the answer is rate-limited and counted like any other request (`api/billing/rate_limit_middleware.py`),
with the same headers under the same rule (near the limit, or always with `RESONANCE_RATE_LIMIT_HEADERS_FROM=0`).
In memory mode that costs a few dictionary and list operations, no await; when the decision needs I/O
(the agency's standing is not cached) or the request is refused, the request goes through the application
instead, which decides, counts and refuses exactly as for any other route (a refused request was not
counted here, so it is never counted twice). In Redis mode the check is awaited here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from api import auth
from api.billing.rate_limit_middleware import check, rate_limit_headers, shows_headers
from api.billing.rate_limits import QUOTA, MemoryRateLimits, RateLimits
from api.billing.standing import Standings
from api.errors import ApiError, Unauthorized
from api.observability import ensure_request_id
from api.services import Services, services_of
from tenants import api_keys

PATH = "/v1/metrics"


def _cached_answer(scope: Scope, services: Services) -> tuple[auth.Principal, bytes] | None:
    try:
        secret = auth.presented_key(scope["headers"])  # the application's own rule, so both always agree
    except Unauthorized:
        return None  # the application refuses the request, with the same sentence
    keys = services.key_cache
    key_hash = api_keys.hash_key(secret)
    entry = keys.get(key_hash)
    if entry is None or keys.due_for_refresh(key_hash, entry) or keys.last_used_due(entry.principal.key_id):
        return None
    if not entry.principal.allows("read"):
        return None
    principal = entry.principal
    metrics = services.metrics_cache
    # Keyed by the key's client limit too: a key limited to a client only meets answers computed for that limit.
    body = metrics.get(
        principal.tenant_id, bytes(scope.get("query_string", b"")).decode("latin-1"), principal.client_id
    )
    return None if body is None else (principal, body)


Headers = Sequence[tuple[bytes, bytes]]
_NO_HEADERS: Headers = ()
_NEEDS_IO: Headers = []


def _limit_headers_now(
    memory: MemoryRateLimits | None, standings: Standings, share: float, principal: auth.Principal
) -> Headers | None:
    """The rate-limit headers of an accepted (and counted) request, decided without I/O by the memory store; None
    to let the application decide (refused); `_NEEDS_IO` when the decision needs I/O (`_limit_headers_later`)."""
    # This runs on every cached read: a few dictionary and integer operations, no object built unless the
    # headers are due.
    if memory is None:  # the Redis store
        return _NEEDS_IO
    tenant_id = principal.tenant_id
    standing = standings.cached(tenant_id)
    if standing is None:
        return _NEEDS_IO
    limit = standing.plan.quotas.get(QUOTA)
    used = memory.try_hit(tenant_id, limit)
    if used is None or limit is None:  # a plan without a limit: counted, no headers
        return _NO_HEADERS
    if not used:
        return None
    if used < limit * share:  # `shows_headers`, inlined on this path
        return _NO_HEADERS
    return rate_limit_headers(memory.decision(tenant_id, limit, accepted=True))


async def _limit_headers_later(services: Services, share: float, principal: auth.Principal) -> Headers | None:
    """The same with the store's I/O (Redis); None when the standing is not cached or the store fails."""
    standing = services.standings.cached(principal.tenant_id)
    if standing is None:
        return None
    try:
        decision = await check(services, principal.tenant_id, standing)
    except ApiError:
        return None
    if decision is None:
        return _NO_HEADERS
    if not decision.allowed:
        return None
    return rate_limit_headers(decision) if shows_headers(decision.used, decision.limit, share) else _NO_HEADERS


def _billing_of(services: Services) -> tuple[MemoryRateLimits | None, Standings, float] | None:
    """What `_limit_headers_now` needs from the app's services; None with billing off."""
    store: RateLimits | None = services.rate_limits
    if store is None:
        return None
    memory = store if isinstance(store, MemoryRateLimits) else None
    return memory, services.standings, float(services.settings.rate_limit_headers_from)


def cached_metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Answer cached metrics reads at once; pass everything else to `app`."""

    services: Services | None = None
    """The app's services, looked up once (attribute access to Litestar's `State` costs about as much as the
    rate-limit check; the members of `Services` are slots)."""
    billing: tuple[MemoryRateLimits | None, Standings, float] | None = None
    """With billing on: the app's memory store (None for Redis), standings and `RESONANCE_RATE_LIMIT_HEADERS_FROM`,
    looked up once; None with billing off."""
    looked_up = False

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal services, billing, looked_up
        if str(scope["type"]) == "http" and scope["path"] == PATH and scope.get("method") == "GET":
            if services is None:
                services = services_of(scope["app"].state)
            answer = _cached_answer(scope, services)
            limit_headers: Headers | None = None
            if answer is not None:
                if not looked_up:
                    billing, looked_up = _billing_of(services), True
                if billing is None:
                    limit_headers = _NO_HEADERS
                else:
                    limit_headers = _limit_headers_now(*billing, answer[0])
                    if limit_headers is _NEEDS_IO:
                        limit_headers = await _limit_headers_later(services, billing[2], answer[0])
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
