"""The usage ledger: one append-only row per billable fact, written in the transaction of the fact itself."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from tenants.database import TENANT_INFO_KEY
from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime

METERS: Final = {
    "tracked_accounts": "accounts tracked, one per account and day on which it was synced",
    "syncs": "sync runs that completed (succeeded or partial); failed runs are not billed",
    "api_calls": "API requests answered (rate-limited requests are not billed), counted per tenant and minute",
    "mentions_analysed": "mentions and comments given a language and a sentiment, each counted once (the first "
    "time it is stored, synced or imported; re-syncs and re-imports of the same mention are not counted again)",
}
"""The meters and what one unit of each is."""
CHUNK = 1000


class UsageEvent(TenantScoped, table=True):
    """A billable fact: which meter, how much, for which client, and the key that makes it count once.

    The key is derived from the fact by its producer (`sync_run:<id>`, `tracked_account:<id>:<day>`…) and
    unique per tenant; it is written in the same transaction as the fact, so a fact is counted exactly
    once whether its transaction commits once, is retried, or is rolled back.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_usage_events_key"),
        Index("ix_usage_events_tenant_time", "tenant_id", "occurred_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    meter: str = Field(max_length=40)
    quantity: int
    client_id: uuid.UUID | None = None
    """The client the fact is about, kept (without a foreign key) when the client is deleted: billed usage stays."""
    idempotency_key: str = Field(max_length=200)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def record_usage(
    session: AsyncSession,
    *,
    meter: str,
    quantity: int,
    key: str,
    client_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Append a fact to the tenant's ledger unless its `key` is already there (then nothing changes).

    Call it inside the transaction that stores the fact itself: both commit together or neither does.
    """
    await record_facts(session, meter=meter, facts=[(key, client_id, quantity)], occurred_at=occurred_at)


async def record_facts(
    session: AsyncSession,
    *,
    meter: str,
    facts: Sequence[tuple[str, uuid.UUID | None, int]],
    occurred_at: datetime | None = None,
) -> None:
    """Append several facts `(key, client_id, quantity)` of one meter; keys already in the ledger are skipped."""
    if meter not in METERS:
        raise ValueError(f"unknown meter {meter!r}")
    tenant_id = session.info.get(TENANT_INFO_KEY)
    if tenant_id is None:
        raise RuntimeError("recording usage needs a tenant session")
    now = utcnow()
    rows = [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "meter": meter,
            "quantity": quantity,
            "client_id": client_id,
            "idempotency_key": key,
            "occurred_at": occurred_at or now,
            "created_at": now,
        }
        for key, client_id, quantity in facts
        if quantity > 0
    ]
    if not rows:
        return
    table = UsageEvent.__table__  # type: ignore[attr-defined]
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
    for start in range(0, len(rows), CHUNK):
        await session.execute(statement, rows[start : start + CHUNK])


def mention_key(client_id: uuid.UUID, source: str, external_id: str) -> str:
    """The ledger key of a mention's analysis: one per mention of a client, whatever stored it."""
    return f"mentions_analysed:{client_id}:{source}:{external_id}"[:200]
