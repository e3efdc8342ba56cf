"""Finishing an authorization when the network sends the user back: the state checked and used up, the code
exchanged, the account connected.

The callback carries no API key, so the state (looked up by its hash through a narrow system function) is
what names the tenant, the client and the account. Whatever happens after the state is found valid, it is
marked used in the transaction that records the outcome, so a replayed callback finds it used.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.billing.quotas import QuotaExceeded
from api.errors import ApiError, Unavailable
from api.oauth import flow
from api.oauth.account_setup import SetupFailed, account_ref, connect_account, credentials_from_token
from api.oauth.models import OAuthState
from api.oauth.problems import (
    NO_STORE,
    START_AGAIN,
    AccountSetupFailed,
    AuthorizationDenied,
    StateExpired,
    StateUnknown,
    StateUsed,
    TokenExchangeFailed,
)
from api.services import Services
from plugins.sdk import Connector
from tenants import system
from tenants.audit import Actor, record
from tenants.database import Database
from tenants.ids import utcnow

TOKEN_SECRETS = ("access_token", "refresh_token", "id_token")
"""The fields of a token response scrubbed from a connector's messages."""
SETUP_ERROR = "account_setup_failed"
"""The `error` sent to `redirect_after` when the connector could not turn the token into credentials."""


@dataclass(frozen=True)
class Outcome:
    """What the callback made of an authorization: the account connected, or the problem that stopped it.

    Either way the authorization is used up. `error` and `description` are what `redirect_after` is told of
    the problem; without a `redirect_after`, the problem itself is the answer.
    """

    pending: OAuthState
    account_id: uuid.UUID | None = None
    problem: ApiError | None = None
    error: str = ""
    description: str = ""

    def query(self) -> dict[str, str]:
        """The outcome as added to the query of `redirect_after`."""
        if self.problem is None:
            return {"account_id": str(self.account_id), "status": "connected"}
        params = {"status": "error", "error": self.error}
        if self.description:
            params["error_description"] = self.description
        if self.pending.account_id is not None:
            params = {"account_id": str(self.pending.account_id), **params}
        return params


def _state_problem(pending: OAuthState | None, now: datetime) -> ApiError | None:
    if pending is None:
        return StateUnknown(
            "This authorization is unknown: the link is incomplete or was not made by this Resonance. " + START_AGAIN,
            field="state",
        )
    if pending.used_at is not None:
        return StateUsed(
            f"This authorization was already used at {pending.used_at.isoformat(timespec='seconds')}; "
            f"each link works once. {START_AGAIN}",
            field="state",
        )
    if pending.expires_at <= now:
        return StateExpired(
            f"This authorization expired at {pending.expires_at.isoformat(timespec='seconds')} "
            f"(links work for {int(flow.STATE_LIFETIME.total_seconds() // 60)} minutes). {START_AGAIN}",
            field="state",
        )
    return None


async def _find(database: Database, oauth_state: str | None) -> OAuthState | None:
    """The authorization `oauth_state` names, in whichever tenant it is; a 400 when there is no state at all."""
    if not oauth_state:
        raise StateUnknown(
            "The callback has no state parameter: open the authorization_url Resonance gave you rather than "
            f"the network's page directly. {START_AGAIN}",
            field="state",
        )
    async with database.system_session() as session:
        found = await system.find_oauth_state(session, flow.hash_state(oauth_state))
    if found is None:
        return None
    async with database.tenant_session(found[0]) as session:
        return await session.get(OAuthState, found)


