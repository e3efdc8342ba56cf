"""Starting syncs and reading their history."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.accounts.service import get_account
from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.errors import Conflict, InvalidInput, NotFound
from api.idempotency import idempotent
from api.metrics.window import check_day
from api.pagination import PAGE, PageRequest, fetch_page
from api.services import Services
from api.sync.models import SyncRun
from api.sync.schemas import SyncIn, SyncRunOut, SyncRunPage
from tenants.audit import Actor, record

MAX_WINDOW = timedelta(days=3660)


def run_out(run: SyncRun) -> SyncRunOut:
    """The API shape of a sync run."""
    return SyncRunOut(
        id=run.id,
        account_id=run.account_id,
        status=run.status,
        trigger=run.trigger,
        window_since=run.window_since,
        window_until=run.window_until,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=run.duration_ms,
        metrics_count=run.metrics_count,
        posts_count=run.posts_count,
        mentions_count=run.mentions_count,
        rejected_count=run.rejected_count,
        error=run.error,
        rejections=list(run.rejections),
    )


def _check_window(data: SyncIn) -> None:
    if (data.since is None) != (data.until is None):
        missing = "until" if data.until is None else "since"
        raise InvalidInput(f"{missing} is missing: send both since and until, or neither.", field=missing)
    if data.since is not None and data.until is not None:
        if data.since > data.until:
            raise InvalidInput(f"since ({data.since}) is after until ({data.until}).", field="since")
        if data.until - data.since > MAX_WINDOW:
            raise InvalidInput("the window is longer than ten years; sync it in smaller windows.", field="since")
        check_day(data.since, "since")
        check_day(data.until, "until")


async def get_sync_run(session: AsyncSession, principal: Principal, sync_id: uuid.UUID) -> SyncRun:
    """The tenant's sync run, or a 404 (also for another tenant's, and another client's for a key limited to one)."""
    run = await session.get(SyncRun, (principal.tenant_id, sync_id))
    if run is not None and principal.client_id is not None:
        account = await session.get(SocialAccount, (principal.tenant_id, run.account_id))
        run = run if account is not None and principal.sees_client(account.client_id) else None
    if run is None:
        raise NotFound(f"There is no sync run {sync_id} in this agency.", field="sync_id")
    return run


class SyncController(Controller):
    tags = ["syncs"]
    opt = {OPEN_TO_CLIENT_KEYS: True}

    @post("/v1/accounts/{account_id:uuid}/syncs", guards=[require("write")], status_code=202, summary="Start a sync")
    async def start_sync(
        self,
        account_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
        data: SyncIn | None = None,
    ) -> Response[SyncRunOut]:
        """Queue a sync of the account; it runs in the background. Poll `GET /v1/syncs/{sync_id}`.

        A 429 `quota_exceeded` (with `Retry-After`) when the plan's syncs per day (UTC) are used up."""
        window = data or SyncIn()
        _check_window(window)

        async def create() -> Response[SyncRunOut]:
            account = await get_account(session, principal, account_id)
            if account.status == "paused":
                raise Conflict("This account is paused; PATCH its status to active before syncing.", field="account_id")
            await services.quotas.ensure_room(session, principal.tenant_id, "syncs_per_day")
            run = SyncRun(account_id=account.id, trigger="api", window_since=window.since, window_until=window.until)
            session.add(run)
            await session.flush()
            record(
                session,
                actor,
                "sync.requested",
                run,
                changes={
                    "account_id": str(account.id),
                    "since": str(window.since),
                    "until": str(window.until),
                },
            )
            return Response(run_out(run), status_code=202)

        response = await idempotent(request, session, create)
        # Queued after the response is sent, so after this transaction has committed.
        response.background = BackgroundTask(services.background.kick)
        return response

    @get(
        "/v1/accounts/{account_id:uuid}/syncs",
        guards=[require("read")],
        summary="List an account's syncs",
        dependencies={"page": PAGE},
    )
    async def list_syncs(
        self,
        account_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        page: PageRequest,
    ) -> SyncRunPage:
        """The account's sync runs, newest first."""
        await get_account(session, principal, account_id)
        rows, next_cursor = await fetch_page(
            session,
            select(SyncRun).where(SyncRun.account_id == account_id),
            [col(SyncRun.id)],
            limit=page.limit,
            cursor=page.cursor,
            descending=True,
        )
        return SyncRunPage(data=[run_out(row) for row in rows], next_cursor=next_cursor)

    @get("/v1/syncs/{sync_id:uuid}", guards=[require("read")], summary="Get a sync run")
    async def get_sync(self, sync_id: uuid.UUID, session: AsyncSession, principal: Principal) -> SyncRunOut:
        """One sync run with its counts, duration and errors."""
        return run_out(await get_sync_run(session, principal, sync_id))
