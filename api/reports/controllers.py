"""`GET /v1/clients/{client_id}/report`: a client-ready report as JSON, CSV or PDF."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Literal

import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.metrics.window import AskedDays
from api.parameters import client_days
from api.reports.builder import build_report
from api.reports.document import Report
from api.reports.logo import fetch_logo
from api.reports.render_csv import render_csv
from api.reports.render_pdf import render_pdf
from api.services import ServicesDependency

DEFAULT_DAYS = 90
MEDIA_TYPES = {"json": MediaType.JSON, "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def _filename(name: str, start: date, end: date, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "client"
    return f"{slug}-report-{start.isoformat()}-{end.isoformat()}.{extension}"


class ReportController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["reports"]

    @get(
        "/v1/clients/{client_id:uuid}/report",
        guards=[require("read")],
        summary="A client-ready report (JSON, CSV or PDF)",
        dependencies={"days": client_days(DEFAULT_DAYS)},
        responses={
            200: ResponseSpec(
                data_container=Report,
                description="The report; as CSV (one value per row) or PDF (with charts) when `format` asks for it.",
            )
        },
    )
    async def report(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        services: ServicesDependency,
        days: AskedDays,
        format: Literal["json", "csv", "pdf"] = Parameter(default="json", description="json, csv or pdf."),
        language: Literal["en", "fr"] | None = Parameter(
            default=None, description="en or fr (default: the client's language)."
        ),
    ) -> Response[bytes]:
        """The client's report over the window, in its language and colours: summary against the previous
        period, then each analysis with its definitions. The PDF carries charts; the CSV has one value per
        row (section, table, row, column, value) for spreadsheets."""
        client = await get_client(session, principal, client_id)
        window = days.window(client.timezone)
        start, end = window.start, window.end
        chosen = language or ("fr" if client.language == "fr" else "en")
        report = await build_report(session, services.registry, client, window, chosen)
        if format == "json":
            return Response(msgspec.json.encode(report), media_type=MediaType.JSON)
        if format == "csv":
            body = render_csv(report)
        else:
            logo, problem = (None, None)
            if client.logo_url:
                logo, problem = await fetch_logo(client.logo_url, services.webhook_policy, services.outbound_transport)
            body = render_pdf(report, logo, problem)
        return Response(
            body,
            media_type=MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="{_filename(client.name, start, end, format)}"'},
        )
