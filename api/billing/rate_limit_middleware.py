"""Rate limits over HTTP: the middleware that checks every authenticated request, its headers and its 429.

Runs after `ApiKeyMiddleware` has found the principal, so public paths (health, signup, docs, OAuth
callback, Stripe webhook) and refused keys are neither limited nor counted. The cached metrics reads
answered before the application (`api/metrics/fast_path.py`) take the memory store's `try_hit`, or `check`
here, with the same rule and the same headers.

Headers follow draft-ietf-httpapi-ratelimit-headers-11 (structured fields, RFC 9651)::

    RateLimit-Policy: "api_requests_per_minute";q=600;w=60
    RateLimit: "api_requests_per_minute";r=12;t=40

`q` is the plan's limit, `w` the window in seconds, `r` the requests left, `t` the seconds until the
oldest counted request stops counting (up to 61: see `api.billing.rate_limits`). A refused request gets them
with `Retry-After` (whole seconds) and a problem+json body with code `rate_limited`. An accepted request
gets them once the agency has used `RESONANCE_RATE_LIMIT_HEADERS_FROM` of its limit in the window (half by
default; 0: on every response), as the draft's performance considerations (section 6.2) suggest: the
headers are what a client needs to slow down, and sending two validated header fields on every answer
costs the cached metrics read a measurable share of its throughput (`tests/bench/README.md`). Clients
must not expect them far from the limit; `GET /v1/subscription` reports the window's use at any time
(`DECISION_STATE` below). A plan without a limit gets no such headers; its requests are still metered.
"""

from __future__ import annotations

import logging
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Principal
from api.billing.quotas import Quotas
from api.billing.rate_limits import QUOTA, WINDOW_SECONDS, RateDecision
from api.billing.standing import Standing
from api.errors import ApiError, Unavailable
from api.services import Services, services_of

logger = logging.getLogger("resonance.rate_limits")
POLICY_HEADER = b"ratelimit-policy"
STATE_HEADER = b"ratelimit"
_POLICIES: dict[int, bytes] = {}
_QUOTA = QUOTA.encode("ascii")
DECISION_STATE = "rate_limit_decision"
"""Where the middleware leaves the request's `RateDecision` in the scope's state (read by `GET /v1/subscription`)."""


class RateLimited(ApiError):
    status_code = 429
    code = "rate_limited"
    title = "Too many requests"


def policy_value(limit: int) -> bytes:
    """`"api_requests_per_minute";q=<limit>;w=60`, built once per limit."""
    value = _POLICIES.get(limit)
    if value is None:
        value = _POLICIES[limit] = f'"{QUOTA}";q={limit};w={WINDOW_SECONDS}'.encode("ascii")
    return value


def rate_limit_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    """The `RateLimit-Policy` and `RateLimit` headers for `decision`."""
    policy = _POLICIES.get(decision.limit) or policy_value(decision.limit)
    return [(POLICY_HEADER, policy), (STATE_HEADER, b'"%s";r=%d;t=%d' % (_QUOTA, decision.remaining, decision.reset))]


def shows_headers(used: int, limit: int, share: float) -> bool:
    """Whether an accepted request's response carries the headers: the agency has used (`used`, this request
    included) at least `share` of its `limit` in the window."""
    return used >= limit * share


def _per_minute(limit: int | None) -> str:
    return "no limit" if limit is None else f"{limit} per minute"


def refusal(decision: RateDecision, standing: Standing, quotas: Quotas) -> RateLimited:
    """The 429 for a refused request: the quota, usage, limit, plan, when to retry and how to upgrade (the same
    `upgrade` object as the other quota refusals)."""
    plan = standing.plan
    upgrade = quotas.upgrade(standing.tenant_id, plan, QUOTA, decision.limit)
    if upgrade["plans"]:
        offers = ", ".join(f"{offer['name']} ({_per_minute(offer['limit'])})" for offer in upgrade["plans"])
        how = f", or move to a plan allowing more: {offers}"
    else:
        how = ""
    detail = (
        f"The agency has made {decision.used} API requests in the last {WINDOW_SECONDS} seconds, the limit of "
        f"its {plan.name} plan ({decision.limit} per minute, all its API keys together). Retry after "
        f"{decision.retry_after} seconds{how}."
    )
    headers = {name.decode(): value.decode() for name, value in rate_limit_headers(decision)}
    headers["Retry-After"] = str(decision.retry_after)
    return RateLimited(
        detail,
        headers=headers,
        extra={
            "quota": QUOTA,
            "usage": decision.used,
            "limit": decision.limit,
            "plan": plan.id,
            "retry_after": decision.retry_after,
            "upgrade": upgrade,
        },
    )


async def check(services: Services, tenant_id: uuid.UUID, standing: Standing) -> RateDecision | None:
    """Check and count one request of the agency (any store); None when its plan has no limit."""
    store = services.rate_limits
    assert store is not None, "the middleware and the fast path check limits only when billing is on"
    try:
        return await store.hit(tenant_id, standing.plan.limit(QUOTA))
    except Exception:
        # Serving uncounted calls would lose billed usage: refuse until the shared store is back.
        logger.exception("the rate-limit store does not answer")
        raise Unavailable(
            "Request limits cannot be checked right now (the shared rate-limit store does not answer); "
            "retry in a few seconds.",
            headers={"Retry-After": "5"},
        ) from None


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse requests over the agency's limit with a 429; add the headers to the accepted ones near the limit."""

    share: float | None = None
    """`RESONANCE_RATE_LIMIT_HEADERS_FROM`, read from the app's settings once."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal share
        principal = scope.get("user")
        if str(scope["type"]) != "http" or not isinstance(principal, Principal):
            await app(scope, receive, send)
            return
        services = services_of(scope["app"].state)
        standing = await services.standings.of(principal.tenant_id)
        decision = await check(services, principal.tenant_id, standing)
        if decision is None:
            await app(scope, receive, send)
            return
        if not decision.allowed:
            raise refusal(decision, standing, services.quotas)
        scope.setdefault("state", {})[DECISION_STATE] = decision
        if share is None:
            share = float(services.settings.rate_limit_headers_from)
        if not shows_headers(decision.used, decision.limit, share):
            await app(scope, receive, send)
            return
        headers = rate_limit_headers(decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
