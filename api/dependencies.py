"""Request-scoped dependencies: the caller, its tenant session, and the audit actor."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.services import Services, provide_services
from tenants.audit import Actor


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller."""
    principal = request.user
    assert isinstance(principal, Principal), "the authentication middleware runs before every tenant route"
    return principal


async def provide_session(principal: Principal, services: Services) -> AsyncGenerator[AsyncSession, None]:
    """A session confined to the caller's tenant, committed when the handler succeeds.

    Litestar resolves the dependencies that need the same others side by side, and when one of them fails it drops
    the generators already started without closing them. So a dependency that checks the request (`page`, the day
    ranges) asks for no other dependency: it runs in the first batch, before this one opens a session.
    """
    async with services.database.tenant_session(principal.tenant_id) as session:
        yield session


async def provide_actor(principal: Principal, request: Request[Any, Any, Any]) -> Actor:
    """Who the audit log names for changes made in this request."""
    return principal.actor(request.scope.get("state", {}).get("request_id"))


dependencies = {
    "principal": Provide(provide_principal),
    "session": Provide(provide_session),
    "actor": Provide(provide_actor),
    "services": Provide(provide_services),
}
