"""`GET /v1/clients/{client_id}/report`: a client-ready report as JSON, CSV or PDF."""

from __future__ import annotations

import uuid
from typing import Literal

from litestar import Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.client_analysis import ClientAnalysis, analysis
from api.clients.service import get_client
from api.metrics.window import AskedDays
from api.parameters import client_days
from api.reports.document import Report
from api.reports.service import ReportFormat, render_report
from api.services import Services

DEFAULT_DAYS = 90


class ReportController(ClientAnalysis):
    tags = ["reports"]

    @analysis(
        "report",
        summary="A client-ready report (JSON, CSV or PDF)",
        days=client_days(DEFAULT_DAYS),
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
        services: Services,
        days: AskedDays,
        format: ReportFormat = Parameter(default="json", description="json, csv or pdf."),
        language: Literal["en", "fr"] | None = Parameter(
            default=None, description="en or fr (default: the client's language)."
        ),
    ) -> Response[bytes]:
        """The client's report over the window, in its language and colours: summary against the previous
        period, then each analysis with its definitions. The PDF carries charts; the CSV has one value per
        row (section, table, row, column, value) for spreadsheets."""
        client = await get_client(session, principal, client_id)
        file = await render_report(session, services, client, days, format, language)
        if format == "json":
            return Response(file.body, media_type=file.media_type)
        return Response(file.body, media_type=file.media_type, headers={"Content-Disposition": file.disposition})
