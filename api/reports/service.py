"""A client's report rendered as a file, for the API's report route and the portal's downloads alike."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

import msgspec

from api.reports.builder import build_report
from api.reports.logo import fetch_logo
from api.reports.render_csv import render_csv
from api.reports.render_pdf import render_pdf

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.clients.models import Client
    from api.metrics.window import AskedDays
    from api.services import Services

ReportFormat = Literal["json", "csv", "pdf"]
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


@dataclass(frozen=True)
class ReportFile:
    body: bytes
    media_type: str
    filename: str

    @property
    def disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'


def report_filename(name: str, start: date, end: date, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "client"
    return f"{slug}-report-{start.isoformat()}-{end.isoformat()}.{extension}"


async def render_report(
    session: AsyncSession,
    services: Services,
    client: Client,
    days: AskedDays,
    format: ReportFormat,
    language: Literal["en", "fr"] | None,
) -> ReportFile:
    """The client's report over the asked days in its language (or the one asked) and colours."""
    window = days.window(client.timezone)
    chosen = language or ("fr" if client.language == "fr" else "en")
    report = await build_report(session, services.registry, client, window, chosen)
    if format == "json":
        body = msgspec.json.encode(report)
    elif format == "csv":
        body = render_csv(report)
    else:
        logo, problem = (None, None)
        if client.logo_url:
            logo, problem = await fetch_logo(client.logo_url, services.webhook_policy, services.outbound_transport)
        body = render_pdf(report, logo, problem)
    return ReportFile(body, MEDIA_TYPES[format], report_filename(client.name, window.start, window.end, format))
