"""The ROI ledger over HTTP: costs and values (JSON or CSV import), EMV rates, and the ROI report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import ApiError, InvalidInput, NotFound
from api.idempotency import idempotent
from api.metrics.window import check_day
from api.pagination import fetch_page, page_size
from api.roi.imports import parse_costs, parse_values
from api.roi.ledger import build_cost, build_value, cost_out, value_out
from api.roi.models import CostEntry, ValueEntry
from api.roi.schemas import (
    CostIn,
    CostOut,
    CostPage,
    CostType,
    ImportOut,
    ValueIn,
    ValueOut,
    ValuePage,
    ValueType,
)
from tenants.audit import Actor, record

CSV_MEDIA_TYPES = ("text/csv", "application/csv")

From = Annotated[date | None, QueryParameter(name="from", description="Entries dated on or after this day.")]
To = Annotated[date | None, QueryParameter(name="to", description="Entries dated on or before this day.")]


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


def _check_range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"from ({date_from}) is after to ({date_to}).", field="from")
    check_day(date_from, "from")
    check_day(date_to, "to")


def _csv_body_expected(request: Request[Any, Any, Any]) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"send the file with Content-Type: text/csv (got {media_type or 'none'}).", field="Content-Type"
        )


async def _cost(session: AsyncSession, client: Client, cost_id: uuid.UUID) -> CostEntry:
    entry = (
        await session.scalars(select(CostEntry).where(CostEntry.id == cost_id, CostEntry.client_id == client.id))
    ).first()
    if entry is None:
        raise NotFound(f"There is no cost {cost_id} for this client.", field="cost_id")
    return entry


async def _value(session: AsyncSession, client: Client, value_id: uuid.UUID) -> ValueEntry:
    entry = (
        await session.scalars(select(ValueEntry).where(ValueEntry.id == value_id, ValueEntry.client_id == client.id))
    ).first()
    if entry is None:
        raise NotFound(f"There is no value {value_id} for this client.", field="value_id")
    return entry


class CostController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/costs"
    tags = ["roi"]

    @post("/", guards=[require("write")], status_code=201, summary="Record a cost")
    async def create_cost(
        self,
        client_id: uuid.UUID,
        data: CostIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[CostOut]:
        """Record ad spend, labour (hours × hourly_rate, the amount derived exactly), tools or agency fees.

        An amount in another currency than the client's needs its `exchange_rate` into the client's currency.
        """
        client = await get_client(session, principal, client_id)

        async def create() -> Response[CostOut]:
            entry = build_cost(client, data)
            session.add(entry)
            await session.flush()
            out = cost_out(entry, client)
            record(session, actor, "cost.created", entry, changes={"type": entry.type, "amount": out.amount})
            return Response(out, status_code=201)

        return await idempotent(request, session, create)

    @post("/import", guards=[require("write")], status_code=201, summary="Import costs from CSV")
    async def import_costs(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[ImportOut]:
        """Import a CSV file (`Content-Type: text/csv`, UTF-8, header on line 1) with the columns
        `type,date,network,campaign,amount,hours,hourly_rate,currency,exchange_rate,note` (any order; only
        `type` and `date` are required; empty cells are left out). All or nothing: if any row is invalid,
        nothing is stored and the 422 lists every bad row with its line number, field and reason."""
        client = await get_client(session, principal, client_id)
        _csv_body_expected(request)

        async def create() -> Response[ImportOut]:
            entries = parse_costs(await request.body(), client)
            session.add_all(entries)
            await session.flush()
            ids = [entry.id for entry in entries]
            record(session, actor, "costs.imported", client, changes={"count": len(ids), "ids": ids})
            return Response(ImportOut(imported=len(ids), ids=ids), status_code=201)

        return await idempotent(request, session, create)

    @get("/", guards=[require("read")], summary="List a client's costs")
    async def list_costs(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        date_from: From = None,
        date_to: To = None,
        network: str | None = Parameter(default=None, description="Only entries of this network."),
        kind: Annotated[CostType | None, QueryParameter(name="type", description="Only this cost type.")] = None,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, description="Page size (capped)."),
    ) -> CostPage:
        """The client's costs, in the order they were recorded."""
        client = await get_client(session, principal, client_id)
        _check_range(date_from, date_to)
        statement = select(CostEntry).where(CostEntry.client_id == client.id)
        if date_from:
            statement = statement.where(col(CostEntry.day) >= date_from)
        if date_to:
            statement = statement.where(col(CostEntry.day) <= date_to)
        if network:
            statement = statement.where(CostEntry.network == network)
        if kind:
            statement = statement.where(CostEntry.type == kind)
        rows, next_cursor = await fetch_page(
            session, statement, [col(CostEntry.id)], limit=page_size(limit, state.settings.page_size_max), cursor=cursor
        )
        return CostPage(data=[cost_out(row, client) for row in rows], next_cursor=next_cursor)

    @get("/{cost_id:uuid}", guards=[require("read")], summary="Get a cost")
    async def get_cost(
        self, client_id: uuid.UUID, cost_id: uuid.UUID, session: AsyncSession, principal: Principal
    ) -> CostOut:
        """One cost entry."""
        client = await get_client(session, principal, client_id)
        return cost_out(await _cost(session, client, cost_id), client)

    @delete("/{cost_id:uuid}", guards=[require("write")], summary="Delete a cost")
    async def delete_cost(
        self, client_id: uuid.UUID, cost_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> None:
        """Remove a cost entry from the ledger."""
        client = await get_client(session, principal, client_id)
        entry = await _cost(session, client, cost_id)
        record(
            session,
            actor,
            "cost.deleted",
            entry,
            changes={"type": entry.type, "amount": str(entry.amount), "currency": entry.currency, "date": entry.day},
        )
        await session.delete(entry)


class ValueController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/values"
    tags = ["roi"]

    @post("/", guards=[require("write")], status_code=201, summary="Record a value")
    async def create_value(
        self,
        client_id: uuid.UUID,
        data: ValueIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[ValueOut]:
        """Record conversions with their revenue, leads (count × value per lead) or applications (count, and
        optionally a value per application). Earned media value is not recorded here: see /roi."""
        client = await get_client(session, principal, client_id)

        async def create() -> Response[ValueOut]:
            entry = build_value(client, data)
            session.add(entry)
            await session.flush()
            out = value_out(entry, client)
            record(session, actor, "value.created", entry, changes={"type": entry.type, "amount": out.amount})
            return Response(out, status_code=201)

        return await idempotent(request, session, create)

    @post("/import", guards=[require("write")], status_code=201, summary="Import values from CSV")
    async def import_values(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[ImportOut]:
        """Import a CSV file (`Content-Type: text/csv`, UTF-8, header on line 1) with the columns
        `type,date,network,campaign,count,amount,unit_value,currency,exchange_rate,note` (any order; only
        `type` and `date` are required; empty cells are left out). All or nothing: if any row is invalid,
        nothing is stored and the 422 lists every bad row with its line number, field and reason."""
        client = await get_client(session, principal, client_id)
        _csv_body_expected(request)

        async def create() -> Response[ImportOut]:
            entries = parse_values(await request.body(), client)
            session.add_all(entries)
            await session.flush()
            ids = [entry.id for entry in entries]
            record(session, actor, "values.imported", client, changes={"count": len(ids), "ids": ids})
            return Response(ImportOut(imported=len(ids), ids=ids), status_code=201)

        return await idempotent(request, session, create)

    @get("/", guards=[require("read")], summary="List a client's values")
    async def list_values(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        date_from: From = None,
        date_to: To = None,
        network: str | None = Parameter(default=None, description="Only entries of this network."),
        kind: Annotated[ValueType | None, QueryParameter(name="type", description="Only this value type.")] = None,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, description="Page size (capped)."),
    ) -> ValuePage:
        """The client's values, in the order they were recorded."""
        client = await get_client(session, principal, client_id)
        _check_range(date_from, date_to)
        statement = select(ValueEntry).where(ValueEntry.client_id == client.id)
        if date_from:
            statement = statement.where(col(ValueEntry.day) >= date_from)
        if date_to:
            statement = statement.where(col(ValueEntry.day) <= date_to)
        if network:
            statement = statement.where(ValueEntry.network == network)
        if kind:
            statement = statement.where(ValueEntry.type == kind)
        rows, next_cursor = await fetch_page(
            session,
            statement,
            [col(ValueEntry.id)],
            limit=page_size(limit, state.settings.page_size_max),
            cursor=cursor,
        )
        return ValuePage(data=[value_out(row, client) for row in rows], next_cursor=next_cursor)

    @get("/{value_id:uuid}", guards=[require("read")], summary="Get a value")
    async def get_value(
        self, client_id: uuid.UUID, value_id: uuid.UUID, session: AsyncSession, principal: Principal
    ) -> ValueOut:
        """One value entry."""
        client = await get_client(session, principal, client_id)
        return value_out(await _value(session, client, value_id), client)

    @delete("/{value_id:uuid}", guards=[require("write")], summary="Delete a value")
    async def delete_value(
        self, client_id: uuid.UUID, value_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> None:
        """Remove a value entry from the ledger."""
        client = await get_client(session, principal, client_id)
        entry = await _value(session, client, value_id)
        record(
            session,
            actor,
            "value.deleted",
            entry,
            changes={"type": entry.type, "amount": str(entry.amount), "currency": entry.currency, "date": entry.day},
        )
        await session.delete(entry)


_CSV_EXAMPLES = {
    "costs": "type,date,network,amount,hours,hourly_rate,currency,exchange_rate\n"
    "ad_spend,2026-03-01,linkedin,1000.00,,,,\nlabor,2026-03-02,,,7.5,60,,\nfees,2026-03-04,,250,,,USD,0.92\n",
    "values": "type,date,network,count,amount,unit_value\n"
    "conversion,2026-03-05,instagram,3,249.90,\nlead,2026-03-06,linkedin,12,,35.50\n",
}


def document_imports(app: Litestar) -> None:
    """The CSV imports in the OpenAPI document: a `text/csv` body, and the 415 and 422 they answer."""
    for kind, example in _CSV_EXAMPLES.items():
        item = (app.openapi_schema.paths or {}).get(f"/v1/clients/{{client_id}}/{kind}/import")
        operation = item.post if item is not None else None
        if operation is None:
            continue
        operation.request_body = RequestBody(
            required=True,
            description=f"The {kind} as CSV (UTF-8, header on line 1).",
            content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING), example=example)},
        )
        responses = dict(operation.responses or {})
        responses["415"] = OpenAPIResponse(description="The body was not sent as text/csv.")
        invalid = responses.get("422")
        if isinstance(invalid, OpenAPIResponse):
            invalid.description = "Nothing was imported: `errors` lists every bad row as {line, field, reason}."
        operation.responses = responses
