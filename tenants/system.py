"""The few reads that look across tenants, each a narrow door.

On PostgreSQL they call the SECURITY DEFINER functions created by the migrations (the service's
role cannot read another tenant's rows itself); on SQLite, where there is no second wall, the
same query runs directly.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.types import sqlite_timestamp

_SQLITE_QUERIES = {
    "resonance_find_api_key": ("SELECT tenant_id, id FROM api_keys WHERE key_hash = :a AND revoked_at IS NULL"),
    "resonance_claimable_sync_runs": (
        "SELECT tenant_id, id FROM sync_runs "
        "WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < :a) ORDER BY requested_at LIMIT :b"
    ),
    "resonance_due_accounts": (
        "SELECT tenant_id, id FROM accounts WHERE sync_enabled AND status = 'active' "
        "AND (next_sync_at IS NULL OR next_sync_at <= :a) ORDER BY next_sync_at LIMIT :b"
    ),
    "resonance_find_members_by_email": (
        "SELECT tenant_id, id FROM members WHERE email = :a ORDER BY created_at, tenant_id"
    ),
    "resonance_find_member_session": (
        "SELECT tenant_id, id FROM member_sessions WHERE token_hash = :a AND revoked_at IS NULL"
    ),
    "resonance_find_member_token": "SELECT tenant_id, id FROM member_tokens WHERE token_hash = :a AND used_at IS NULL",
    "resonance_find_tenant_by_host": (
        "SELECT tenant_id, id FROM tenant_domains WHERE host = :a AND verified_at IS NOT NULL "
        "ORDER BY verified_at, tenant_id LIMIT 1"
    ),
    "resonance_drop_unverified_claims": (
        "DELETE FROM tenant_domains WHERE host = :a AND tenant_id <> :b AND verified_at IS NULL RETURNING tenant_id, id"
    ),
    "resonance_find_oauth_state": "SELECT tenant_id, id FROM oauth_states WHERE state_hash = :a",
    "resonance_find_stripe_customer": ("SELECT tenant_id, tenant_id FROM subscriptions WHERE stripe_customer_id = :a"),
    "resonance_usage_to_report": (
        "SELECT s.tenant_id, s.tenant_id FROM subscriptions s WHERE s.stripe_customer_id IS NOT NULL AND ("
        "EXISTS (SELECT 1 FROM usage_events u WHERE u.tenant_id = s.tenant_id AND NOT EXISTS ("
        "SELECT 1 FROM meter_event_deliveries d WHERE d.tenant_id = u.tenant_id AND d.usage_event_id = u.id)) "
        "OR EXISTS (SELECT 1 FROM meter_event_deliveries d WHERE d.tenant_id = s.tenant_id "
        "AND d.status = 'retrying' AND d.next_attempt_at <= :a)) ORDER BY s.tenant_id LIMIT :b"
    ),
    "resonance_stripe_customers": (
        "SELECT tenant_id, tenant_id FROM subscriptions WHERE stripe_customer_id IS NOT NULL "
        "ORDER BY tenant_id LIMIT :a"
    ),
    "resonance_claimable_reports": (
        "SELECT tenant_id, id FROM generated_reports "
        "WHERE status = 'queued' OR (status = 'running' AND started_at < :a) ORDER BY requested_at LIMIT :b"
    ),
    "resonance_due_webhook_deliveries": (
        "SELECT tenant_id, id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= :a "
        "ORDER BY next_attempt_at LIMIT :b"
    ),
}


async def _pairs(session: AsyncSession, function: str, *args: object) -> list[tuple[uuid.UUID, uuid.UUID]]:
    params = dict(zip("ab", args, strict=False))
    if session.get_bind().dialect.name == "postgresql":
        placeholders = ", ".join(f":{name}" for name in params)
        statement = text(f"SELECT tenant_id, id FROM {function}({placeholders})")  # noqa: S608 - fixed names
    else:
        statement = text(_SQLITE_QUERIES[function])
        params = {name: (_sqlite_value(value)) for name, value in params.items()}
    rows = (await session.execute(statement, params)).all()
    return [(_as_uuid(row[0]), _as_uuid(row[1])) for row in rows]


def _sqlite_value(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return value.hex  # as SQLAlchemy's Uuid stores it without a native type
    return sqlite_timestamp(value) if isinstance(value, datetime) else value


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def find_api_key(session: AsyncSession, key_hash: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(tenant id, key id) of the active key with this hash."""
    rows = await _pairs(session, "resonance_find_api_key", key_hash)
    return rows[0] if rows else None


