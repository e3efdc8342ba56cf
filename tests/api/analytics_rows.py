"""Rows the analytics suites craft by hand: posts and mentions stored as a sync would, directly as the owner."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.content.models import StoredMention, StoredPost
from tests.api.conftest import insert_metric_points, owner_connection, table
from tests.conftest import TestDatabase

FETCHED_AT = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def local(timezone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in `timezone` as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def insert_posts(
    database: TestDatabase, tenant_id: str, account_id: str, posts: list[tuple[datetime, dict[str, Any]]]
) -> None:
    """Store `(published_at, native metrics)` posts of an account."""
    rows = [
        {
            "tenant_id": uuid.UUID(tenant_id),
            "id": uuid.uuid4(),
            "account_id": uuid.UUID(account_id),
            "external_id": f"post-{n}-{published_at.isoformat()}",
            "published_at": published_at,
            "text": "a post",
            "url": None,
            "media_type": "text",
            "metrics": metrics,
            "tags": [],
            "fetched_at": FETCHED_AT,
        }
        for n, (published_at, metrics) in enumerate(posts)
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredPost).insert(), rows)


def insert_mentions(
    database: TestDatabase,
    tenant_id: str,
    client_id: str,
    mentions: list[tuple[str | None, datetime, str]],
) -> None:
    """Store `(account_id or None, published_at, kind)` mentions of a client."""
    rows = [
        {
            "tenant_id": uuid.UUID(tenant_id),
            "id": uuid.uuid4(),
            "client_id": uuid.UUID(client_id),
            "account_id": uuid.UUID(account_id) if account_id else None,
            "source": "demo",
            "external_id": f"mention-{n}",
            "kind": kind,
            "published_at": published_at,
            "text": "they said something",
            "author": None,
            "url": None,
            "language": "en",
            "sentiment_label": None,
            "sentiment_score": None,
            "post_external_id": None,
            "fetched_at": FETCHED_AT,
        }
        for n, (account_id, published_at, kind) in enumerate(mentions)
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredMention).insert(), rows)


def insert_daily(database: TestDatabase, tenant_id: str, account_id: str, series: dict[str, dict[date, float]]) -> None:
    """Store several canonical metrics' daily values of an account."""
    for metric, values in series.items():
        insert_metric_points(database, tenant_id, account_id, metric, f"native_{metric}", values)
