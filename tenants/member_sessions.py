"""Members signing in to the portal: passwords, sessions, and one-time links sent by e-mail.

A session's and a link's token are 256 random bits shown once (in a cookie, in an e-mail); only their SHA-256
is stored, as for API keys. The sign-in knows no tenant yet, so it finds rows through the narrow system
functions of `tenants.system`, then reads and writes them inside the tenant found.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import col

from tenants import system
from tenants.audit import Actor, record
from tenants.database import Database
from tenants.ids import utcnow
from tenants.models import Member, MemberSession, MemberToken
from tenants.passwords import hash_password, needs_rehash, verify_password

SESSION_LIFETIME = timedelta(days=14)
"""A session ends this long after sign-in, used or not."""
IDLE_TIMEOUT = timedelta(days=2)
"""A session unused this long ends."""
SEEN_RESOLUTION = timedelta(minutes=5)
"""`last_seen_at` is written at most this often, so that page views do not turn into writes."""
LINK_LIFETIME: dict[str, timedelta] = {
    "sign_in": timedelta(minutes=20),
    "password": timedelta(hours=1),
    "invite": timedelta(days=7),
}
"""How long each kind of link sent by e-mail stays valid (it works once)."""

Purpose = Literal["sign_in", "password", "invite"]


def _token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """The stored form of a session's or a link's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A live session and its member."""

    session: MemberSession
    member: Member


def member_actor(member: Member) -> Actor:
    """The audit actor for what a member does in the portal."""
    return Actor(label=f"member:{member.email}")


async def authenticate(
    database: Database, email: str, password: str, *, tenant_id: uuid.UUID | None = None
) -> Member | None:
    """The member with this e-mail and password, or None. An address that is a member of several agencies
    signs in to the oldest membership whose password matches; with `tenant_id` (a custom domain's agency), only
    a membership of that agency."""
    async with database.system_session() as session:
        candidates = await system.members_by_email(session, email.strip().lower())
    if tenant_id is not None:
        candidates = [pair for pair in candidates if pair[0] == tenant_id]
    if not candidates:
        verify_password(None, password)  # as slow as a wrong password, so the answer does not tell who exists
        return None
    for tenant_id, member_id in candidates:
        async with database.tenant_session(tenant_id) as session:
            member = await session.get(Member, (tenant_id, member_id))
            if member is None or not verify_password(member.password_hash, password):
                continue
            if member.password_hash is not None and needs_rehash(member.password_hash):
                member.password_hash = hash_password(password)
            return member
    return None


async def member_by_email(database: Database, email: str, *, tenant_id: uuid.UUID | None = None) -> Member | None:
    """The (oldest) membership of this e-mail address, for sending it a link; None when there is none. With
    `tenant_id` (a custom domain's agency), only a membership of that agency."""
    async with database.system_session() as session:
        found = await system.members_by_email(session, email.strip().lower())
    if tenant_id is not None:
        found = [pair for pair in found if pair[0] == tenant_id]
    return await member_of(database, *found[0]) if found else None


async def open_session(database: Database, member: Member) -> str:
    """Start a session for `member`; returns the token for the cookie (shown once)."""
    token, hashed = _token()
    now = utcnow()
    async with database.tenant_session(member.tenant_id) as session:
        session.add(
            MemberSession(
                member_id=member.id,
                token_hash=hashed,
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
    return token


def _live(row: MemberSession, now: datetime) -> bool:
    return row.revoked_at is None and row.expires_at > now and row.last_seen_at + IDLE_TIMEOUT > now


async def find_session(database: Database, token: str) -> SignedIn | None:
    """The live session with this token and its member, or None (unknown, ended, revoked or idle too long)."""
    async with database.system_session() as session:
        found = await system.find_member_session(session, token_hash(token))
    if found is None:
        return None
    tenant_id, session_id = found
    now = utcnow()
    async with database.tenant_session(tenant_id) as session:
        row = await session.get(MemberSession, (tenant_id, session_id))
        if row is None or not _live(row, now):
            return None
        member = await session.get(Member, (tenant_id, row.member_id))
        if member is None:
            return None
        if now - row.last_seen_at >= SEEN_RESOLUTION:
            row.last_seen_at = now
        return SignedIn(session=row, member=member)


async def end_session(database: Database, signed_in: SignedIn) -> None:
    """Sign out: the session's token no longer works."""
    async with database.tenant_session(signed_in.member.tenant_id) as session:
        await session.execute(
            update(MemberSession).where(col(MemberSession.id) == signed_in.session.id).values(revoked_at=utcnow())
        )


async def issue_link(database: Database, member: Member, purpose: Purpose) -> str:
    """A one-time link token of this purpose for `member` (to put in an e-mail)."""
    token, hashed = _token()
    now = utcnow()
    async with database.tenant_session(member.tenant_id) as session:
        session.add(
            MemberToken(
                member_id=member.id,
                purpose=purpose,
                token_hash=hashed,
                created_at=now,
                expires_at=now + LINK_LIFETIME[purpose],
            )
        )
    return token


async def find_link(database: Database, token: str, purpose: Purpose) -> Member | None:
    """The member of an unused, unexpired link of this purpose (without using it up), or None."""
    async with database.system_session() as session:
        found = await system.find_member_token(session, token_hash(token))
    if found is None:
        return None
    tenant_id, token_id = found
    async with database.tenant_session(tenant_id) as session:
        row = await session.get(MemberToken, (tenant_id, token_id))
        if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= utcnow():
            return None
        return await session.get(Member, (tenant_id, row.member_id))


async def use_link(database: Database, token: str, purpose: Purpose) -> Member | None:
    """Use up the link: its member, or None when it is unknown, used, expired or of another purpose. Two
    requests with the same link cannot both succeed (the update is conditional on `used_at` being empty)."""
    member = await find_link(database, token, purpose)
    if member is None:
        return None
    async with database.tenant_session(member.tenant_id) as session:
        result = await session.execute(
            update(MemberToken)
            .where(col(MemberToken.token_hash) == token_hash(token), col(MemberToken.used_at).is_(None))
            .values(used_at=utcnow())
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
    return member


async def set_password(database: Database, member: Member, password: str) -> None:
    """Give `member` a new password and end all its sessions (audited; the password itself never is)."""
    async with database.tenant_session(member.tenant_id) as session:
        row = await session.get(Member, (member.tenant_id, member.id))
        if row is None:
            return
        row.password_hash = hash_password(password)
        await session.execute(
            update(MemberSession)
            .where(col(MemberSession.member_id) == member.id, col(MemberSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
        record(session, member_actor(row), "member.password_set", row, changes={})


async def member_of(database: Database, tenant_id: uuid.UUID, member_id: uuid.UUID) -> Member | None:
    """The member, read inside its tenant."""
    async with database.tenant_session(tenant_id) as session:
        return await session.get(Member, (tenant_id, member_id))
