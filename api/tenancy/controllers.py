"""Signup, the caller's tenant, and API keys."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal, require
from api.billing.access import WRITABLE_WHEN_READ_ONLY
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.data_rights.erasure import erase_confirmed
from api.errors import NotFound
from api.idempotency import idempotent
from api.pagination import PAGE, PageRequest, fetch_requested_page
from api.services import Services
from api.tenancy.keys import create_key, revoke_key
from api.tenancy.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    ApiKeyPage,
    SignupIn,
    SignupOut,
    TenantOut,
)
from tenants.audit import Actor
from tenants.models import ApiKey, Tenant
from tenants.signup import create_tenant


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        client_id=key.client_id,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def _key_created(key: ApiKey, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        client_id=key.client_id,
        created_at=key.created_at,
        secret=secret,
    )


def _without_secret(body: dict[str, Any]) -> dict[str, Any]:
    """A created key as kept for Idempotency-Key replays: the secret is shown once and never stored."""
    return {**body, "secret": None}


@post("/v1/signup", tags=["tenant"], exclude_from_auth=True, status_code=201, summary="Sign up an agency")
async def signup(data: SignupIn, services: Services, request: Request[Any, Any, Any]) -> SignupOut:
    """Create an agency (tenant) with its owner; the response holds its first admin API key, shown once."""
    actor = Actor(label=f"signup:{data.email.lower()}", request_id=request.scope.get("state", {}).get("request_id"))
    tenant, key, secret = await create_tenant(
        services.database, agency_name=data.agency_name, email=data.email, actor=actor
    )
    return SignupOut(
        tenant=TenantOut(id=tenant.id, name=tenant.name, created_at=tenant.created_at),
        api_key=_key_created(key, secret),
    )


class TenantController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["tenant"]

    @get("/v1/tenant", guards=[require("read")], summary="The caller's agency")
    async def get_tenant(self, session: AsyncSession, principal: Principal) -> TenantOut:
        """The agency the API key belongs to."""
        tenant = await session.get(Tenant, principal.tenant_id)
        if tenant is None:
            raise NotFound("This tenant no longer exists.")
        return TenantOut(id=tenant.id, name=tenant.name, created_at=tenant.created_at)

    @delete(
        "/v1/tenant",
        guards=[require("admin")],
        status_code=204,
        summary="Erase the agency and everything stored for it",
        opt={OPEN_TO_CLIENT_KEYS: False},
    )
    async def erase_tenant(
        self,
        principal: Principal,
        actor: Actor,
        services: Services,
        confirm: str | None = Parameter(
            default=None, max_length=64, description="The agency's id, to confirm: the erasure cannot be undone."
        ),
    ) -> None:
        """Erase the agency: its Stripe customer (Stripe cancels the subscription at once), then every row stored for
        it (clients, accounts with their credentials, metrics, posts, mentions, keys, members, webhooks, audit log,
        pending jobs), and its cached answers. Export it first (`GET /v1/tenant/export`) to keep a copy. A 422
        unless `confirm` is the agency's id; a 502 when Stripe cannot delete the customer (then nothing is erased:
        try again)."""
        await erase_confirmed(services, principal.tenant_id, confirm, actor)


class ApiKeyController(Controller):
    path = "/v1/api-keys"
    tags = ["api keys"]

    @post("/", guards=[require("admin")], status_code=201, summary="Create an API key")
    async def create_key(
        self,
        data: ApiKeyIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[ApiKeyCreated]:
        """Create a scoped key, for the whole agency or limited to one of its clients (`client_id`: a 404 when the
        agency has no such client). The secret is in this response only; store it now.

        A replay of this request (same `Idempotency-Key`) returns the same key with `secret` null.
        """

        async def create() -> Response[ApiKeyCreated]:
            key, secret = await create_key(
                session, principal, actor, name=data.name, scopes=data.scopes, client_id=data.client_id
            )
            return Response(_key_created(key, secret), status_code=201)

        return await idempotent(request, session, create, redact=_without_secret)

    @get("/", guards=[require("admin")], summary="List API keys", dependencies={"page": PAGE})
    async def list_keys(
        self,
        session: AsyncSession,
        page: PageRequest,
    ) -> ApiKeyPage:
        """The tenant's keys, revoked ones included, oldest first; secrets are never shown."""
        rows, next_cursor = await fetch_requested_page(session, select(ApiKey), [col(ApiKey.id)], page)
        return ApiKeyPage(data=[_key_out(row) for row in rows], next_cursor=next_cursor)

    @delete(
        "/{key_id:uuid}",
        guards=[require("admin")],
        summary="Revoke an API key",
        opt={WRITABLE_WHEN_READ_ONLY: True},  # a leaked key is revocable whatever the subscription's state
    )
    async def revoke_key(
        self, key_id: uuid.UUID, session: AsyncSession, actor: Actor, principal: Principal, services: Services
    ) -> Response[None]:
        """Revoke a key at once; requests made with it are refused from now on (also when the subscription is
        inactive and every other change is refused)."""
        await revoke_key(session, principal, actor, key_id)
        # Forgotten now and again once the revocation has committed, so a request racing this one
        # cannot put the key back in this process's cache.
        services.key_cache.forget_key(key_id)
        return Response(None, status_code=204, background=BackgroundTask(services.key_cache.forget_key, key_id))
