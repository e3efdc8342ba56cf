"""Request and response shapes of generated reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

import msgspec

from api.reports.service import ReportFormat


class GeneratedReportIn(msgspec.Struct, forbid_unknown_fields=True):
    """What to render: the format (PDF unless asked), the days (the last 90 up to today in the client's time when
    absent) and the language (the client's when absent)."""

    format: ReportFormat = "pdf"
    first: date | None = msgspec.field(default=None, name="from")
    last: date | None = msgspec.field(default=None, name="to")
    language: Literal["en", "fr"] | None = None


class GeneratedReportOut(msgspec.Struct):
    id: uuid.UUID
    client_id: uuid.UUID
    format: str
    language: str | None
    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    status: str
    requested_at: datetime
    finished_at: datetime | None
    size_bytes: int | None
    error: str | None
    file_url: str | None
    """Where to download the file, once `status` is `succeeded`."""
