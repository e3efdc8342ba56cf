"""Tables of tenancy: agencies (tenants), their members, API keys and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import JsonDocument, UTCDateTime

Role = Literal["owner", "admin", "analyst", "client_viewer"]
ROLES: tuple[str, ...] = ("owner", "admin", "analyst", "client_viewer")
Scope = Literal["read", "write", "admin", "webhooks"]
SCOPES: tuple[str, ...] = ("read", "write", "admin", "webhooks")


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_column_kwargs=kwargs, sa_type=UTCDateTime)


class Tenant(SQLModel, table=True):
    """An agency: the unit of isolation and of billing."""

    __tablename__ = "tenants"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class Member(TenantScoped, table=True):
    """A person of the agency, or a client's viewer limited to one client."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_members_tenant_email"),
        Index("ix_members_email", "email"),  # the sign-in finds a member by e-mail before knowing the agency
        tenant_foreign_key("client_id", "clients", name="fk_members_client"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(max_length=320)
    role: str = Field(max_length=20)
    client_id: uuid.UUID | None = None
    created_at: datetime = _timestamp()
    password_hash: str | None = Field(default=None, max_length=200)
    """Argon2id (`tenants/passwords.py`); None until the member chooses a password (a link by e-mail works)."""
    locale: str | None = Field(default=None, max_length=8)
    """The portal's language for this member (`en`, `fr`); None: the browser's."""


class MemberSession(TenantScoped, table=True):
    """A member signed in to the portal: only the SHA-256 of the cookie's token is stored.

    It ends at `expires_at`, after `IDLE_TIMEOUT` without use, or when revoked (sign-out, new password).
    """

    __tablename__ = "member_sessions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash", name="uq_member_sessions_tenant_hash"),
        Index("ix_member_sessions_token_hash", "token_hash"),
        tenant_foreign_key("member_id", "members", name="fk_member_sessions_member"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    member_id: uuid.UUID
    token_hash: str = Field(max_length=64)
    created_at: datetime = _timestamp()
    last_seen_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberToken(TenantScoped, table=True):
    """A one-time link sent by e-mail: sign in (magic link), choose a new password, or accept an invitation."""

    __tablename__ = "member_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash", name="uq_member_tokens_tenant_hash"),
        Index("ix_member_tokens_token_hash", "token_hash"),
        tenant_foreign_key("member_id", "members", name="fk_member_tokens_member"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    member_id: uuid.UUID
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=64)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(TenantScoped, table=True):
    """An API key: only its SHA-256 hash is stored; the key itself is shown once.

    A key with a `client_id` sees that client of the agency only, and is deleted with it.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key_hash", name="uq_api_keys_tenant_hash"),
        Index("ix_api_keys_key_hash", "key_hash"),
        tenant_foreign_key("client_id", "clients", name="fk_api_keys_client"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=40)
    key_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    client_id: uuid.UUID | None = None
    created_at: datetime = _timestamp()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(TenantScoped, table=True):
    """One change made to the tenant's data: who, what, when, from which key."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    at: datetime = _timestamp()
    api_key_id: uuid.UUID | None = None
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    request_id: str | None = Field(default=None, max_length=64)
