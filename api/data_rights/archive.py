"""Everything stored for an agency, or for one of its clients, as one ZIP archive an admin can download.

The archive holds one JSON-lines file per table (`tables/<table>.jsonl`, one row per line, columns by name),
the client's report over the last 90 days as PDF (`reports/<client>.pdf`), and `manifest.json`, which says what
is in it and what was left out on purpose: secrets (credentials, key and password hashes, signing secrets), which
cannot be read back anyway, and short-lived rows (sessions, sign-in links, OAuth states, idempotency records).

Rows are read in batches through the tenant's session, so row-level security bounds what an export can hold, and
the archive is written to a temporary file rather than held in memory.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import msgspec
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from api.clients.models import Client
from api.metrics.window import AskedDays
from api.reports.service import render_report
from api.services import Services
from tenants.ids import utcnow

WITHHELD_COLUMNS = frozenset(
    {
        "credentials_encrypted",
        "secret_encrypted",
        "code_verifier_encrypted",
        "key_hash",
        "password_hash",
        "token_hash",
        "state_hash",
        "request_hash",
        "verification_token",
    }
)
"""Secrets: left out of every archive (encrypted or hashed, they could not be used, but they are not the data)."""
SKIPPED_TABLES = frozenset({"member_sessions", "member_tokens", "oauth_states", "idempotency_keys"})
"""Short-lived rows that describe no one's data: sessions, sign-in links, OAuth states, idempotency records."""
REPORT_DAYS = 90
BATCH = 1000


@dataclass
class Manifest:
    """What an archive holds."""

    scope: str
    """`agency` or `client`."""
    tenant_id: uuid.UUID
    client_id: uuid.UUID | None
    created_at: datetime
    tables: dict[str, int] = field(default_factory=dict)
    """Rows written per table."""
    reports: list[str] = field(default_factory=list)
    withheld_columns: list[str] = field(default_factory=lambda: sorted(WITHHELD_COLUMNS))
    skipped_tables: list[str] = field(default_factory=lambda: sorted(SKIPPED_TABLES))


def _tables() -> list[Table]:
    import api.models  # noqa: F401  - every table registered

    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if table.name not in SKIPPED_TABLES and ("tenant_id" in table.c or table.name == "tenants")
    ]


def _rows_of(table: Table, tenant_id: uuid.UUID, client_id: uuid.UUID | None) -> Any | None:
    """The query for the rows of `table` in the archive's scope, or None when the table holds nothing of it."""
    if table.name == "tenants":
        return None if client_id else select(table).where(table.c.id == tenant_id)
    query = select(table).where(table.c.tenant_id == tenant_id)
    if client_id is None:
        return query
    if table.name == "clients":
        return query.where(table.c.id == client_id)
    if "client_id" in table.c:
        return query.where(table.c.client_id == client_id)
    if "account_id" in table.c:
        accounts = SQLModel.metadata.tables["accounts"]
        owned = select(accounts.c.id).where(accounts.c.tenant_id == tenant_id, accounts.c.client_id == client_id)
        return query.where(table.c.account_id.in_(owned))
    return None


async def _batches(session: AsyncSession, query: Any) -> AsyncIterator[list[dict[str, Any]]]:
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for partition in result.mappings().partitions(BATCH):
        yield [dict(row) for row in partition]


async def write_archive(
    session: AsyncSession, services: Services, tenant_id: uuid.UUID, client_id: uuid.UUID | None, target: IO[bytes]
) -> Manifest:
    """Write the archive of the agency (or of its client `client_id`) into `target`, a binary file."""
    manifest = Manifest("client" if client_id else "agency", tenant_id, client_id, utcnow())
    encoder = msgspec.json.Encoder()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in _tables():
            query = _rows_of(table, tenant_id, client_id)
            if query is None:
                continue
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as lines:
                async for batch in _batches(session, query):
                    for row in batch:
                        kept = {name: value for name, value in row.items() if name not in WITHHELD_COLUMNS}
                        lines.write(encoder.encode(kept) + b"\n")
                    count += len(batch)
            manifest.tables[table.name] = count
        clients = select(Client).order_by(col(Client.name))
        if client_id is not None:
            clients = clients.where(col(Client.id) == client_id)
        for client in (await session.scalars(clients)).all():
            report = await render_report(session, services, client, AskedDays(None, None, REPORT_DAYS), "pdf", None)
            name = f"reports/{client.id}-{report.filename}"
            archive.writestr(name, report.body)
            manifest.reports.append(name)
        archive.writestr("manifest.json", msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    return manifest
