"""Request and response shapes of OAuth onboarding."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.accounts.schemas import Handle, NetworkId
from api.oauth.models import OAuthState

RedirectAfter = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        examples=["https://portal.agency.example/accounts/connected"],
        description="Where the user's browser goes after the callback, with `account_id` and `status` added "
        "to its query (`status=connected`, or `status=error` with `error` and `error_description`).",
    ),
]


class AuthorizationIn(msgspec.Struct, forbid_unknown_fields=True):
    """An account to connect (or reconnect, with `account_id`) through the network's OAuth consent page."""

    network: NetworkId
    handle: Handle | None = msgspec.field(default=None)
    """The account's handle on the network; required unless `account_id` is given."""
    account_id: uuid.UUID | None = None
    """An existing account of this client to reconnect (e.g. one in `needs_reauth`)."""
    kind: Literal["owned"] = "owned"
    redirect_after: RedirectAfter | None = None


class AuthorizationOut(msgspec.Struct):
    """Send the user to `authorization_url` before `state_expires_at`; the network then calls back Resonance."""

    id: uuid.UUID
    authorization_url: str
    state_expires_at: datetime
    network: str
    redirect_uri: str
    """The callback URL Resonance gave the network; it must be registered with the network's app."""


class ConnectedOut(msgspec.Struct):
    """The account the callback connected."""

    account_id: uuid.UUID
    network: str
    status: Literal["connected"]


def authorization_out(pending: OAuthState, authorization_url: str, redirect_uri: str) -> AuthorizationOut:
    """The API shape of an authorization just started (or reissued), with the one link that holds its state."""
    return AuthorizationOut(
        id=pending.id,
        authorization_url=authorization_url,
        state_expires_at=pending.expires_at,
        network=pending.network,
        redirect_uri=redirect_uri,
    )


def connected_out(account_id: uuid.UUID, network: str) -> ConnectedOut:
    """The API shape of the account a callback connected."""
    return ConnectedOut(account_id=account_id, network=network, status="connected")
