"""Social accounts: a client's (or a competitor's) presence on one network."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import JsonDocument, UTCDateTime

ACCOUNT_KINDS = ("owned", "competitor")
ACCOUNT_STATUSES = ("active", "paused", "needs_reauth", "error")


class SocialAccount(TenantScoped, table=True):
    """An account on a network, synced by the connector whose id is `network`."""

    __tablename__ = "accounts"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_accounts_client"),
        UniqueConstraint("tenant_id", "client_id", "network", "handle", name="uq_accounts_client_network_handle"),
        Index("ix_accounts_next_sync", "next_sync_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    network: str = Field(max_length=64)
    handle: str = Field(max_length=200)
    external_id: str | None = Field(default=None, max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="owned", max_length=20)
    credentials_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sync_enabled: bool = True
    sync_settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    sync_state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    target_posts_per_week: float | None = None
    """The cadence the client wants on this account; presence scores regularity against it."""
    status: str = Field(default="active", max_length=20)
    status_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_sync_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
