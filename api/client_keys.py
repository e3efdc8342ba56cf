"""API keys limited to one client of the agency: what they may call, and what they see.

A key created with a `client_id` (a brand's own dashboard, a freelancer on one account) sees that client only.
Two rules enforce it, neither of which a route has to remember:

- the lookups every route goes through (`get_client`, `get_account`, `get_rule`, `get_alert`, `get_sync_run`)
  ask `Principal.sees_client` and answer another client's object with the same 404 as another agency's, and the
  lists of the whole agency (clients, alert rules, alerts) show the key's client only;
- this app-level guard refuses such a key, with a 403 saying why, on every route not marked
  `opt={OPEN_TO_CLIENT_KEYS: True}` (set per controller): API keys, webhook endpoints, billing, usage and the
  subscription concern the whole agency, and a route added later stays closed to these keys until someone marks it.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.auth import Principal
from api.errors import Forbidden
from api.openapi import operations

OPEN_TO_CLIENT_KEYS: Final = "open_to_client_keys"
"""Set `opt={OPEN_TO_CLIENT_KEYS: True}` on a controller (or route) whose every object is reached through a client's
lookup, so that a key limited to one client may call it; `False` on one of its routes closes that route again."""

AGENCY_SCOPES: Final = frozenset({"admin", "webhooks"})
"""Scopes of routes that concern the whole agency (keys, billing, webhook endpoints): a client-limited key has none."""

CLOSED_NOTE: Final = "Not open to API keys limited to a client (403)."


def agency_wide(principal: Principal, what: str) -> Forbidden:
    """The refusal of something that concerns the whole agency to a key limited to one client."""
    return Forbidden(
        f"This API key is limited to client {principal.client_id}; {what} concerns the whole agency. "
        "Use a key of the agency that is not limited to a client."
    )


async def client_key_access(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Refuse a client-limited key on a route that is not open to such keys."""
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal) or principal.client_id is None:
        return  # a public route, or a key of the whole agency
    if handler.opt.get(OPEN_TO_CLIENT_KEYS):
        return
    raise agency_wide(principal, f"{connection.scope.get('method', '')} {connection.scope.get('path', '')}".strip())


def document_client_keys(app: Litestar) -> None:
    """Say on each authenticated operation closed to client-limited keys that they are refused there."""
    for _route, handler, _method, operation in operations(app):
        if handler.opt.get(OPEN_TO_CLIENT_KEYS) or handler.opt.get("exclude_from_auth"):
            continue
        operation.description = f"{operation.description or ''}\n\n{CLOSED_NOTE}".strip()
