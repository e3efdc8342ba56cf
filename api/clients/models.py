"""The agency's client companies."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime


class Client(TenantScoped, table=True):
    """A company whose social presence the agency manages."""

    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_clients_tenant_name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    currency: str = Field(default="EUR", max_length=3)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=8)
    brand_color: str | None = Field(default=None, max_length=7)
    """The client's colour for reports and the portal, as #RRGGBB."""
    logo_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
