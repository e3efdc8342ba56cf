"""Sync runs: one execution of a connector for one account over a window of days."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import JsonDocument, UTCDateTime

SYNC_STATUSES = ("queued", "running", "succeeded", "partial", "failed")
FINISHED_STATUSES = frozenset({"succeeded", "partial", "failed"})


class SyncRun(TenantScoped, table=True):
    """A sync: queued by the API or the scheduler, claimed and run by a worker."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        tenant_foreign_key("account_id", "accounts", name="fk_sync_runs_account"),
        Index("ix_sync_runs_account", "tenant_id", "account_id", "id"),
        Index("ix_sync_runs_status", "status", "requested_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    account_id: uuid.UUID
    status: str = Field(default="queued", max_length=20)
    trigger: str = Field(default="api", max_length=20)
    window_since: date | None = None
    window_until: date | None = None
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worker: str | None = Field(default=None, max_length=100)
    duration_ms: int | None = None
    metrics_count: int = 0
    posts_count: int = 0
    mentions_count: int = 0
    rejected_count: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rejections: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
