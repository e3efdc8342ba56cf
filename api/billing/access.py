"""The write guard: an agency whose subscription gives no write access reads and exports, and changes nothing.

One app-level guard, keyed on the method, so that every write route (those added later included) is covered
without each one opting in. It costs a dictionary lookup: the agency's standing is cached per process
(`api/billing/standing.py`), so a change of status reaches other processes within five seconds.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference

from api.auth import Principal
from api.billing.standing import Standings
from api.errors import PROBLEM_MEDIA_TYPE, ApiError
from api.openapi import operations
from api.services import services_of

READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

ALWAYS_WRITABLE_PREFIXES: Final = ("/v1/billing/", "/v1/stripe/webhook")
"""Routes a read-only agency still uses: paying or subscribing again (checkout and portal sessions), and the
Stripe webhook that reports the payment (public; it has no agency's key anyway)."""

WRITABLE_WHEN_READ_ONLY: Final = "writable_when_read_only"
"""Set `opt={WRITABLE_WHEN_READ_ONLY: True}` on a write route a read-only agency may still call (revoking an API
key: a leaked key must always be revocable)."""


class SubscriptionInactive(ApiError):
    """The agency's subscription does not allow changes now (canceled, unpaid, past due after the grace period)."""

    status_code = 402
    code = "subscription_inactive"
    title = "Subscription inactive"


def always_writable(handler: BaseRouteHandler, path_template: str | None) -> bool:
    """True for the routes a read-only agency may still write to."""
    if handler.opt.get(WRITABLE_WHEN_READ_ONLY):
        return True
    return bool(path_template) and str(path_template).startswith(ALWAYS_WRITABLE_PREFIXES)


async def subscription_access(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Refuse a write with a 402 `subscription_inactive` when the agency's subscription makes it read-only."""
    if connection.scope.get("method") in READ_METHODS:
        return
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        return  # a public route (signup, the Stripe webhook): no agency to hold to its subscription
    if always_writable(handler, connection.scope.get("path_template")):
        return
    await ensure_writable(services_of(connection.app.state).standings, principal.tenant_id)


async def ensure_writable(standings: Standings, tenant_id: uuid.UUID) -> None:
    """Raise `SubscriptionInactive` when the agency's subscription makes it read-only (the portal's writes call
    it too, so a page refuses what the API refuses)."""
    standing = await standings.of(tenant_id)
    if standing.access.writable:
        return
    raise SubscriptionInactive(
        standing.access.reason or "The agency's subscription does not allow changes now.",
        extra={"subscription_status": standing.status, "plan": standing.plan.id},
    )


QUOTA_ROUTES: Final = {
    ("POST", "/v1/clients"): "clients",
    ("POST", "/v1/clients/{client_id}/accounts"): "tracked_accounts",
    ("PATCH", "/v1/accounts/{account_id}"): "tracked_accounts",
    ("POST", "/v1/clients/{client_id}/oauth/authorizations"): "tracked_accounts",
    ("POST", "/v1/webhook-endpoints"): "webhook_endpoints",
    ("POST", "/v1/accounts/{account_id}/syncs"): "syncs_per_day",
}
"""The operations a plan's quota can refuse (documented in the OpenAPI document)."""


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
    )


def document_access(app: Litestar) -> None:
    """Add the 402 of a read-only agency to every guarded write, and the quota refusals where they happen."""
    for route, handler, method, operation in operations(app):
        if method in READ_METHODS or handler.opt.get("exclude_from_auth") or always_writable(handler, route.path):
            continue
        responses = operation.responses or {}
        inactive = "`subscription_inactive`: the agency's subscription makes it read-only (canceled, unpaid…)."
        quota = QUOTA_ROUTES.get((method, route.path_format))
        if quota == "syncs_per_day":
            responses["429"] = _problem(
                "`quota_exceeded`: the plan's syncs per day are used up; `Retry-After` says when they return."
            )
        elif quota is not None:
            inactive = f"`quota_exceeded`: the plan's {quota} quota is full (see `upgrade`); or {inactive}"
        responses["402"] = _problem(inactive)
        operation.responses = responses
