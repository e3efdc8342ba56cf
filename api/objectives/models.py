"""A client's objectives."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import ExactDecimal, UTCDateTime

DIRECTIONS = ("at_least", "at_most")


class Objective(TenantScoped, table=True):
    """Reach (or stay under) `target` on `metric` between `start` and `end`, optionally on one account or network."""

    __tablename__ = "objectives"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_objectives_client"),
        tenant_foreign_key("account_id", "accounts", name="fk_objectives_account"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    name: str | None = Field(default=None, max_length=200)
    metric: str = Field(max_length=64)
    target: Decimal = Field(sa_type=ExactDecimal(24, 6))
    direction: str = Field(default="at_least", max_length=10)
    start: date
    end: date
    account_id: uuid.UUID | None = None
    network: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
