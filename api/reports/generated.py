"""Reports generated in the background: asked for by `POST /v1/clients/{client_id}/reports`, rendered by the
`reports.generate` job, downloaded once ready.

A PDF of a large client takes seconds to render: the request that asks for it returns at once, and the file
waits here, in the agency's own rows, until it is fetched.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import UTCDateTime

REPORT_STATUSES = ("queued", "running", "succeeded", "failed")


class GeneratedReport(TenantScoped, table=True):
    """One report asked for: its days, format and language fixed when asked, its file once rendered."""

    __tablename__ = "generated_reports"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_generated_reports_client"),
        Index("ix_generated_reports_client", "tenant_id", "client_id", "requested_at"),
        Index("ix_generated_reports_status", "status", "requested_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    format: str = Field(max_length=10)
    language: str | None = Field(default=None, max_length=5)
    first_day: date
    last_day: date
    status: str = Field(default="queued", max_length=20)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    media_type: str | None = Field(default=None, max_length=100)
    filename: str | None = Field(default=None, max_length=300)
    size_bytes: int | None = None
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
