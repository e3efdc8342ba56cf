"""Idempotent writes of synced records: re-syncing a window changes nothing and never duplicates.

Each upsert only rewrites a row whose content differs, so a repeated sync leaves the rows (and
their provenance) as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.content.models import StoredMention, StoredPost
from api.metrics.models import StoredMetricPoint

METRIC_TABLE: Table = StoredMetricPoint.__table__  # type: ignore[attr-defined]
POST_TABLE: Table = StoredPost.__table__  # type: ignore[attr-defined]
MENTION_TABLE: Table = StoredMention.__table__  # type: ignore[attr-defined]

# SQLite allows 32,766 bound parameters per statement; stay well under it whatever the row width.
_CHUNK = 2000


def _upsert(
    session: AsyncSession, table: Table, conflict: Sequence[str], compared: Sequence[str], refreshed: Sequence[str]
) -> Any:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table)
    excluded = statement.excluded
    changed = or_(*(table.c[name].is_distinct_from(excluded[name]) for name in compared))
    return statement.on_conflict_do_update(
        index_elements=list(conflict),
        set_={name: excluded[name] for name in (*compared, *refreshed)},
        where=changed,
    )


async def _write(session: AsyncSession, statement: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        await session.execute(statement, rows[start : start + _CHUNK])


async def upsert_metric_points(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update metric points keyed by (tenant, account, metric, day)."""
    if rows:
        statement = _upsert(
            session,
            METRIC_TABLE,
            ("tenant_id", "account_id", "metric", "day"),
            compared=("value", "native_metric", "quality"),
            refreshed=("fetched_at", "sync_run_id"),
        )
        await _write(session, statement, rows)


async def upsert_posts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update posts keyed by (tenant, account, external id)."""
    if rows:
        statement = _upsert(
            session,
            POST_TABLE,
            ("tenant_id", "account_id", "external_id"),
            compared=("published_at", "text", "url", "media_type", "metrics", "tags"),
            refreshed=("fetched_at",),
        )
        await _write(session, statement, rows)


async def upsert_mentions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update mentions keyed by (tenant, client, source, external id)."""
    if rows:
        statement = _upsert(
            session,
            MENTION_TABLE,
            ("tenant_id", "client_id", "source", "external_id"),
            compared=("published_at", "text", "author", "url", "language", "kind", "post_external_id"),
            refreshed=("fetched_at",),
        )
        await _write(session, statement, rows)
