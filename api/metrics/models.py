"""Stored metric points: one canonical metric of one account on one day, with its provenance."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field

from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import UTCDateTime


class StoredMetricPoint(TenantScoped, table=True):
    """A day's value; the native metric and the fetch time say where it came from."""

    __tablename__ = "metric_points"
    __table_args__ = (tenant_foreign_key("account_id", "accounts", name="fk_metric_points_account"),)

    account_id: uuid.UUID = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    value: float
    native_metric: str = Field(max_length=128)
    quality: str = Field(default="exact", max_length=16)
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    sync_run_id: uuid.UUID | None = None
