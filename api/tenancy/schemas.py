"""Request and response shapes of signup, the tenant and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.auth import SCOPE_MEANINGS

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Acme Social"])]
Email = Annotated[
    str,
    msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320, examples=["owner@agency.example"]),
]
ScopeName = Literal["read", "write", "admin", "webhooks"]
SCOPES_DESCRIPTION = "What the key may do: " + "; ".join(
    f"`{name}`: {meaning}" for name, meaning in SCOPE_MEANINGS.items()
)


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new agency and the email of its owner."""

    agency_name: Name
    email: Email


class TenantOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    created_at: datetime


class ApiKeyOut(msgspec.Struct):
    """An API key as listed: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    client_id: uuid.UUID | None
    """The one client the key sees; null for a key of the whole agency."""
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(msgspec.Struct):
    """A new key: `secret` is shown this once and cannot be read again (null on an Idempotency-Key replay)."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    client_id: uuid.UUID | None
    created_at: datetime
    secret: str | None


class SignupOut(msgspec.Struct):
    tenant: TenantOut
    api_key: ApiKeyCreated


class ApiKeyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A key to create; scopes default to read and write. With `client_id`, the key sees that client only."""

    name: Name
    scopes: Annotated[
        list[ScopeName], msgspec.Meta(min_length=1, description=SCOPES_DESCRIPTION, examples=[["read", "webhooks"]])
    ] = msgspec.field(default_factory=lambda: ["read", "write"])
    client_id: Annotated[
        uuid.UUID | None,
        msgspec.Meta(
            description="Limit the key to this client of the agency: it sees that client's objects only (any other "
            "is a 404), lists show that client only, and it is refused what concerns the whole agency (creating "
            "clients, API keys, webhook endpoints, billing, usage) with a 403; so it cannot have the `admin` or "
            "`webhooks` scope. The key is deleted with the client."
        ),
    ] = None


class ApiKeyPage(msgspec.Struct):
    data: list[ApiKeyOut]
    next_cursor: str | None
