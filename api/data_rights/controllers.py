"""Data rights through the API: export an agency's or a client's data, erase the agency, read its audit log.

Admin scope; keys limited to one client are refused by the app's guard (api/client_keys.py), as on every route
that concerns the whole agency."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth import Principal, require
from api.clients.service import get_client
from api.data_rights.archive import write_archive
from api.data_rights.schemas import AuditLogPage, audit_entry_out
from api.metrics.window import AskedDays
from api.pagination import PAGE, PageRequest, fetch_requested_page
from api.parameters import day_range
from api.services import Services
from tenants.ids import utcnow
from tenants.models import AuditEntry

CHUNK = 64 * 1024


async def _chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


def _archive_response(file: IO[bytes], name: str) -> Stream:
    size = file.tell()
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(size)}
    return Stream(_chunks(file), media_type="application/zip", headers=headers)


async def _archive(
    session: AsyncSession, services: Services, tenant_id: uuid.UUID, client_id: uuid.UUID | None
) -> IO[bytes]:
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once sent
    await write_archive(session, services, tenant_id, client_id, file)
    return file


class DataRightsController(Controller):
    tags = ["data rights"]

    @get(
        "/v1/tenant/export",
        guards=[require("admin")],
        summary="Download everything stored for the agency, or for one of its clients",
        media_type="application/zip",
    )
    async def export(
        self,
        session: AsyncSession,
        principal: Principal,
        services: Services,
        client_id: uuid.UUID | None = Parameter(default=None, description="Only this client's data."),
    ) -> Stream:
        """A ZIP archive of the agency's data (or, with `client_id`, of one client's: its accounts, metrics, posts,
        mentions, syncs, alerts, objectives, costs and values, viewers and keys): one JSON-lines file per table
        (`tables/<table>.jsonl`), each client's PDF report over the last 90 days (`reports/`), and `manifest.json`
        (rows per table, and what is left out: secrets such as credentials and key hashes, and short-lived rows
        such as sessions). A 404 for a client the agency does not have."""
        if client_id is None:
            file = await _archive(session, services, principal.tenant_id, None)
            return _archive_response(file, f"resonance-agency-{principal.tenant_id}-{utcnow().date()}.zip")
        client = await get_client(session, principal, client_id)
        file = await _archive(session, services, principal.tenant_id, client.id)
        return _archive_response(file, f"resonance-client-{client.id}-{utcnow().date()}.zip")

    @get(
        "/v1/tenant/audit-log",
        guards=[require("admin")],
        summary="Read the agency's audit log",
        dependencies={"page": PAGE, "days": day_range("First day (UTC), included.", "Last day (UTC), included.")},
    )
    async def audit_log(
        self,
        session: AsyncSession,
        principal: Principal,
        page: PageRequest,
        days: AskedDays,
        action: str | None = Parameter(
            default=None, max_length=40, description="Only this action, like client.deleted or api_key.revoked."
        ),
    ) -> AuditLogPage:
        """Every change made to the agency's data, newest first: when, who (the key, member or operator), what,
        on which object, and the request's id."""
        first, last = days.bounds()
        query: Any = select(AuditEntry)
        if action:
            query = query.where(col(AuditEntry.action) == action)
        if first:
            query = query.where(col(AuditEntry.at) >= _start_of(first))
        if last:
            query = query.where(col(AuditEntry.at) < _start_of(last, 1))
        rows, next_cursor = await fetch_requested_page(
            session, query, [col(AuditEntry.at), col(AuditEntry.id)], page, descending=True
        )
        return AuditLogPage(data=[audit_entry_out(row) for row in rows], next_cursor=next_cursor)


def _start_of(day: date, plus: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus), time(), tzinfo=UTC)
