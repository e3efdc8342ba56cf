"""The ROI ledger: what a client's social presence cost, what it brought, and the client's EMV rates."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import ExactDecimal, JsonDocument, UTCDateTime

MONEY = ExactDecimal(20, 6)
"""Amounts: 14 integer digits, 6 decimal places (inputs take 4, so hours × rate stays exact)."""
HOURS = ExactDecimal(16, 2)
RATE = ExactDecimal(24, 10)
"""Exchange rates: units of the client's currency for one unit of the entry's currency."""

COST_TYPES = ("ad_spend", "labor", "tools", "fees")
VALUE_TYPES = ("conversion", "lead", "application")


class CostEntry(TenantScoped, table=True):
    """A cost: ad spend, labour (hours × hourly rate), tools or agency fees, on one day."""

    __tablename__ = "roi_costs"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_roi_costs_client"),
        Index("ix_roi_costs_client_day", "tenant_id", "client_id", "day"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    type: str = Field(max_length=20)
    day: date
    network: str | None = Field(default=None, max_length=64)
    campaign: str | None = Field(default=None, max_length=200)
    amount: Decimal = Field(sa_type=MONEY)
    """In `currency`; for labour, exactly `hours × hourly_rate`."""
    hours: Decimal | None = Field(default=None, sa_type=HOURS)
    hourly_rate: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str = Field(max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_type=RATE)
    base_currency: str = Field(max_length=3)
    """The client's currency when the entry was recorded: what `exchange_rate` converts into."""
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ValueEntry(TenantScoped, table=True):
    """A value: conversions with their revenue, leads × value per lead, applications (× optional value)."""

    __tablename__ = "roi_values"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_roi_values_client"),
        Index("ix_roi_values_client_day", "tenant_id", "client_id", "day"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    type: str = Field(max_length=20)
    day: date
    network: str | None = Field(default=None, max_length=64)
    campaign: str | None = Field(default=None, max_length=200)
    count: int
    unit_value: Decimal | None = Field(default=None, sa_type=MONEY)
    """Value of one lead or one application; none for conversions, whose revenue is `amount`."""
    amount: Decimal = Field(sa_type=MONEY)
    """In `currency`: the revenue of conversions, `count × unit_value` otherwise (0 without a unit value)."""
    currency: str = Field(max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_type=RATE)
    base_currency: str = Field(max_length=3)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EmvRateCard(TenantScoped, table=True):
    """A client's own earned-media-value rates; what it leaves out takes the defaults (`api.roi.emv`)."""

    __tablename__ = "roi_emv_rates"
    __table_args__ = (tenant_foreign_key("client_id", "clients", name="fk_roi_emv_rates_client"),)

    client_id: uuid.UUID = Field(primary_key=True)
    cpm: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    """Network id → cost per thousand impressions, as decimal strings."""
    default_cpm: str | None = Field(default=None, max_length=40)
    action_values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    """Canonical action metric → value of one action, as decimal strings."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
