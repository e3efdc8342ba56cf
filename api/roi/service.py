"""The ROI context's flows: the ledger of costs and values, a client's EMV rates, and its ROI report.

The ledger has two kinds of entries, costs and values, kept apart (two tables, two routes) but recorded,
listed, imported and deleted the same way: one `LedgerKind` per kind says what differs, and the flows below
take it as their first argument.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import InvalidInput, NotFound
from api.metrics.window import AskedDays, today_in
from api.pagination import PageRequest, fetch_requested_page
from api.roi.emv import ACTION_METRICS, DEFAULTS_NOTE, EmvRates, rates_for
from api.roi.imports import parse_costs, parse_values
from api.roi.ledger import build_cost, build_value, cost_out, value_out
from api.roi.models import CostEntry, EmvRateCard, ValueEntry
from api.roi.money import INPUT_MONEY_PLACES, checked, money, number
from api.roi.report import roi_report
from api.roi.schemas import (
    CostIn,
    CostOut,
    CostPage,
    EmvRatesIn,
    EmvRatesOut,
    ImportOut,
    RoiOut,
    ValueIn,
    ValueOut,
    ValuePage,
)
from tenants.audit import Actor, record
from tenants.ids import utcnow

DEFAULT_DAYS = 30


Entry = TypeVar("Entry", bound=CostEntry | ValueEntry)
In = TypeVar("In", bound=CostIn | ValueIn)
Out = TypeVar("Out", bound=CostOut | ValueOut)
Page = TypeVar("Page", bound=CostPage | ValuePage)


@dataclass(frozen=True, slots=True)
class LedgerKind(Generic[Entry, In, Out, Page]):
    """What differs between the ledger's costs and its values."""

    name: str
    """The entry's name in the routes, messages and audit actions: `cost` or `value`."""
    plural: str
    model: type[Entry]
    schema_in: type[In]
    schema_out: type[Out]
    build: Callable[[Client, In], Entry]
    """The entry recorded from a request's body (validated; amounts derived exactly)."""
    out: Callable[[Entry, Client], Out]
    page: Callable[..., Page]
    """The page shape, built as `page(data=..., next_cursor=...)`."""
    parse_csv: Callable[[bytes, Client], list[Entry]]
    """The entries of a CSV import, all or an `ImportRefused`."""


COSTS: LedgerKind[CostEntry, CostIn, CostOut, CostPage] = LedgerKind(
    "cost", "costs", CostEntry, CostIn, CostOut, build_cost, cost_out, CostPage, parse_costs
)
VALUES: LedgerKind[ValueEntry, ValueIn, ValueOut, ValuePage] = LedgerKind(
    "value", "values", ValueEntry, ValueIn, ValueOut, build_value, value_out, ValuePage, parse_values
)


async def get_entry(
    session: AsyncSession, kind: LedgerKind[Entry, In, Out, Page], client: Client, entry_id: uuid.UUID
) -> Entry:
    """The client's entry `entry_id` of `kind`; a 404 naming `{kind}_id` for any other."""
    model = kind.model
    entry = (await session.scalars(select(model).where(model.id == entry_id, model.client_id == client.id))).first()
    if entry is None:
        raise NotFound(f"There is no {kind.name} {entry_id} for this client.", field=f"{kind.name}_id")
    return entry


async def record_entry(
    session: AsyncSession, actor: Actor, kind: LedgerKind[Entry, In, Out, Page], client: Client, data: In
) -> Out:
    """Record a new entry of `kind` for `client`, audited."""
    entry = kind.build(client, data)
    session.add(entry)
    await session.flush()
    out = kind.out(entry, client)
    record(session, actor, f"{kind.name}.created", entry, changes={"type": entry.type, "amount": out.amount})
    return out


async def import_entries(
    session: AsyncSession, actor: Actor, kind: LedgerKind[Entry, In, Out, Page], client: Client, body: bytes
) -> ImportOut:
    """Record every entry of a CSV file for `client`, or none (`ImportRefused`), audited."""
    entries = kind.parse_csv(body, client)
    session.add_all(entries)
    await session.flush()
    ids = [entry.id for entry in entries]
    record(session, actor, f"{kind.plural}.imported", client, changes={"count": len(ids), "ids": ids})
    return ImportOut(imported=len(ids), ids=ids)


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    kind: LedgerKind[Entry, In, Out, Page],
    client_id: uuid.UUID,
    days: AskedDays,
    page: PageRequest,
    *,
    network: str | None,
    entry_type: str | None,
) -> Page:
    """A page of the caller's client's entries of `kind`, in the order they were recorded, filtered."""
    client = await get_client(session, principal, client_id)
    first, last = days.bounds()
    model = kind.model
    statement = select(model).where(model.client_id == client.id)
    if first:
        statement = statement.where(col(model.day) >= first)
    if last:
        statement = statement.where(col(model.day) <= last)
    if network:
        statement = statement.where(model.network == network)
    if entry_type:
        statement = statement.where(model.type == entry_type)
    rows, next_cursor = await fetch_requested_page(session, statement, [col(model.id)], page)
    return kind.page(data=[kind.out(row, client) for row in rows], next_cursor=next_cursor)


