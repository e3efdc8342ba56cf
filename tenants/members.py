"""The agency's client viewers: invited by e-mail for one client, invited again, removed.

An invited viewer is a `Member` with the role `client_viewer`, its client, and no password: the invitation's
one-time link (`tenants.member_sessions`, purpose "invite", valid 7 days) lets the person choose one. Sending the
e-mail is the caller's (`send`): this package knows no portal and no mail backend.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from tenants.audit import Actor, record
from tenants.database import Database
from tenants.member_sessions import issue_link
from tenants.models import Member, MemberSession, MemberToken

SendInvitation = Callable[[Member, str], Awaitable[None]]
"""`send(member, token)`: e-mail the invitation link made of `token` to the member."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidEmail(ValueError):
    """The address given does not look like an e-mail address."""


class DuplicateEmail(ValueError):
    """The agency already has a member with this e-mail address."""


def normalized_email(raw: str) -> str:
    """The address as stored (trimmed, lower-case); `InvalidEmail` when it is not one."""
    email = raw.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InvalidEmail(raw)
    return email


async def viewers_of(database: Database, tenant_id: uuid.UUID, client_id: uuid.UUID) -> list[Member]:
    """The client's viewers, by e-mail address."""
    async with database.tenant_session(tenant_id) as session:
        statement = (
            select(Member)
            .where(col(Member.client_id) == client_id, col(Member.role) == "client_viewer")
            .order_by(col(Member.email))
        )
        return list((await session.scalars(statement)).all())


async def invite_viewer(
    database: Database,
    actor: Actor,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    email: str,
    send: SendInvitation,
) -> Member:
    """Create a client viewer of `client_id` with no password and send it an invitation link.

    `InvalidEmail` for an address that is not one; `DuplicateEmail` when the agency has a member with it already,
    also when two invitations of the same address race (the unique key decides)."""
    address = normalized_email(email)
    try:
        async with database.tenant_session(tenant_id) as session:
            taken = await session.scalar(select(Member.id).where(col(Member.email) == address))
            if taken is not None:
                raise DuplicateEmail(address)
            member = Member(tenant_id=tenant_id, email=address, role="client_viewer", client_id=client_id)
            session.add(member)
            await session.flush()
            record(session, actor, "member.invited", member, changes={"email": address, "client_id": client_id})
    except IntegrityError:
        raise DuplicateEmail(address) from None
    await send(member, await issue_link(database, member, "invite"))
    return member


async def find_viewer(
    database: Database, tenant_id: uuid.UUID, client_id: uuid.UUID, member_id: uuid.UUID
) -> Member | None:
    """The client's viewer with this id, or None (another client's viewer or any other member is None too)."""
    async with database.tenant_session(tenant_id) as session:
        member = await session.get(Member, (tenant_id, member_id))
    if member is None or member.role != "client_viewer" or member.client_id != client_id:
        return None
    return member


async def resend_invitation(database: Database, actor: Actor, member: Member, send: SendInvitation) -> None:
    """Send the viewer a new invitation link (earlier ones keep working until they expire)."""
    async with database.tenant_session(member.tenant_id) as session:
        record(session, actor, "member.invitation_resent", member, changes={"email": member.email})
    await send(member, await issue_link(database, member, "invite"))


async def remove_viewer(database: Database, actor: Actor, member: Member) -> None:
    """Remove the viewer: its sessions end at once and its links stop working."""
    async with database.tenant_session(member.tenant_id) as session:
        await session.execute(
            delete(MemberSession).where(
                col(MemberSession.tenant_id) == member.tenant_id, col(MemberSession.member_id) == member.id
            )
        )
        await session.execute(
            delete(MemberToken).where(
                col(MemberToken.tenant_id) == member.tenant_id, col(MemberToken.member_id) == member.id
            )
        )
        await session.execute(
            delete(Member).where(col(Member.tenant_id) == member.tenant_id, col(Member.id) == member.id)
        )
        record(session, actor, "member.removed", member, changes={"email": member.email, "client_id": member.client_id})
