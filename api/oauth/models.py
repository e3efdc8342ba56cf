"""Pending OAuth authorizations: what the callback needs to finish connecting an account."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import UTCDateTime


class OAuthState(TenantScoped, table=True):
    """One authorization started with `POST /v1/clients/{client_id}/oauth/authorizations`.

    The `state` sent to the network is kept only as its SHA-256 hash, and the PKCE verifier only
    encrypted with the credential vault: a copy of the database cannot finish someone's authorization.
    `used_at` is set once, in the transaction that stores the token exchange's outcome, so a callback
    cannot be replayed.
    """

    __tablename__ = "oauth_states"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_oauth_states_client"),
        tenant_foreign_key("account_id", "accounts", name="fk_oauth_states_account"),
        UniqueConstraint("tenant_id", "state_hash", name="uq_oauth_states_tenant_hash"),
        Index("ix_oauth_states_state_hash", "state_hash"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    account_id: uuid.UUID | None = None
    """The account to reconnect; None to create one."""
    network: str = Field(max_length=64)
    handle: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="owned", max_length=20)
    state_hash: str = Field(max_length=64)
    code_verifier_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The PKCE code verifier, encrypted with the credential vault (None when the network has no PKCE)."""
    redirect_after: str | None = Field(default=None, max_length=2000)
    api_key_id: uuid.UUID | None = None
    """The key that started the authorization, named in the audit log when the callback connects the account."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
