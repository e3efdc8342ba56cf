"""The `reports.generate` job: render a report asked for earlier and keep its file until it is fetched.

A report is claimed by a compare-and-set from `queued` to `running`, so a job delivered twice renders it once; one
left `running` by a worker that died is taken over once `STALE_AFTER` has passed since it started.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, cast

from sqlalchemy import or_, update
from sqlmodel import and_, col

from api.clients.models import Client
from api.metrics.window import AskedDays
from api.reports.generated import GeneratedReport
from api.reports.service import ReportFormat, render_report
from tenants import system
from tenants.database import Database
from tenants.ids import utcnow

if TYPE_CHECKING:
    from api.services import Services

logger = logging.getLogger("resonance.reports")

STALE_AFTER = timedelta(minutes=10)
"""A report still `running` this long after it started lost its worker: it is rendered again."""


class ReportGenerator:
    """Renders generated reports; `services` is attached once the process's services exist (they hold it)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.services: Services | None = None

    async def claimable(self, limit: int = 200) -> list[tuple[uuid.UUID, uuid.UUID]]:
        async with self.database.system_session() as session:
            return await system.claimable_reports(session, utcnow() - STALE_AFTER, limit)

    async def generate(self, tenant_id: uuid.UUID, report_id: uuid.UUID) -> str | None:
        """Render the report and store its file; its status at the end, or None when it was not to render."""
        assert self.services is not None, "attach the services before running report jobs"
        if not await self._claim(tenant_id, report_id):
            return None
        async with self.database.tenant_session(tenant_id) as session:
            report = await session.get(GeneratedReport, (tenant_id, report_id))
            client = await session.get(Client, (tenant_id, report.client_id)) if report is not None else None
            if report is None or client is None:  # erased meanwhile
                return None
            days = AskedDays(report.first_day, report.last_day, default_days=1)
            language = cast(Literal["en", "fr"] | None, report.language)
            try:
                file = await render_report(
                    session, self.services, client, days, cast(ReportFormat, report.format), language
                )
            except Exception:
                logger.exception("report %s of tenant %s could not be rendered", report_id, tenant_id)
                file = None
        values: dict[str, object] = {"finished_at": utcnow()}
        if file is None:
            values.update(status="failed", error="The report could not be rendered; ask for it again.")
        else:
            values.update(
                status="succeeded",
                content=file.body,
                media_type=file.media_type,
                filename=file.filename,
                size_bytes=len(file.body),
            )
        async with self.database.tenant_session(tenant_id) as session:
            await session.execute(
                update(GeneratedReport)
                .where(col(GeneratedReport.tenant_id) == tenant_id, col(GeneratedReport.id) == report_id)
                .values(**values)
            )
        return str(values["status"])

    async def _claim(self, tenant_id: uuid.UUID, report_id: uuid.UUID) -> bool:
        now = utcnow()
        async with self.database.tenant_session(tenant_id) as session:
            result = await session.execute(
                update(GeneratedReport)
                .where(
                    col(GeneratedReport.tenant_id) == tenant_id,
                    col(GeneratedReport.id) == report_id,
                    or_(
                        col(GeneratedReport.status) == "queued",
                        and_(
                            col(GeneratedReport.status) == "running",
                            col(GeneratedReport.started_at) < now - STALE_AFTER,
                        ),
                    ),
                )
                .values(status="running", started_at=now)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]
