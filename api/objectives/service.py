"""Objectives' flows: a client's objectives looked up (404 for other tenants), validated, and answered with progress."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.auth import Principal
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import InvalidInput, NotFound
from api.metrics.window import MAX_DAYS, check_day, today_in
from api.objectives.models import Objective
from api.objectives.progress import DERIVED_METRICS, objective_status
from api.objectives.schemas import ObjectiveIn, ObjectiveOut, ObjectivePage, ObjectivePatch, progress_out
from api.pagination import PageRequest, fetch_requested_page
from api.roi.money import checked
from plugins.sdk import CanonicalMetric
from tenants.audit import Actor, record
from tenants.ids import utcnow

MAX_PERIOD_DAYS = MAX_DAYS
TARGET_PLACES = 6


async def objective_out(
    session: AsyncSession,
    objective: Objective,
    client: Client,
    catalog: Mapping[str, CanonicalMetric],
    as_of: date | None,
) -> ObjectiveOut:
    """The API shape of an objective, with its progress as of `as_of` (default: the client's today)."""
    progress = await objective_status(session, objective, as_of or today_in(client.timezone), catalog=catalog)
    return ObjectiveOut(
        id=objective.id,
        client_id=objective.client_id,
        name=objective.name,
        metric=objective.metric,
        target=f"{objective.target.normalize():f}",
        direction=objective.direction,
        start=objective.start,
        end=objective.end,
        account_id=objective.account_id,
        network=objective.network,
        created_at=objective.created_at,
        updated_at=objective.updated_at,
        progress=progress_out(progress),
    )


async def get_objective(session: AsyncSession, client: Client, objective_id: uuid.UUID) -> Objective:
    objective = (
        await session.scalars(select(Objective).where(Objective.id == objective_id, Objective.client_id == client.id))
    ).first()
    if objective is None:
        raise NotFound(f"There is no objective {objective_id} for this client.", field="objective_id")
    return objective


async def validate(
    session: AsyncSession, client: Client, objective: Objective, catalog: Mapping[str, CanonicalMetric]
) -> None:
    """Refuse an objective that cannot be measured, naming the field to fix."""
    if objective.metric not in catalog and objective.metric not in DERIVED_METRICS:
        known = ", ".join(sorted([*catalog, *DERIVED_METRICS]))
        raise InvalidInput(
            f"metric {objective.metric!r} is not one Resonance measures; use one of: {known}.", field="metric"
        )
    checked(objective.target, "target", places=TARGET_PLACES)
    if objective.start > objective.end:
        raise InvalidInput(f"end ({objective.end}) is before start ({objective.start}).", field="end")
    if (objective.end - objective.start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"the period is longer than {MAX_PERIOD_DAYS} days; set a shorter one.", field="end")
    # Progress looks back one period (or TREND_DAYS) before the start: keep that inside the calendar.
    check_day(objective.start, "start")
    check_day(objective.end, "end")
    if objective.account_id is not None:
        account = (
            await session.scalars(
                select(SocialAccount).where(
                    col(SocialAccount.id) == objective.account_id, col(SocialAccount.client_id) == client.id
                )
            )
        ).first()
        if account is None or account.kind != "owned":
            raise InvalidInput(
                f"account_id {objective.account_id} is not one of this client's owned accounts; objectives measure "
                "the client's own presence.",
                field="account_id",
            )
        if objective.network is not None and objective.network != account.network:
            raise InvalidInput(
                f"network {objective.network!r} does not match the account's network ({account.network!r}); "
                "leave network out when you give account_id.",
                field="network",
            )


async def create_objective(
    session: AsyncSession, actor: Actor, catalog: Mapping[str, CanonicalMetric], client: Client, data: ObjectiveIn
) -> ObjectiveOut:
    """Store a new objective of `client` once it is validated, audited, with its progress as of today."""
    objective = Objective(client_id=client.id, **msgspec.structs.asdict(data))
    await validate(session, client, objective, catalog)
    session.add(objective)
    await session.flush()
    record(session, actor, "objective.created", objective, changes=msgspec.structs.asdict(data))
    return await objective_out(session, objective, client, catalog, None)


async def list_objectives(
    session: AsyncSession,
    principal: Principal,
    catalog: Mapping[str, CanonicalMetric],
    client_id: uuid.UUID,
    as_of: date | None,
    page: PageRequest,
) -> ObjectivePage:
    """A page of the caller's client's objectives, oldest first, each with its progress as of `as_of`."""
    client = await get_client(session, principal, client_id)
    check_day(as_of, "as_of")
    rows, next_cursor = await fetch_requested_page(
        session, select(Objective).where(Objective.client_id == client.id), [col(Objective.id)], page
    )
    return ObjectivePage(
        data=[await objective_out(session, row, client, catalog, as_of) for row in rows], next_cursor=next_cursor
    )


async def read_objective(
    session: AsyncSession,
    principal: Principal,
    catalog: Mapping[str, CanonicalMetric],
    client_id: uuid.UUID,
    objective_id: uuid.UUID,
    as_of: date | None,
) -> ObjectiveOut:
    """One objective of the caller's client with its progress as of `as_of`."""
    client = await get_client(session, principal, client_id)
    check_day(as_of, "as_of")
    return await objective_out(session, await get_objective(session, client, objective_id), client, catalog, as_of)


async def update_objective(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    catalog: Mapping[str, CanonicalMetric],
    client_id: uuid.UUID,
    objective_id: uuid.UUID,
    data: ObjectivePatch,
) -> ObjectiveOut:
    """Change the fields `data` sends (the others keep their value), validated and audited."""
    client = await get_client(session, principal, client_id)
    objective = await get_objective(session, client, objective_id)
    changes = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
    for name, value in changes.items():
        setattr(objective, name, value)
    # The checks query the session: flushing the change first would send an account_id of another agency
    # to the database, whose foreign key refuses it as a 409 before the check could say 422 account_id.
    with session.no_autoflush:
        await validate(session, client, objective, catalog)
    objective.updated_at = utcnow()
    record(session, actor, "objective.updated", objective, changes=changes)
    return await objective_out(session, objective, client, catalog, None)


async def delete_objective(
    session: AsyncSession, principal: Principal, actor: Actor, client_id: uuid.UUID, objective_id: uuid.UUID
) -> None:
    """Remove one objective of the caller's client, audited."""
    client = await get_client(session, principal, client_id)
    objective = await get_objective(session, client, objective_id)
    record(session, actor, "objective.deleted", objective, changes={"metric": objective.metric})
    await session.delete(objective)