async def _claim(session: AsyncSession, pending: OAuthState, now: datetime) -> OAuthState:
    """Mark the authorization used, once: a second callback with the same state gets a 400."""
    result = await session.execute(
        update(OAuthState)
        .where(col(OAuthState.id) == pending.id, col(OAuthState.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise StateUsed(f"This authorization was already used; each link works once. {START_AGAIN}", field="state")
    row = await session.get(OAuthState, (pending.tenant_id, pending.id), populate_existing=True)
    assert row is not None
    return row


async def _declined(
    database: Database, pending: OAuthState, actor: Actor, now: datetime, error: str | None, description: str | None
) -> Outcome:
    """The user declined, or the network sent no code: the authorization used up, nothing connected."""
    network = pending.network
    said = " ".join((description or "").split())[:300]
    reason = error or "no_code"
    async with database.tenant_session(pending.tenant_id) as session:
        row = await _claim(session, pending, now)
        record(session, actor, "oauth.authorization_denied", row, changes={"network": network, "error": reason})
    if error is None:
        problem = AuthorizationDenied(
            f"{network} sent the user back without an authorization code or an error. {START_AGAIN}",
            field="code",
            headers=NO_STORE,
        )
    else:
        problem = AuthorizationDenied(
            f"{network} did not authorize the connection ({error}"
            + (f": {said}" if said else "")
            + f"). Nothing was connected. {START_AGAIN}",
            field="error",
            headers=NO_STORE,
            extra={"network": network, "oauth_error": error},
        )
    return Outcome(pending, problem=problem, error=reason, description=said)


def _oauth_target(services: Services, network: str) -> tuple[type[Connector], flow.Endpoints]:
    """The connector and OAuth endpoints of `network`, or a 503 when either is no longer configured."""
    connector = services.registry.connector(network)
    try:
        if connector is None:
            raise flow.NotConfigured(f"no installed connector provides network {network!r} any more")
        return connector, flow.endpoints(connector, services.settings)
    except flow.NotConfigured as why:
        raise Unavailable(f"{network} accounts cannot be connected right now: {why}", headers=NO_STORE) from None


async def _granted_credentials(
    services: Services, pending: OAuthState, code: str
) -> dict[str, Any] | flow.TokenRequestFailed | SetupFailed:
    """The code exchanged and the token turned into the account's credentials, or why that failed.

    No transaction is open meanwhile: the network and the connector may take their time.
    """
    connector, target = _oauth_target(services, pending.network)
    verifier = services.vault.decrypt(pending.code_verifier_encrypted).get("code_verifier")
    try:
        token = await flow.exchange_code(
            target,
            code=code,
            redirect_to=flow.redirect_uri(services.settings),
            verifier=verifier if isinstance(verifier, str) else None,
        )
    except flow.TokenRequestFailed as refused:
        return refused
    in_token = [token.get(name) for name in TOKEN_SECRETS]
    secrets = [code, target.client.client_secret, *(value for value in in_token if isinstance(value, str))]
    try:
        account = await account_ref(services.database, pending)
        return await credentials_from_token(connector, token, account, services.settings, secrets)
    except SetupFailed as failed:
        return failed


def _failed(pending: OAuthState, failure: flow.TokenRequestFailed | SetupFailed | QuotaExceeded) -> Outcome:
    """The outcome of a grant that connected nothing, with the problem that says why."""
    network = pending.network
    if isinstance(failure, flow.TokenRequestFailed):
        problem: ApiError = TokenExchangeFailed(
            f"{network} refused to exchange the authorization code ({failure.error}"
            + (f": {failure.description}" if failure.description else "")
            + f"). Nothing was connected. {START_AGAIN} If it keeps failing, check the {network} client "
            "in RESONANCE_OAUTH_CLIENTS and the redirect URI registered with the network.",
            headers=NO_STORE,
            extra={"network": network, "oauth_error": failure.error},
        )
        return Outcome(pending, problem=problem, error=failure.error, description=failure.description)
    if isinstance(failure, SetupFailed):
        problem = AccountSetupFailed(
            f"{network} granted access, but the account could not be set up: {failure}. "
            f"Nothing was connected. {START_AGAIN}",
            headers=NO_STORE,
            extra={"network": network, "error": SETUP_ERROR},
        )
        return Outcome(pending, problem=problem, error=SETUP_ERROR, description=str(failure))
    failure.headers.update(NO_STORE)
    return Outcome(pending, problem=failure, error=failure.code, description=failure.detail)


async def complete_authorization(
    services: Services,
    *,
    oauth_state: str | None,
    code: str | None,
    error: str | None,
    error_description: str | None,
    request_id: str | None,
) -> Outcome:
    """What the network's redirect leads to: the account connected, or the problem that stopped it.

    A 400 problem is raised when the state is missing, unknown, expired or already used (nothing is
    changed), and a 503 when the network's connector or OAuth client is no longer configured. Otherwise the
    authorization is used up, and the outcome recorded in the audit log in the same transaction.
    """
    database = services.database
    pending = await _find(database, oauth_state)
    now = utcnow()
    problem = _state_problem(pending, now)
    if problem is not None:
        raise problem
    assert pending is not None
    actor = Actor(label=f"oauth:{pending.network}", api_key_id=pending.api_key_id, request_id=request_id)
    network = pending.network
    if error is not None or not code:
        return await _declined(database, pending, actor, now, error, error_description)

    granted = await _granted_credentials(services, pending, code)
    failure: flow.TokenRequestFailed | SetupFailed | QuotaExceeded | None = None
    account_id: uuid.UUID | None = None
    # The outcome and the used mark, in one transaction: a replayed callback finds the state used.
    async with database.tenant_session(pending.tenant_id) as session:
        row = await _claim(session, pending, now)
        if isinstance(granted, flow.TokenRequestFailed):
            failure = granted
            record(
                session,
                actor,
                "oauth.token_exchange_failed",
                row,
                changes={"network": network, "error": granted.error, "status": granted.status},
            )
        elif isinstance(granted, SetupFailed):
            failure = granted
            record(
                session,
                actor,
                "oauth.account_setup_failed",
                row,
                changes={"network": network, "error": granted.error_type},
            )
        else:
            encrypted = services.vault.encrypt(granted)
            try:
                account = await connect_account(
                    session, row, encrypted, actor, str(granted.get("scope")), services.quotas
                )
                account_id = account.id
            except QuotaExceeded as refused:
                failure = refused
                record(
                    session,
                    actor,
                    "oauth.quota_exceeded",
                    row,
                    changes={"network": network, "quota": refused.extra.get("quota")},
                )
    if failure is not None:
        return _failed(pending, failure)
    assert account_id is not None
    return Outcome(pending, account_id=account_id)
