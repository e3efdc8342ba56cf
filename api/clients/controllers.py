"""Clients: the companies an agency manages."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS, agency_wide
from api.clients.models import Client
from api.clients.schemas import ClientIn, ClientOut, ClientPage, ClientPatch
from api.clients.service import get_client
from api.data_rights.erasure import forget_client_in_audit_log
from api.errors import Conflict, InvalidInput
from api.idempotency import idempotent
from api.pagination import PAGE, PageRequest, fetch_requested_page
from api.services import Services
from tenants.audit import Actor, record
from tenants.ids import utcnow


def client_out(client: Client) -> ClientOut:
    """The API shape of a client."""
    return ClientOut(
        id=client.id,
        name=client.name,
        industry=client.industry,
        currency=client.currency,
        timezone=client.timezone,
        language=client.language,
        brand_color=client.brand_color,
        logo_url=client.logo_url,
        created_at=client.created_at,
        updated_at=client.updated_at,
    )


def _check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone {timezone!r} is not an IANA time zone; use a name such as 'Europe/Paris' or 'UTC'.",
            field="timezone",
        ) from None


async def _check_name_free(session: AsyncSession, name: str, except_id: uuid.UUID | None = None) -> None:
    existing = (await session.scalars(select(Client).where(Client.name == name))).first()
    if existing is not None and existing.id != except_id:
        raise Conflict(f"A client named {name!r} already exists in this agency; choose another name.", field="name")


class ClientController(Controller):
    path = "/v1/clients"
    tags = ["clients"]
    opt = {OPEN_TO_CLIENT_KEYS: True}

    @post(
        "/",
        guards=[require("write")],
        status_code=201,
        summary="Create a client",
        opt={OPEN_TO_CLIENT_KEYS: False},  # a key limited to a client adds none to the agency
    )
    async def create_client(
        self,
        data: ClientIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[ClientOut]:
        """Add a client company to the agency (a 402 `quota_exceeded` when its plan's clients are all used)."""

        async def create() -> Response[ClientOut]:
            _check_timezone(data.timezone)
            await _check_name_free(session, data.name)
            await services.quotas.ensure_room(session, principal.tenant_id, "clients")
            client = Client(**msgspec.structs.asdict(data))
            session.add(client)
            await session.flush()
            record(session, actor, "client.created", client, changes=msgspec.structs.asdict(data))
            return Response(client_out(client), status_code=201)

        return await idempotent(request, session, create)

    @get("/", guards=[require("read")], summary="List clients", dependencies={"page": PAGE})
    async def list_clients(
        self,
        session: AsyncSession,
        principal: Principal,
        page: PageRequest,
    ) -> ClientPage:
        """The agency's clients, oldest first (for a key limited to a client, that client only)."""
        statement = select(Client)
        if principal.client_id is not None:
            statement = statement.where(col(Client.id) == principal.client_id)
        rows, next_cursor = await fetch_requested_page(session, statement, [col(Client.id)], page)
        return ClientPage(data=[client_out(row) for row in rows], next_cursor=next_cursor)

    @get("/{client_id:uuid}", guards=[require("read")], summary="Get a client")
    async def get_one(self, client_id: uuid.UUID, session: AsyncSession, principal: Principal) -> ClientOut:
        """One client."""
        return client_out(await get_client(session, principal, client_id))

    @patch("/{client_id:uuid}", guards=[require("write")], summary="Change a client")
    async def update_client(
        self, client_id: uuid.UUID, data: ClientPatch, session: AsyncSession, principal: Principal, actor: Actor
    ) -> ClientOut:
        """Change the fields sent; the others keep their value."""
        client = await get_client(session, principal, client_id)
        changes = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
        if "timezone" in changes:
            _check_timezone(changes["timezone"])
        if "name" in changes:
            await _check_name_free(session, changes["name"], except_id=client.id)
        for name, value in changes.items():
            setattr(client, name, value)
        client.updated_at = utcnow()
        record(session, actor, "client.updated", client, changes=changes)
        return client_out(client)

    @delete("/{client_id:uuid}", guards=[require("write")], summary="Delete a client and all its data")
    async def delete_client(
        self, client_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor, services: Services
    ) -> Response[None]:
        """Erase the client: its accounts (with their credentials), metrics, posts, mentions, sync history,
        alerts, objectives, costs and values, viewers and the API keys limited to it. The audit log keeps the
        actions on it, by id, without what they changed. Export it first (`GET /v1/tenant/export?client_id=…`)
        to keep a copy. A key limited to the client cannot delete it (403): that is for a key of the agency."""
        client = await get_client(session, principal, client_id)
        if principal.client_id is not None:
            raise agency_wide(principal, "deleting a client")
        # Erased: the audit log keeps who did what to the client, not its name or what was changed.
        await forget_client_in_audit_log(session, client.id)
        record(session, actor, "client.deleted", client)
        await session.delete(client)
        # The keys limited to the client go with it (foreign key): forgotten now and again after the commit, so that a
        # request racing this one cannot put one back in this process's cache. Cached reads (metrics, dashboards) of
        # this tenant are dropped once the deletion has committed.
        services.key_cache.forget_client(principal.tenant_id, client_id)
        return Response(
            None,
            status_code=204,
            background=BackgroundTasks(
                [
                    BackgroundTask(services.key_cache.forget_client, principal.tenant_id, client_id),
                    BackgroundTask(services.data_changed, principal.tenant_id),
                ]
            ),
        )
