"""Request and response shapes of sync runs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec


class SyncIn(msgspec.Struct, forbid_unknown_fields=True):
    """An optional window of days (both included); without one the sync resumes from the last checkpoint."""

    since: date | None = None
    until: date | None = None


class SyncRunOut(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    status: str
    trigger: str
    window_since: date | None
    window_until: date | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    metrics_count: int
    posts_count: int
    mentions_count: int
    rejected_count: int
    error: str | None
    rejections: list[dict[str, Any]]


class SyncRunPage(msgspec.Struct):
    data: list[SyncRunOut]
    next_cursor: str | None