async def members_by_email(session: AsyncSession, email: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant id, member id) of every agency's member with this (lower-case) e-mail address, oldest first."""
    return await _pairs(session, "resonance_find_members_by_email", email)


async def find_member_session(session: AsyncSession, token_hash: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(tenant id, session id) of the portal session, not revoked, whose token has this hash."""
    rows = await _pairs(session, "resonance_find_member_session", token_hash)
    return rows[0] if rows else None


async def find_member_token(session: AsyncSession, token_hash: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(tenant id, token id) of the unused one-time link whose token has this hash."""
    rows = await _pairs(session, "resonance_find_member_token", token_hash)
    return rows[0] if rows else None


async def claimable_sync_runs(
    session: AsyncSession, stale_before: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant id, run id) of queued runs, and of running ones whose worker stopped beating."""
    return await _pairs(session, "resonance_claimable_sync_runs", stale_before, limit)


async def claimable_reports(
    session: AsyncSession, stale_before: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant id, report id) of reports to render: queued, or running since before `stale_before` (its worker
    died)."""
    return await _pairs(session, "resonance_claimable_reports", stale_before, limit)


async def due_accounts(session: AsyncSession, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant id, account id) of active accounts whose next scheduled sync is due."""
    return await _pairs(session, "resonance_due_accounts", now, limit)


async def find_oauth_state(session: AsyncSession, state_hash: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(tenant id, id) of the OAuth authorization whose state has this SHA-256 hash (used or not, expired or not).

    The OAuth callback carries no API key: the state it brings back is how it finds its tenant.
    """
    rows = await _pairs(session, "resonance_find_oauth_state", state_hash)
    return rows[0] if rows else None


async def due_webhook_deliveries(session: AsyncSession, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant id, delivery id) of pending webhook deliveries due at `now`, the longest-waiting first."""
    return await _pairs(session, "resonance_due_webhook_deliveries", now, limit)


async def find_stripe_customer(session: AsyncSession, customer_id: str) -> uuid.UUID | None:
    """The agency whose Stripe customer this is (Stripe's webhooks carry no API key, only the customer)."""
    rows = await _pairs(session, "resonance_find_stripe_customer", customer_id)
    return rows[0][0] if rows else None


async def usage_to_report(session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
    """Agencies with a Stripe customer and usage to send: ledger rows never tried, or retries due at `now`."""
    return [tenant_id for tenant_id, _ in await _pairs(session, "resonance_usage_to_report", now, limit)]


async def stripe_customers(session: AsyncSession, limit: int) -> list[uuid.UUID]:
    """Agencies that have a Stripe customer (the ones whose usage is reported and reconciled)."""
    return [tenant_id for tenant_id, _ in await _pairs(session, "resonance_stripe_customers", limit)]


async def find_tenant_by_host(session: AsyncSession, host: str) -> uuid.UUID | None:
    """The agency that verified this (normalised) host as its custom domain; the portal knows no tenant before it."""
    rows = await _pairs(session, "resonance_find_tenant_by_host", host)
    return rows[0][0] if rows else None


async def drop_unverified_claims(session: AsyncSession, host: str, tenant_id: uuid.UUID) -> int:
    """Delete the other agencies' unverified rows for this host (`tenant_id` just verified it); how many there were."""
    return len(await _pairs(session, "resonance_drop_unverified_claims", host, tenant_id))
