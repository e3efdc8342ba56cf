"""`GET /v1/clients/{client_id}/report`: a client-ready report as JSON, CSV or PDF, rendered while the request
waits; `POST /v1/clients/{client_id}/reports`: the same, rendered in the background and downloaded once ready."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth import Principal, require
from api.client_analysis import ClientAnalysis, analysis
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.errors import ApiError, Conflict, NotFound
from api.idempotency import idempotent
from api.metrics.window import AskedDays
from api.parameters import client_days
from api.reports.document import Report
from api.reports.generated import GeneratedReport
from api.reports.schemas import GeneratedReportIn, GeneratedReportOut
from api.reports.service import ReportFormat, render_report
from api.services import Services
from tenants.audit import Actor, record

DEFAULT_DAYS = 90

MAX_PENDING = 20
"""Reports an agency may have waiting to render at once; more is a 429 until some are done."""


class TooManyReports(ApiError):
    status_code = 429
    code = "too_many_reports"
    title = "Too many reports waiting"


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


def generated_out(report: GeneratedReport) -> GeneratedReportOut:
    """The API shape of a generated report, with its download address once rendered."""
    done = report.status == "succeeded"
    return GeneratedReportOut(
        id=report.id,
        client_id=report.client_id,
        format=report.format,
        language=report.language,
        first=report.first_day,
        last=report.last_day,
        status=report.status,
        requested_at=report.requested_at,
        finished_at=report.finished_at,
        size_bytes=report.size_bytes,
        error=report.error,
        file_url=f"/v1/clients/{report.client_id}/reports/{report.id}/file" if done else None,
    )


async def get_generated_report(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, report_id: uuid.UUID
) -> GeneratedReport:
    """The client's generated report, or a 404 (another client's, another agency's, or none)."""
    await get_client(session, principal, client_id)
    report = await session.get(GeneratedReport, (principal.tenant_id, report_id))
    if report is None or report.client_id != client_id:
        raise NotFound(f"There is no report {report_id} for this client.", field="report_id")
    return report


class GeneratedReportController(Controller):
    tags = ["reports"]
    opt = {OPEN_TO_CLIENT_KEYS: True}

    @post(
        "/v1/clients/{client_id:uuid}/reports",
        guards=[require("read")],
        status_code=202,
        summary="Ask for a report rendered in the background",
    )
    async def ask_report(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
        data: GeneratedReportIn | None = None,
    ) -> Response[GeneratedReportOut]:
        """Queue the report; it renders in the background. Poll `GET /v1/clients/{client_id}/reports/{report_id}`
        until `status` is `succeeded`, then download `file_url`. The days are fixed now: `to` defaults to today in
        the client's time, `from` to 90 days before it. A 429 `too_many_reports` while the agency has 20 waiting."""
        asked = data or GeneratedReportIn()

        async def create() -> Response[GeneratedReportOut]:
            client = await get_client(session, principal, client_id)
            window = AskedDays(asked.first, asked.last, DEFAULT_DAYS).window(client.timezone)
            pending = await session.scalar(
                select(func.count())
                .select_from(GeneratedReport)
                .where(col(GeneratedReport.status).in_(("queued", "running")))
            )
            if (pending or 0) >= MAX_PENDING:
                raise TooManyReports(
                    f"{MAX_PENDING} reports of this agency are waiting to render; ask again once some are done.",
                    headers={"Retry-After": "30"},
                )
            report = GeneratedReport(
                client_id=client.id,
                format=asked.format,
                language=asked.language,
                first_day=window.start,
                last_day=window.end,
            )
            session.add(report)
            await session.flush()
            record(
                session,
                actor,
                "report.requested",
                report,
                changes={"format": asked.format, "from": str(window.start), "to": str(window.end)},
            )
            location = f"/v1/clients/{client.id}/reports/{report.id}"
            return Response(generated_out(report), status_code=202, headers={"Location": location})

        response = await idempotent(request, session, create)
        response.background = BackgroundTask(services.background.kick)  # after commit: render it now
        return response

    @get(
        "/v1/clients/{client_id:uuid}/reports/{report_id:uuid}",
        guards=[require("read")],
        summary="Read a report asked for",
    )
    async def read_report(
        self, client_id: uuid.UUID, report_id: uuid.UUID, session: AsyncSession, principal: Principal
    ) -> GeneratedReportOut:
        """Where the report stands: `queued`, `running`, `succeeded` (download `file_url`) or `failed`."""
        return generated_out(await get_generated_report(session, principal, client_id, report_id))

    @get(
        "/v1/clients/{client_id:uuid}/reports/{report_id:uuid}/file",
        guards=[require("read")],
        summary="Download a report asked for",
        responses={200: ResponseSpec(data_container=bytes, description="The file: PDF, CSV or JSON.")},
    )
    async def download_report(
        self, client_id: uuid.UUID, report_id: uuid.UUID, session: AsyncSession, principal: Principal
    ) -> Response[bytes]:
        """The rendered file; a 409 `report_not_ready` while it is queued or running, or when it failed."""
        report = await get_generated_report(session, principal, client_id, report_id)
        if report.status != "succeeded" or report.content is None:
            raise Conflict(
                f"The report is {report.status}, not ready to download"
                + ("; ask for it again." if report.status == "failed" else "; poll it until it has succeeded."),
                field="report_id",
                extra={"report_status": report.status},
            )
        headers = {"Content-Disposition": f'attachment; filename="{report.filename}"'}
        return Response(report.content, media_type=report.media_type or "application/octet-stream", headers=headers)
