"""Request and response shapes of social accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

Handle = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["@boulangerie_martin"])]
PostsPerWeek = Annotated[
    float,
    msgspec.Meta(
        ge=0,
        le=100,
        examples=[3],
        description="Target cadence in posts per week; presence scores regularity against it.",
    ),
]
NetworkId = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=64, examples=["demo"], description="The id of the connector that syncs this account."
    ),
]


class AccountIn(msgspec.Struct, forbid_unknown_fields=True):
    """An account to track; credentials are validated against the connector's schema and stored encrypted."""

    network: NetworkId
    handle: Handle
    kind: Literal["owned", "competitor"] = "owned"
    external_id: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    display_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    credentials: dict[str, Any] = msgspec.field(default_factory=dict)
    settings: dict[str, Any] = msgspec.field(default_factory=dict)
    sync_enabled: bool = True
    target_posts_per_week: PostsPerWeek | None = None


class AccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; `status` pauses (`paused`) or resumes (`active`) syncing."""

    display_name: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType | None = msgspec.UNSET
    external_id: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType | None = msgspec.UNSET
    credentials: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    settings: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    sync_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    status: Literal["active", "paused"] | msgspec.UnsetType = msgspec.UNSET
    target_posts_per_week: PostsPerWeek | msgspec.UnsetType | None = msgspec.UNSET


class AccountOut(msgspec.Struct):
    """An account; its credentials are never returned, only whether it has some."""

    id: uuid.UUID
    client_id: uuid.UUID
    network: str
    handle: str
    kind: str
    external_id: str | None
    display_name: str | None
    has_credentials: bool
    settings: dict[str, Any]
    sync_enabled: bool
    target_posts_per_week: float | None
    status: str
    status_reason: str | None
    last_synced_at: datetime | None
    next_sync_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AccountPage(msgspec.Struct):
    data: list[AccountOut]
    next_cursor: str | None
