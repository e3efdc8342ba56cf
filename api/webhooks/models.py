"""Webhook endpoints a tenant registers, and the deliveries of events to them (the delivery queue)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import JsonDocument, UTCDateTime

EVENT_TYPES = ("alert.opened", "alert.resolved", "sync.failed", "account.needs_reauth")
"""The events an endpoint can subscribe to."""

PING_EVENT = "ping"
"""Sent by `POST /v1/webhook-endpoints/{endpoint_id}/test` only, whatever the endpoint subscribes to."""

DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookEndpoint(TenantScoped, table=True):
    """A URL of the tenant's that receives the events it subscribes to, signed with its own secret."""

    __tablename__ = "webhook_endpoints"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    """The signing secret (`whsec_…`), encrypted with the credential vault; shown once, at creation."""
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(TenantScoped, table=True):
    """One event to send to one endpoint: pending until the receiver answers 2xx or the retries run out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        tenant_foreign_key("endpoint_id", "webhook_endpoints", name="fk_webhook_deliveries_endpoint"),
        Index("ix_webhook_deliveries_endpoint", "tenant_id", "endpoint_id", "id"),
        # The worker's scan across tenants: pending deliveries by the time they are due.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    """The event's id: the same in every retry and redelivery, so receivers can drop duplicates."""
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    """The envelope sent as the body: `{id, type, created_at, tenant_id, data}`."""
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When a pending delivery is due; while an attempt is in flight, when its lease runs out."""
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    redelivery_of: uuid.UUID | None = None
    """The delivery this one repeats, when it was made with the redeliver route."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
