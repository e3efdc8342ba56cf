"""Alert rules of a client, and the alerts they open."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import JsonDocument, UTCDateTime

ALERT_STATUSES = ("open", "acknowledged", "resolved")


class AlertRule(TenantScoped, table=True):
    """What to watch for one client (`kind` and its `params`), how sensitively, and how often to alert."""

    __tablename__ = "alert_rules"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_alert_rules_client"),
        Index("ix_alert_rules_client", "tenant_id", "client_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    name: str | None = Field(default=None, max_length=200)
    kind: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    sensitivity: str = Field(default="medium", max_length=10)
    cooldown_hours: int = 72
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Alert(TenantScoped, table=True):
    """One firing of a rule for one day (`bucket`), with its evidence and its lifecycle."""

    __tablename__ = "alerts"
    __table_args__ = (
        tenant_foreign_key("rule_id", "alert_rules", name="fk_alerts_rule"),
        tenant_foreign_key("client_id", "clients", name="fk_alerts_client"),
        UniqueConstraint("tenant_id", "rule_id", "bucket", name="uq_alerts_rule_bucket"),
        Index("ix_alerts_client_opened", "tenant_id", "client_id", "opened_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    rule_id: uuid.UUID
    client_id: uuid.UUID
    kind: str = Field(max_length=40)
    status: str = Field(default="open", max_length=20)
    bucket: date
    """The day (in the client's time zone) the alert fired for."""
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolution_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
