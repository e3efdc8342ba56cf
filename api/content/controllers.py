"""Reading an account's posts and a client's mentions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.service import get_account
from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.content.imports import IMPORT_MAX_BYTES, import_mentions, parse_csv, parse_json
from api.content.models import StoredMention, StoredPost
from api.content.schemas import (
    AnalyzerOut,
    MentionImportOut,
    MentionPage,
    PostOut,
    PostPage,
    SentimentCounts,
    mention_out,
)
from api.errors import InvalidInput
from api.idempotency import idempotent
from api.metrics.history import client_accounts
from api.metrics.window import check_day
from api.pagination import fetch_page, page_size
from tenants.audit import Actor, record


def _bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"from ({date_from}) is after to ({date_to}).", field="from")
    check_day(date_from, "from")
    check_day(date_to, "to")  # the day after it must exist
    start = datetime.combine(date_from, time.min, UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None
    return start, end


def post_out(post: StoredPost) -> PostOut:
    """The API shape of a post."""
    return PostOut(
        id=post.id,
        account_id=post.account_id,
        external_id=post.external_id,
        published_at=post.published_at,
        text=post.text,
        url=post.url,
        media_type=post.media_type,
        metrics=dict(post.metrics),
        tags=list(post.tags),
        fetched_at=post.fetched_at,
    )


class ContentController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["content"]

    @get("/v1/accounts/{account_id:uuid}/posts", guards=[require("read")], summary="List an account's posts")
    async def list_posts(
        self,
        account_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        date_from: Annotated[date | None, QueryParameter(name="from", description="Published on or after.")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Published on or before.")] = None,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, description="Page size (capped)."),
    ) -> PostPage:
        """The account's posts, newest first, with their latest metrics (native names)."""
        await get_account(session, principal, account_id)
        start, end = _bounds(date_from, date_to)
        statement = select(StoredPost).where(StoredPost.account_id == account_id)
        if start:
            statement = statement.where(StoredPost.published_at >= start)
        if end:
            statement = statement.where(StoredPost.published_at < end)
        rows, next_cursor = await fetch_page(
            session,
            statement,
            [col(StoredPost.published_at), col(StoredPost.id)],
            limit=page_size(limit, state.settings.page_size_max),
            cursor=cursor,
            descending=True,
        )
        return PostPage(data=[post_out(row) for row in rows], next_cursor=next_cursor)

    @get("/v1/clients/{client_id:uuid}/mentions", guards=[require("read")], summary="List a client's mentions")
    async def list_mentions(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        account_id: uuid.UUID | None = Parameter(default=None, description="Only mentions of this account."),
        network: str | None = Parameter(default=None, description="Only mentions from this network."),
        language: str | None = Parameter(default=None, description="Only mentions in this language (fr, en…)."),
        date_from: Annotated[date | None, QueryParameter(name="from", description="Published on or after.")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Published on or before.")] = None,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, description="Page size (capped)."),
    ) -> MentionPage:
        """What people said about the client's accounts, newest first."""
        await get_client(session, principal, client_id)
        start, end = _bounds(date_from, date_to)
        statement = select(StoredMention).where(StoredMention.client_id == client_id)
        if account_id:
            # Like every other account_id of a client's routes: one that is not the client's is a 404.
            await client_accounts(session, client_id, account_id=account_id)
            statement = statement.where(StoredMention.account_id == account_id)
        if network:
            statement = statement.where(StoredMention.source == network)
        if language:
            statement = statement.where(StoredMention.language == language)
        if start:
            statement = statement.where(StoredMention.published_at >= start)
        if end:
            statement = statement.where(StoredMention.published_at < end)
        rows, next_cursor = await fetch_page(
            session,
            statement,
            [col(StoredMention.published_at), col(StoredMention.id)],
            limit=page_size(limit, state.settings.page_size_max),
            cursor=cursor,
            descending=True,
        )
        return MentionPage(data=[mention_out(row) for row in rows], next_cursor=next_cursor)

    @post(
        "/v1/clients/{client_id:uuid}/mentions",
        guards=[require("write")],
        status_code=200,
        summary="Import mentions (JSON array or CSV)",
        request_max_body_size=IMPORT_MAX_BYTES,
    )
    async def import_client_mentions(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[MentionImportOut]:
        """Import mentions from a source without a connector: all of them, or none.

        The body is either a JSON array of objects (`Content-Type: application/json`) or a CSV file
        (`Content-Type: text/csv`, UTF-8, a header row) with the fields `source`, `external_id`,
        `published_at` (ISO 8601 with a UTC offset), `text`, and optionally `author`, `url`, `language`
        (ISO 639-1; detected when absent), `account_id` (one of this client's accounts) and `kind`
        (`mention`, `comment` or `reply`). Every mention gets a language and a sentiment from the
        configured analyser. A mention already stored with the same `source` and `external_id` is
        updated, not duplicated. If any row is invalid nothing is stored, and the 422 problem lists every
        bad row in `errors` with its `line` (CSV, the header is line 1) or `index` (JSON, from 0), the
        `field` and the `reason`. At most `RESONANCE_IMPORT_MAX_ROWS` rows and 10 MiB (413 beyond).
        """
        await get_client(session, principal, client_id)

        async def create() -> Response[MentionImportOut]:
            media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
            body = await request.body()
            max_rows = state.settings.import_max_rows
            if media_type in ("text/csv", "application/csv"):
                rows, strict = parse_csv(body, max_rows), False
            elif media_type in ("application/json", ""):
                rows, strict = parse_json(body, max_rows), True
            else:
                raise InvalidInput(
                    f"Content-Type {media_type!r} is not accepted: send application/json (an array of mentions) "
                    "or text/csv.",
                    field="Content-Type",
                )
            analyzer = state.sync_engine.analyzer
            result = await import_mentions(
                session,
                tenant_id=principal.tenant_id,
                client_id=client_id,
                rows=rows,
                strict=strict,
                analyzer=analyzer,
            )
            client = await get_client(session, principal, client_id)
            summary = MentionImportOut(
                received=result.received,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                analysed=result.received,
                sentiment=SentimentCounts(
                    positive=result.sentiment["positive"],
                    negative=result.sentiment["negative"],
                    neutral=result.sentiment["neutral"],
                ),
                languages=dict(sorted(result.languages.items())),
                analyzer=AnalyzerOut(name=analyzer.name, version=analyzer.version),
            )
            record(
                session,
                actor,
                "mentions.imported",
                client,
                changes={
                    "format": "csv" if not strict else "json",
                    "received": result.received,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return Response(summary, status_code=200)

        return await idempotent(request, session, create)
