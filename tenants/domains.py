"""Custom domains: a host name (`portal.agency.example`) that maps to one agency, for its branded sign-in.

A host maps to an agency only once the agency has proved it controls the host's DNS: it publishes a TXT record
`_resonance-challenge.<host>` with the value `resonance-verification=<token>` (the token is made when the host is
added), then asks for verification. Until then the host is only a claim: other agencies may claim it too, and
when one of them verifies it the others' claims are deleted. A verified host belongs to one agency across all of
them. Tenant-first keys (DESIGN.md) forbid a unique key on the host alone, so adding or verifying one takes a
transaction-scoped lock on the host (PostgreSQL) and checks every agency through the narrow system functions
`resonance_find_tenant_by_host` and `resonance_drop_unverified_claims`; on SQLite writers are serialised anyway.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver
import idna
from sqlalchemy import Index, UniqueConstraint, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col, select

from tenants import system
from tenants.audit import Actor, record
from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime

CHALLENGE_PREFIX = "_resonance-challenge."
"""The TXT record proving an agency controls a host is published under this prefix of the host."""
CHALLENGE_VALUE = "resonance-verification="
"""The TXT record's value is this followed by the domain's token."""
DNS_TIMEOUT = 5.0
"""Seconds a verification waits for the DNS."""


class DomainError(ValueError):
    """A host that cannot be added, verified or removed; `code` says why, `detail` says it as a sentence."""

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
    verification_token: str = Field(default_factory=lambda: secrets.token_urlsafe(24), max_length=64)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the agency proved it controls the host's DNS; the host maps to the agency only from then on."""

    @property
    def record_name(self) -> str:
        """The name of the TXT record to publish."""
        return CHALLENGE_PREFIX + self.host

    @property
    def record_value(self) -> str:
        """The value of the TXT record to publish."""
        return CHALLENGE_VALUE + self.verification_token


class TxtLookupError(Exception):
    """The DNS gave no answer for a name; `reason` says what happened, as the end of a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TxtResolver(Protocol):
    """Reads TXT records (tests give a fake one)."""

    async def txt(self, name: str) -> list[str]:
        """The TXT strings published at `name` ([] when it has none); a TxtLookupError when the DNS cannot say."""
        ...


class DnsResolver:
    """The real DNS, through dnspython, waiting at most `timeout` seconds."""

    def __init__(self, timeout: float = DNS_TIMEOUT) -> None:
        self.timeout = timeout

    async def txt(self, name: str) -> list[str]:
        resolver = dns.asyncresolver.Resolver()
        resolver.lifetime = self.timeout
        try:
            answer = await resolver.resolve(name, "TXT")
        except dns.resolver.NXDOMAIN:
            raise TxtLookupError("the DNS says there is no such name (NXDOMAIN)") from None
        except dns.resolver.NoAnswer:
            return []
        except dns.exception.Timeout:
            raise TxtLookupError(f"the DNS did not answer within {self.timeout:g} seconds") from None
        except dns.exception.DNSException as error:
            raise TxtLookupError(f"the DNS could not be asked ({type(error).__name__})") from None
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


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
    """The agency that verified `host` as its custom domain (any session: it looks across agencies), or None."""
    try:
        normal = normalise_host(host)
    except DomainError:
        return None
    return await system.find_tenant_by_host(session, normal)


async def list_domains(session: AsyncSession) -> list[TenantDomain]:
    """The session's agency's hosts, in alphabetical order."""
    return list((await session.scalars(select(TenantDomain).order_by(col(TenantDomain.host)))).all())


async def _lock_host(session: AsyncSession, host: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:host))"), {"host": "domain:" + host})


async def _own_domain(session: AsyncSession, host: str) -> TenantDomain | None:
    return (await session.scalars(select(TenantDomain).where(col(TenantDomain.host) == host))).first()


def _taken(host: str) -> DomainError:
    return DomainError("host_taken", f"The domain {host} is already used by another agency.")


async def add_domain(session: AsyncSession, actor: Actor, tenant_id: uuid.UUID, host: str) -> TenantDomain:
    """Claim this host for the agency, unverified; a DomainError when it is not a host, the agency's already, or
    verified by another agency (which, unsaid). Another agency's unverified claim does not stand in the way."""
    normal = normalise_host(host)
    await _lock_host(session, normal)
    if await _own_domain(session, normal) is not None:
        raise DomainError("host_yours", f"This agency already has the domain {normal}.")
    if await system.find_tenant_by_host(session, normal) is not None:
        raise _taken(normal)
    domain = TenantDomain(host=normal)
    session.add(domain)
    await session.flush()
    record(session, actor, "domain.added", domain, changes={"host": normal})
    return domain


async def verify_domain(
    session: AsyncSession, actor: Actor, tenant_id: uuid.UUID, host: str, resolver: TxtResolver
) -> TenantDomain | None:
    """Check the agency's TXT record for this host and map the host to the agency when it holds the token; the
    other agencies' unverified claims to the host are deleted. None when the agency has no such host; a DomainError
    saying which record to publish and what the DNS answered when the record is not there, or `host_taken` when
    another agency verified the host first. A host already verified is returned as it is."""
    try:
        normal = normalise_host(host)
    except DomainError:
        return None
    domain = await _own_domain(session, normal)
    if domain is None or domain.verified_at is not None:
        return domain
    try:
        found: list[str] | None = await resolver.txt(domain.record_name)
        failure = ""
    except TxtLookupError as error:
        found, failure = None, error.reason
    if found is not None and domain.record_value not in (value.strip() for value in found):
        ours = [value for value in found if value.strip().startswith(CHALLENGE_VALUE)]
        if ours:
            failure = "its value is " + ", ".join(repr(value[:80]) for value in ours[:3]) + " instead"
        elif found:
            failure = (
                "it holds no resonance-verification value (only "
                + ", ".join(repr(value[:80]) for value in found[:3])
                + ")"
            )
        else:
            failure = "the DNS has no TXT record at that name"
    if failure:
        raise DomainError(
            "record_missing",
            f"Publish a DNS TXT record named {domain.record_name} with the value {domain.record_value}, then verify "
            f"again: {failure}.",
        )
    await _lock_host(session, normal)
    if await system.find_tenant_by_host(session, normal) not in (None, tenant_id):
        raise _taken(normal)
    dropped = await system.drop_unverified_claims(session, normal, tenant_id)
    domain.verified_at = utcnow()
    session.add(domain)
    await session.flush()
    record(session, actor, "domain.verified", domain, changes={"host": normal, "other_claims_removed": dropped})
    return domain


async def remove_domain(session: AsyncSession, actor: Actor, host: str) -> bool:
    """Take this host from the session's agency; False when the agency has no such host."""
    try:
        normal = normalise_host(host)
    except DomainError:
        return False
    domain = await _own_domain(session, normal)
    if domain is None:
        return False
    record(session, actor, "domain.removed", domain, changes={"host": normal})
    await session.delete(domain)
    return True
