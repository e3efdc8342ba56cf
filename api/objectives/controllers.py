"""Objectives over HTTP: a client's targets, each answered with its progress and forecast."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import InvalidInput, NotFound
from api.idempotency import idempotent
from api.metrics.window import MAX_DAYS, check_day
from api.objectives import progress as definitions
from api.objectives.models import Objective
from api.objectives.progress import DERIVED_METRICS, Contribution, ObjectiveProgress, objective_status
from api.objectives.schemas import (
    ContributionOut,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePage,
    ObjectivePatch,
    ProgressOut,
)
from api.pagination import fetch_page, page_size
from api.roi.money import checked
from api.roi.report_controllers import client_today
from tenants.audit import Actor, record
from tenants.ids import utcnow

MAX_PERIOD_DAYS = MAX_DAYS
TARGET_PLACES = 6
ROUNDING = (
    "Computed exactly in decimal; shown rounded half to even: metric values to 2 places (engagement_rate to 6), "
    "shares to 4, percentages to 2."
)
DEFINITION = (definitions.__doc__ or "").split("Definitions", 1)[-1].strip()
AsOf = Parameter(default=None, description="Compute progress as of this day (default: today in the client's zone).")


def _round(value: Decimal | None, places: int) -> str | None:
    if value is None:
        return None
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):f}"


def _contribution_out(item: Contribution, places: int) -> ContributionOut:
    return ContributionOut(
        account_id=item.account_id,
        network=item.network,
        handle=item.handle,
        share=_round(item.share, 4) or "0",
        actual=_round(item.actual, places) or "0",
        expected=_round(item.expected, places) or "0",
        shortfall=_round(item.shortfall, places) or "0",
    )


def progress_out(progress: ObjectiveProgress) -> ProgressOut:
    """The API shape of an objective's progress."""
    places = 6 if progress.kind == "rate" else 2
    # A rate objective's contributions are engagements against target × denominator: counts, not rates.
    counts = 2
    return ProgressOut(
        as_of=progress.as_of,
        kind=progress.kind,
        elapsed_days=progress.elapsed_days,
        total_days=progress.total_days,
        value=_round(progress.value, places),
        baseline=_round(progress.baseline, places),
        expected_by_now=_round(progress.expected_by_now, places),
        forecast=_round(progress.forecast, places),
        percent_of_target=_round(progress.percent_of_target, 2),
        status=progress.status,
        driver=None if progress.driver is None else _contribution_out(progress.driver, counts),
        contributions=[_contribution_out(item, counts) for item in progress.contributions],
        denominator=progress.denominator,
        definition=DEFINITION,
        rounding=ROUNDING,
    )


async def objective_out(
    session: AsyncSession, objective: Objective, client: Client, state: State, as_of: date | None
) -> ObjectiveOut:
    """The API shape of an objective, with its progress as of `as_of` (default: the client's today)."""
    progress = await objective_status(session, objective, as_of or client_today(client), catalog=state.registry.metrics)
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


async def _objective(session: AsyncSession, client: Client, objective_id: uuid.UUID) -> Objective:
    objective = (
        await session.scalars(select(Objective).where(Objective.id == objective_id, Objective.client_id == client.id))
    ).first()
    if objective is None:
        raise NotFound(f"There is no objective {objective_id} for this client.", field="objective_id")
    return objective


async def _validate(session: AsyncSession, client: Client, objective: Objective, state: State) -> None:
    """Refuse an objective that cannot be measured, naming the field to fix."""
    catalog = state.registry.metrics
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
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[ObjectiveOut]:
        """A target on a metric over a period, on the client's owned accounts (all of them, one network or one
        account); `direction` says whether to reach at least or stay at most at the target."""
        client = await get_client(session, principal, client_id)

        async def create() -> Response[ObjectiveOut]:
            objective = Objective(client_id=client.id, **msgspec.structs.asdict(data))
            await _validate(session, client, objective, state)
            session.add(objective)
            await session.flush()
            record(session, actor, "objective.created", objective, changes=msgspec.structs.asdict(data))
            return Response(await objective_out(session, objective, client, state, None), status_code=201)

        return await idempotent(request, session, create)

    @get("/", guards=[require("read")], summary="List a client's objectives")
    async def list_objectives(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        as_of: date | None = AsOf,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, description="Page size (capped)."),
    ) -> ObjectivePage:
        """The client's objectives, oldest first, each with its progress."""
        client = await get_client(session, principal, client_id)
        check_day(as_of, "as_of")
        rows, next_cursor = await fetch_page(
            session,
            select(Objective).where(Objective.client_id == client.id),
            [col(Objective.id)],
            limit=page_size(limit, state.settings.page_size_max),
            cursor=cursor,
        )
        return ObjectivePage(
            data=[await objective_out(session, row, client, state, as_of) for row in rows], next_cursor=next_cursor
        )

    @get("/{objective_id:uuid}", guards=[require("read")], summary="Get an objective and its progress")
    async def get_objective(
        self,
        client_id: uuid.UUID,
        objective_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        as_of: date | None = AsOf,
    ) -> ObjectiveOut:
        """The objective with its value so far, expected value by now, forecast at the current pace, status,
        and, when off track, the account that falls furthest behind its share."""
        client = await get_client(session, principal, client_id)
        check_day(as_of, "as_of")
        return await objective_out(session, await _objective(session, client, objective_id), client, state, as_of)

    @patch("/{objective_id:uuid}", guards=[require("write")], summary="Change an objective")
    async def update_objective(
        self,
        client_id: uuid.UUID,
        objective_id: uuid.UUID,
        data: ObjectivePatch,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        state: State,
    ) -> ObjectiveOut:
        """Change the fields sent; the others keep their value."""
        client = await get_client(session, principal, client_id)
        objective = await _objective(session, client, objective_id)
        changes = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
        for name, value in changes.items():
            setattr(objective, name, value)
        # The checks query the session: flushing the change first would send an account_id of another agency
        # to the database, whose foreign key refuses it as a 409 before the check could say 422 account_id.
        with session.no_autoflush:
            await _validate(session, client, objective, state)
        objective.updated_at = utcnow()
        record(session, actor, "objective.updated", objective, changes=changes)
        return await objective_out(session, objective, client, state, None)

    @delete("/{objective_id:uuid}", guards=[require("write")], summary="Delete an objective")
    async def delete_objective(
        self, client_id: uuid.UUID, objective_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> None:
        """Remove the objective."""
        client = await get_client(session, principal, client_id)
        objective = await _objective(session, client, objective_id)
        record(session, actor, "objective.deleted", objective, changes={"metric": objective.metric})
        await session.delete(objective)
