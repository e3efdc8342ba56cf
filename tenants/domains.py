"""Custom domains: a host name (`portal.agency.example`) that maps to one agency, for its branded sign-in.

A host belongs to one agency across all of them. Tenant-first keys (DESIGN.md) forbid a unique key on the host
alone, so adding one takes a transaction-scoped lock on the host (PostgreSQL) and checks every agency through the
narrow system function `resonance_find_tenant_by_host` before inserting; on SQLite writers are serialised anyway.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import idna
from sqlalchemy import Index, UniqueConstraint, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col, select

from tenants import system
from tenants.audit import Actor, record
from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime


class DomainError(ValueError):
    """A host that cannot be added or removed; `code` says why, `detail` says it as a sentence."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class TenantDomain(TenantScoped, table=True):
    """A host name of the agency's own, under which its clients see its brand."""

    __tablename__ = "tenant_domains"
    __table_args__ = (
        UniqueConstraint("tenant_id", "host", name="uq_tenant_domains_tenant_host"),
        Index("ix_tenant_domains_host", "host"),  # a request's Host is looked up before the agency is known
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    host: str = Field(max_length=253)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def normalise_host(value: str) -> str:
    """`value` as a lower-case host name in its ASCII (IDNA) form, or a DomainError saying what a host is."""
    raw = value.strip().rstrip(".").lower()
    problem = DomainError(
        "host_invalid",
        f"{value[:60]!r} is not a host name: write it like portal.agency.example, without https:// or a path.",
    )
    if not raw or "." not in raw or any(char in raw for char in "/:@ ?#") or len(raw) > 253:
        raise problem
    try:
        host = idna.encode(raw, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise problem from None
    return host


async def tenant_of_host(session: AsyncSession, host: str) -> uuid.UUID | None:
    """The agency whose custom domain `host` is (any session: it looks across agencies), or None."""
    try:
        normal = normalise_host(host)
    except DomainError:
        return None
    return await system.find_tenant_by_host(session, normal)


async def list_domains(session: AsyncSession) -> list[TenantDomain]:
    """The session's agency's hosts, in alphabetical order."""
    return list((await session.scalars(select(TenantDomain).order_by(col(TenantDomain.host)))).all())


async def add_domain(session: AsyncSession, actor: Actor, tenant_id: uuid.UUID, host: str) -> TenantDomain:
    """Give the agency this host; a DomainError when it is not a host, or already someone's (which, unsaid)."""
    normal = normalise_host(host)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:host))"), {"host": "domain:" + normal})
    owner = await system.find_tenant_by_host(session, normal)
    if owner == tenant_id:
        raise DomainError("host_yours", f"This agency already has the domain {normal}.")
    if owner is not None:
        raise DomainError("host_taken", f"The domain {normal} is already used by another agency.")
    domain = TenantDomain(host=normal)
    session.add(domain)
    await session.flush()
    record(session, actor, "domain.added", domain, changes={"host": normal})
    return domain


async def remove_domain(session: AsyncSession, actor: Actor, host: str) -> bool:
    """Take this host from the session's agency; False when the agency has no such host."""
    try:
        normal = normalise_host(host)
    except DomainError:
        return False
    domain = (await session.scalars(select(TenantDomain).where(col(TenantDomain.host) == normal))).first()
    if domain is None:
        return False
    record(session, actor, "domain.removed", domain, changes={"host": normal})
    await session.delete(domain)
    return True
