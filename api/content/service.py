"""Content's queries: an account's posts and a client's mentions, page by page.

Importing mentions is `api.mention_import`: it analyses, meters and stores them as a sync does, so it sits
above the packages content's tables serve (sync, sentiment, billing).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.service import get_account
from api.auth import Principal
from api.clients.service import get_client
from api.content.history import client_accounts
from api.content.models import StoredMention, StoredPost
from api.content.schemas import (
    MentionPage,
    PostPage,
    mention_out,
    post_out,
)
from api.metrics.window import AskedDays
from api.pagination import PageRequest, fetch_requested_page


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
    label: str | None = None,
) -> MentionPage:
    """A page of the mentions of the caller's client published on the asked days, newest first, filtered.

    `label` (positive, neutral, negative) is the portal's filter of the mentions to check and correct."""
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
    if label:
        statement = statement.where(StoredMention.sentiment_label == label)
    if start:
        statement = statement.where(StoredMention.published_at >= start)
    if end:
        statement = statement.where(StoredMention.published_at < end)
    rows, next_cursor = await fetch_requested_page(
        session, statement, [col(StoredMention.published_at), col(StoredMention.id)], page, descending=True
    )
    return MentionPage(data=[mention_out(row) for row in rows], next_cursor=next_cursor)