async def read_entry(
    session: AsyncSession,
    principal: Principal,
    kind: LedgerKind[Entry, In, Out, Page],
    client_id: uuid.UUID,
    entry_id: uuid.UUID,
) -> Out:
    """One entry of `kind` of the caller's client."""
    client = await get_client(session, principal, client_id)
    return kind.out(await get_entry(session, kind, client, entry_id), client)


async def delete_entry(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    kind: LedgerKind[Entry, In, Out, Page],
    client_id: uuid.UUID,
    entry_id: uuid.UUID,
) -> None:
    """Remove one entry of `kind` of the caller's client from the ledger, audited."""
    client = await get_client(session, principal, client_id)
    entry = await get_entry(session, kind, client, entry_id)
    record(
        session,
        actor,
        f"{kind.name}.deleted",
        entry,
        changes={"type": entry.type, "amount": str(entry.amount), "currency": entry.currency, "date": entry.day},
    )
    await session.delete(entry)


def emv_rates_out(client: Client, rates: EmvRates, updated_at: datetime | None) -> EmvRatesOut:
    """The API shape of the rates EMV uses for `client`."""
    return EmvRatesOut(
        client_id=client.id,
        currency=client.currency,
        cpm={network: money(rate) for network, rate in sorted(rates.cpm.items())},
        default_cpm=money(rates.default_cpm),
        action_values={metric: number(value) for metric, value in rates.action_values.items()},
        customized=rates.customized,
        note=DEFAULTS_NOTE,
        updated_at=updated_at,
    )


def _text(value: Decimal, field: str) -> str:
    return f"{checked(value, field, places=INPUT_MONEY_PLACES):f}"


async def read_emv_rates(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> EmvRatesOut:
    """The EMV rates of the caller's client `client_id`: its own where set, the defaults elsewhere."""
    client = await get_client(session, principal, client_id)
    card, rates = await rates_for(session, client.id)
    return emv_rates_out(client, rates, card.updated_at if card else None)


async def replace_emv_rates(
    session: AsyncSession, principal: Principal, actor: Actor, client_id: uuid.UUID, data: EmvRatesIn
) -> EmvRatesOut:
    """Replace the client's own EMV rates by `data` (validated, audited); rates left out take the defaults."""
    client = await get_client(session, principal, client_id)
    unknown = [metric for metric in data.action_values if metric not in ACTION_METRICS]
    if unknown:
        raise InvalidInput(
            f"action_values has {unknown[0]!r}, which is not a valued action; use: {', '.join(ACTION_METRICS)}.",
            field=f"action_values.{unknown[0]}",
        )
    cpm = {network: _text(rate, f"cpm.{network}") for network, rate in data.cpm.items()}
    actions = {metric: _text(value, f"action_values.{metric}") for metric, value in data.action_values.items()}
    default_cpm = None if data.default_cpm is None else _text(data.default_cpm, "default_cpm")
    card, _rates = await rates_for(session, client.id)
    if card is None:
        card = EmvRateCard(client_id=client.id)
        session.add(card)
    card.cpm, card.action_values, card.default_cpm, card.updated_at = cpm, actions, default_cpm, utcnow()
    await session.flush()
    record(
        session,
        actor,
        "emv_rates.updated",
        client,
        changes={"cpm": cpm, "default_cpm": default_cpm, "action_values": actions},
    )
    _card, rates = await rates_for(session, client.id)
    return emv_rates_out(client, rates, card.updated_at)


async def read_roi(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, days: AskedDays, network: str | None
) -> RoiOut:
    """The ROI report of the caller's client `client_id` over the asked days (the client's today by default)."""
    client = await get_client(session, principal, client_id)
    start, end = days.resolve(today_in(client.timezone))
    return await roi_report(session, client, start, end, network)
