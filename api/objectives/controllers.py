"""Objectives over HTTP: a client's targets, each answered with its progress and forecast."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.idempotency import idempotent
from api.objectives import service
from api.objectives.schemas import ObjectiveIn, ObjectiveOut, ObjectivePage, ObjectivePatch
from api.pagination import PAGE, PageRequest
from api.services import Services
from tenants.audit import Actor

AsOf = Parameter(default=None, description="Compute progress as of this day (default: today in the client's zone).")


class ObjectiveController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/objectives"
    tags = ["objectives"]

    @post("/", guards=[require("write")], status_code=201, summary="Set an objective")
    async def create_objective(
        self,
        client_id: uuid.UUID,
        data: ObjectiveIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[ObjectiveOut]:
        """A target on a metric over a period, on the client's owned accounts (all of them, one network or one
        account); `direction` says whether to reach at least or stay at most at the target."""
        client = await get_client(session, principal, client_id)

        async def create() -> Response[ObjectiveOut]:
            out = await service.create_objective(session, actor, services.registry.metrics, client, data)
            return Response(out, status_code=201)

        return await idempotent(request, session, create)

    @get("/", guards=[require("read")], summary="List a client's objectives", dependencies={"page": PAGE})
    async def list_objectives(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        services: Services,
        *,  # the page parameters follow as_of in the document, as before
        as_of: date | None = AsOf,
        page: PageRequest,
    ) -> ObjectivePage:
        """The client's objectives, oldest first, each with its progress."""
        return await service.list_objectives(session, principal, services.registry.metrics, client_id, as_of, page)

    @get("/{objective_id:uuid}", guards=[require("read")], summary="Get an objective and its progress")
    async def get_objective(
        self,
        client_id: uuid.UUID,
        objective_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        services: Services,
        as_of: date | None = AsOf,
    ) -> ObjectiveOut:
        """The objective with its value so far, expected value by now, forecast at the current pace, status,
        and, when off track, the account that falls furthest behind its share."""
        return await service.read_objective(
            session, principal, services.registry.metrics, client_id, objective_id, as_of
        )

    @patch("/{objective_id:uuid}", guards=[require("write")], summary="Change an objective")
    async def update_objective(
        self,
        client_id: uuid.UUID,
        objective_id: uuid.UUID,
        data: ObjectivePatch,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
    ) -> ObjectiveOut:
        """Change the fields sent; the others keep their value."""
        return await service.update_objective(
            session, principal, actor, services.registry.metrics, client_id, objective_id, data
        )

    @delete("/{objective_id:uuid}", guards=[require("write")], summary="Delete an objective")
    async def delete_objective(
        self, client_id: uuid.UUID, objective_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> None:
        """Remove the objective."""
        await service.delete_objective(session, principal, actor, client_id, objective_id)
