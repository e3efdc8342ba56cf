"""The usage ledger: one append-only row per billable fact."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime


class UsageEvent(TenantScoped, table=True):
    """A billable fact: which meter, how much, for which client, and the key that makes it count once.

    The key is derived from the fact by its producer (`sync_run:<id>`, `tracked_account:<id>:<day>`…) and
    unique per tenant; it is written in the same transaction as the fact, so a fact is counted exactly
    once whether its transaction commits once, is retried, or is rolled back.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_usage_events_key"),
        Index("ix_usage_events_tenant_time", "tenant_id", "occurred_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    meter: str = Field(max_length=40)
    quantity: int
    client_id: uuid.UUID | None = None
    """The client the fact is about, kept (without a foreign key) when the client is deleted: billed usage stays."""
    idempotency_key: str = Field(max_length=200)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
