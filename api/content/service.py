"""Content's queries and flows: an account's posts, a client's mentions, and the import of mentions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.service import get_account
from api.auth import Principal
from api.clients.service import get_client
from api.content.imports import ImportResult, ParsedRow, import_mentions
from api.content.models import StoredMention, StoredPost
from api.content.schemas import (
    AnalyzerOut,
    MentionImportOut,
    MentionPage,
    PostPage,
    SentimentCounts,
    mention_out,
    post_out,
)
from api.metrics.history import client_accounts
from api.metrics.window import AskedDays
from api.pagination import PageRequest, fetch_requested_page
from plugins.sdk import SentimentAnalyzer
from tenants.audit import Actor, record


def _instants(days: AskedDays) -> tuple[datetime | None, datetime | None]:
    """The UTC instants from the start of `from` to the start of the day after `to` (open where absent)."""
    first, last = days.bounds()
    start = datetime.combine(first, time.min, UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, UTC) if last else None
    return start, end


async def list_posts(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, days: AskedDays, page: PageRequest
) -> PostPage:
    """A page of the caller's account's posts published on the asked days, newest first."""
    await get_account(session, principal, account_id)
    start, end = _instants(days)
    statement = select(StoredPost).where(StoredPost.account_id == account_id)
    if start:
        statement = statement.where(StoredPost.published_at >= start)
    if end:
        statement = statement.where(StoredPost.published_at < end)
    rows, next_cursor = await fetch_requested_page(
        session, statement, [col(StoredPost.published_at), col(StoredPost.id)], page, descending=True
    )
    return PostPage(data=[post_out(row) for row in rows], next_cursor=next_cursor)


async def list_mentions(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    days: AskedDays,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None,
    network: str | None,
    language: str | None,
) -> MentionPage:
    """A page of the mentions of the caller's client published on the asked days, newest first, filtered."""
    await get_client(session, principal, client_id)
    start, end = _instants(days)
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
    rows, next_cursor = await fetch_requested_page(
        session, statement, [col(StoredMention.published_at), col(StoredMention.id)], page, descending=True
    )
    return MentionPage(data=[mention_out(row) for row in rows], next_cursor=next_cursor)


async def import_client_mentions(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    analyzer: SentimentAnalyzer,
    client_id: uuid.UUID,
    rows: list[ParsedRow],
    strict: bool,
) -> MentionImportOut:
    """Store `rows` (parsed from JSON when `strict`, else from CSV) as the client's mentions, all or none, audited."""
    result: ImportResult = await import_mentions(
        session, tenant_id=principal.tenant_id, client_id=client_id, rows=rows, strict=strict, analyzer=analyzer
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
    return summary
