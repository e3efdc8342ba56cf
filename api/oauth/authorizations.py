"""Starting an OAuth authorization: the checks on what is to be connected, and the pending state it leaves.

The state sent to the network is kept only as its hash (and the PKCE verifier only encrypted), so the link
is shown once: an `Idempotency-Key` replay gets the same authorization with a new state (`reissue`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.accounts.service import connector_for, get_account
from api.auth import Principal
from api.billing.quotas import UNTRACKED_STATUSES
from api.clients.service import get_client
from api.errors import Conflict, InvalidInput
from api.idempotency import IDEMPOTENCY_HEADER
from api.oauth import flow
from api.oauth.models import OAuthState
from api.oauth.schemas import AuthorizationIn
from api.services import Services
from plugins.sdk import Connector
from tenants.audit import Actor, record
from tenants.credentials import CredentialVault
from tenants.ids import utcnow
from tenants.settings import Settings

KEEP_EXPIRED = timedelta(days=1)
"""Authorizations expired longer ago than this are deleted when the tenant starts a new one."""


def oauth_endpoints(connector: type[Connector], settings: Settings) -> flow.Endpoints:
    """The connector's OAuth endpoints, or a 422 on `network` saying what to configure."""
    try:
        return flow.endpoints(connector, settings)
    except flow.NotConfigured as why:
        raise InvalidInput(f"network {connector.id!r} cannot be connected with OAuth: {why}", field="network") from None


def _issue(target: flow.Endpoints, vault: CredentialVault, settings: Settings) -> tuple[str, str | None, str]:
    """A new (state hash, encrypted verifier, authorization URL); the state itself leaves only in the URL."""
    state = flow.new_state()
    verifier = flow.new_code_verifier() if target.config.pkce else None
    url = flow.authorization_url(target, redirect_to=flow.redirect_uri(settings), state=state, verifier=verifier)
    encrypted = vault.encrypt({"code_verifier": verifier}) if verifier is not None else None
    return flow.hash_state(state), encrypted, url


def without_url(body: Any) -> Any:
    """An authorization as kept for Idempotency-Key replays: its URL holds the state, which is never stored."""
    return {**body, "authorization_url": None} if isinstance(body, dict) else body


async def _reconnect_target(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, data: AuthorizationIn, network: str
) -> SocialAccount:
    """The client's owned account on `network` that `data.account_id` names, or a 404 / 422 saying why not."""
    account = await get_account(session, principal, cast(uuid.UUID, data.account_id))
    if account.client_id != client_id:
        raise InvalidInput(
            f"account {account.id} belongs to another client ({account.client_id}); "
            "start the authorization from that client.",
            field="account_id",
        )
    if account.network != network:
        raise InvalidInput(
            f"account {account.id} is on {account.network}, not {network}; send network {account.network!r}.",
            field="account_id",
        )
    if account.kind != "owned":
        raise InvalidInput(
            f"account {account.id} is a competitor's: it is read from public data and is not connected with OAuth.",
            field="account_id",
        )
    if data.handle is not None and data.handle != account.handle:
        raise InvalidInput(
            f"handle {data.handle!r} is not the handle of account {account.id} ({account.handle!r}); "
            "leave handle out when reconnecting.",
            field="handle",
        )
    return account


async def _check_new_handle(
    session: AsyncSession, client_id: uuid.UUID, connector: type[Connector], handle: str | None
) -> str:
    """The handle of a new account: required, and not one the client already tracks on the network (409)."""
    if handle is None:
        raise InvalidInput(
            "handle is required to connect a new account: give the account's handle on "
            f"{connector.name}, or account_id to reconnect an account this client already tracks.",
            field="handle",
        )
    duplicate = (
        await session.scalars(
            select(SocialAccount).where(
                SocialAccount.client_id == client_id,
                SocialAccount.network == connector.id,
                SocialAccount.handle == handle,
            )
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            f"This client already tracks {handle!r} on {connector.id} (account {duplicate.id}); "
            "send its account_id to reconnect it.",
            field="handle",
        )
    return handle


async def start_authorization(
    session: AsyncSession,
    services: Services,
    principal: Principal,
    actor: Actor,
    client_id: uuid.UUID,
    data: AuthorizationIn,
) -> tuple[OAuthState, str]:
    """A new pending authorization of the client's account (recorded in the audit log) and its link.

    A 404 for another tenant's client or account; a 422 when the network has no OAuth flow or client here, or
    the account or handle do not fit; a 409 for a handle the client already tracks; a 402 when connecting
    would need a tracked-account slot the plan does not have. Expired authorizations are cleared on the way.
    """
    settings = services.settings
    await get_client(session, principal, client_id)
    connector = connector_for(services.registry, data.network)
    target = oauth_endpoints(connector, settings)
    if data.redirect_after is not None and not urlsplit(data.redirect_after).hostname:
        raise InvalidInput(
            "redirect_after must be an absolute http:// or https:// URL with a host.", field="redirect_after"
        )
    if data.account_id is not None:
        target_account = await _reconnect_target(session, principal, client_id, data, connector.id)
        handle, takes_slot = target_account.handle, target_account.status in UNTRACKED_STATUSES
    else:
        handle, takes_slot = await _check_new_handle(session, client_id, connector, data.handle), True
    if takes_slot:
        # Said now rather than after the user's consent; the callback checks again when it connects.
        await services.quotas.ensure_room(session, principal.tenant_id, "tracked_accounts")
    now = utcnow()
    await session.execute(
        delete(OAuthState)
        .where(col(OAuthState.expires_at) < now - KEEP_EXPIRED)
        .execution_options(synchronize_session=False)
    )
    state_hash, verifier, url = _issue(target, services.vault, settings)
    pending = OAuthState(
        client_id=client_id,
        account_id=data.account_id,
        network=connector.id,
        handle=handle,
        kind=data.kind,
        state_hash=state_hash,
        code_verifier_encrypted=verifier,
        redirect_after=data.redirect_after,
        api_key_id=principal.key_id,
        created_at=now,
        expires_at=now + flow.STATE_LIFETIME,
    )
    session.add(pending)
    await session.flush()
    record(
        session,
        actor,
        "oauth.authorization_started",
        pending,
        changes={
            "network": connector.id,
            "handle": handle,
            "account_id": data.account_id,
            "scope": target.scope,
            "pkce": verifier is not None,
        },
    )
    return pending, url


async def reissue(session: AsyncSession, services: Services, principal: Principal, authorization_id: uuid.UUID) -> str:
    """A new link to the tenant's pending authorization: a new state (the first one was never stored) replaces it.

    For an `Idempotency-Key` replay: a 409 when the authorization was completed, has expired or is gone.
    """
    pending = await session.get(OAuthState, (principal.tenant_id, authorization_id))
    if pending is None or pending.used_at is not None or pending.expires_at <= utcnow():
        raise Conflict(
            f"The authorization made with this {IDEMPOTENCY_HEADER} was already completed or has expired; "
            f"start a new one with a new {IDEMPOTENCY_HEADER}.",
            field=IDEMPOTENCY_HEADER,
        )
    connector = connector_for(services.registry, pending.network)
    target = oauth_endpoints(connector, services.settings)
    pending.state_hash, pending.code_verifier_encrypted, url = _issue(target, services.vault, services.settings)
    return url
