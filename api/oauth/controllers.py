"""Connecting accounts through OAuth: start an authorization, then the network calls back.

`POST /v1/clients/{client_id}/oauth/authorizations` gives a link to the network's consent page.
The network sends the user's browser back to `GET /v1/oauth/callback` with a `code` and the `state`;
the callback carries no API key, so the state (looked up by its hash through a narrow system function)
is what names the tenant, the client and the account. The code is exchanged for a token, the connector
turns the token into the credentials it reads (`Connector.credentials_from_oauth`: a Page token, the
account's id on the network…), and the account is created (or reconnected) with them encrypted, in the
transaction that marks the state used.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlsplit

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect
from sqlalchemy import CursorResult, delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.accounts.service import connector_for, get_account, validate_credentials
from api.auth import Principal, require
from api.billing.quotas import UNTRACKED_STATUSES, QuotaExceeded, Quotas
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.connectors.egress import egress_policy
from api.errors import PROBLEM_MEDIA_TYPE, ApiError, Conflict, InvalidInput, Unavailable
from api.idempotency import IDEMPOTENCY_HEADER, idempotent
from api.oauth import flow
from api.oauth.models import OAuthState
from api.oauth.schemas import AuthorizationIn, AuthorizationOut, ConnectedOut
from plugins.sdk import AccountRef, Connector, ConnectorError
from tenants import system
from tenants.audit import Actor, record
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.ids import utcnow
from tenants.settings import Settings

logger = logging.getLogger("resonance.oauth")

START_AGAIN = "Start a new authorization with POST /v1/clients/{client_id}/oauth/authorizations."
KEEP_EXPIRED = timedelta(days=1)
"""Authorizations expired longer ago than this are deleted when the tenant starts a new one."""
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""The callback's answers hold account ids and follow a URL holding a code: never cached, never referred."""
SETUP_TIMEOUT_SECONDS = 60.0
"""Patience with a connector turning the token into credentials (its own calls to the network)."""
SETUP_MESSAGE_LIMIT = 1000
"""A connector's refusal says what to do (the Pages the user did grant…): kept longer than a network's."""
TOKEN_SECRETS = ("access_token", "refresh_token", "id_token")
"""The fields of a token response scrubbed from a connector's messages."""
SETUP_ERROR = "account_setup_failed"
"""The `error` sent to `redirect_after` when the connector could not turn the token into credentials."""


class StateUnknown(ApiError):
    status_code = 400
    code = "oauth_state_unknown"
    title = "Unknown authorization"


class StateExpired(ApiError):
    status_code = 400
    code = "oauth_state_expired"
    title = "Expired authorization"


class StateUsed(ApiError):
    status_code = 400
    code = "oauth_state_used"
    title = "Authorization already used"


class AuthorizationDenied(ApiError):
    status_code = 400
    code = "oauth_denied"
    title = "Authorization not granted"


class TokenExchangeFailed(ApiError):
    status_code = 502
    code = "oauth_token_error"
    title = "Token exchange failed"


class AccountSetupFailed(ApiError):
    status_code = 502
    code = "oauth_account_setup_failed"
    title = "Account setup failed"


class _SetupFailed(Exception):
    """The connector could not turn the token into credentials; the message is safe to show."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _target(connector: type[Connector], settings: Settings) -> flow.Endpoints:
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


def _without_url(body: Any) -> Any:
    """An authorization as kept for Idempotency-Key replays: its URL holds the state, which is never stored."""
    return {**body, "authorization_url": None} if isinstance(body, dict) else body


async def _reconnect_target(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, data: AuthorizationIn, network: str
) -> SocialAccount:
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


def _back_to(url: str, params: dict[str, str]) -> Response[Any]:
    """A 303 to the tenant's `redirect_after` page with the outcome in its query."""
    return Redirect(path=flow.with_query(url, params.items()), status_code=303, headers=NO_STORE)


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


async def _account_ref(database: Database, pending: OAuthState) -> AccountRef:
    """The account being connected, as its connector sees it: the one reconnected, else the handle asked for."""
    kind: Literal["owned", "competitor"] = "competitor" if pending.kind == "competitor" else "owned"
    if pending.account_id is not None:
        async with database.tenant_session(pending.tenant_id) as session:
            account = await session.get(SocialAccount, (pending.tenant_id, pending.account_id))
            if account is not None:
                return AccountRef(
                    handle=account.handle,
                    external_id=account.external_id,
                    kind=kind,
                    settings=dict(account.sync_settings),
                )
    return AccountRef(handle=pending.handle or "", kind=kind)


async def _credentials(
    connector: type[Connector],
    token: dict[str, Any],
    account: AccountRef,
    settings: Settings,
    secrets: list[str | None],
) -> dict[str, Any]:
    """What the connector makes of the token for `account`, checked against its schema, or `_SetupFailed`.

    The connector is built like the sync engine builds it: the operator's base URL override, and the
    operator's OAuth app (never stored). Its message is shown without any secret in play.
    """
    instance = connector(base_url=settings.base_url_overrides().get(connector.id), egress=egress_policy(settings))
    instance.oauth_client = flow.connector_client(connector, settings)
    network = connector.id
    try:
        async with asyncio.timeout(SETUP_TIMEOUT_SECONDS):
            credentials = await instance.credentials_from_oauth(token, account=account)
    except ConnectorError as refused:
        logger.warning("oauth: the %s connector refused the token: %s", network, type(refused).__name__)
        said = flow.scrub(str(refused), secrets, limit=SETUP_MESSAGE_LIMIT)
        raise _SetupFailed(said, type(refused).__name__) from None
    except TimeoutError:
        raise _SetupFailed(
            f"{network} did not answer the connector within {SETUP_TIMEOUT_SECONDS:g} s", "TimeoutError"
        ) from None
    except Exception as failed:  # a connector's bug must still use up the state and say something useful
        # The type only: an unexpected exception's message may quote a URL holding a token.
        logger.error("oauth: the %s connector failed to make credentials: %s", network, type(failed).__name__)
        raise _SetupFailed(
            f"the {network} connector failed unexpectedly ({type(failed).__name__})", type(failed).__name__
        ) from None
    if not isinstance(credentials, dict):
        raise _SetupFailed(f"the {network} connector returned no credentials object", "TypeError")
    try:
        validate_credentials(connector, credentials)
    except InvalidInput as invalid:
        raise _SetupFailed(
            f"the {network} connector made credentials its own schema refuses ({invalid.field})", "InvalidCredentials"
        ) from None
    return credentials


async def _connect(
    session: AsyncSession, pending: OAuthState, encrypted: str, actor: Actor, scope: str, quotas: Quotas
) -> SocialAccount:
    """Create the account, or reconnect the one named (or, after a race, the one now tracking the handle).

    A new account, or a paused one made active again, takes a tracked-account slot of the plan: `QuotaExceeded`
    (before anything is written) when there is none.
    """
    account: SocialAccount | None = None
    if pending.account_id is not None:
        account = await session.get(SocialAccount, (pending.tenant_id, pending.account_id))
    elif pending.handle is not None:
        account = (
            await session.scalars(
                select(SocialAccount).where(
                    SocialAccount.client_id == pending.client_id,
                    SocialAccount.network == pending.network,
                    SocialAccount.handle == pending.handle,
                )
            )
        ).first()
    now = utcnow()
    if account is None or account.status in UNTRACKED_STATUSES:
        await quotas.ensure_room(session, pending.tenant_id, "tracked_accounts")
    if account is not None:
        previous = account.status
        account.credentials_encrypted = encrypted
        account.status, account.status_reason = "active", None
        account.next_sync_at = None  # due now: the worker syncs it soon
        account.updated_at = now
        record(
            session,
            actor,
            "account.reconnected",
            account,
            changes={"credentials": "replaced", "via": "oauth", "scope": scope, "status": [previous, "active"]},
        )
        return account
    account = SocialAccount(
        client_id=pending.client_id,
        network=pending.network,
        handle=cast(str, pending.handle),
        kind=pending.kind,
        credentials_encrypted=encrypted,
    )
    session.add(account)
    await session.flush()
    record(
        session,
        actor,
        "account.created",
        account,
        changes={
            "network": account.network,
            "handle": account.handle,
            "kind": account.kind,
            "credentials": "set",
            "via": "oauth",
            "scope": scope,
        },
    )
    return account


class OAuthController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["accounts"]

    @post(
        "/v1/clients/{client_id:uuid}/oauth/authorizations",
        guards=[require("write")],
        status_code=201,
        summary="Connect an account with OAuth",
    )
    async def start_authorization(
        self,
        client_id: uuid.UUID,
        data: AuthorizationIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[AuthorizationOut]:
        """Start connecting a client's account (or reconnecting one, with `account_id`) through the network's OAuth.

        Send the user to `authorization_url` within ten minutes. After they consent, the network returns
        them to `GET /v1/oauth/callback`, which stores the account's tokens encrypted and then redirects to
        `redirect_after` (with `account_id` and `status=connected`). A 422 on `network` says when the
        connector has no OAuth flow or no OAuth client is configured (`RESONANCE_OAUTH_CLIENTS`). Replaying
        an `Idempotency-Key` returns the same authorization with a fresh link (the state is never stored,
        so the first link cannot be shown again; it stops working).
        """
        settings: Settings = state.settings
        vault: CredentialVault = state.vault
        made: list[OAuthState] = []

        async def create() -> Response[AuthorizationOut]:
            await get_client(session, principal, client_id)
            connector = connector_for(state.registry, data.network)
            target = _target(connector, settings)
            if data.redirect_after is not None and not urlsplit(data.redirect_after).hostname:
                raise InvalidInput(
                    "redirect_after must be an absolute http:// or https:// URL with a host.", field="redirect_after"
                )
            handle = data.handle
            takes_slot = data.account_id is None
            if data.account_id is not None:
                target_account = await _reconnect_target(session, principal, client_id, data, connector.id)
                handle, takes_slot = target_account.handle, target_account.status in UNTRACKED_STATUSES
            elif handle is None:
                raise InvalidInput(
                    "handle is required to connect a new account: give the account's handle on "
                    f"{connector.name}, or account_id to reconnect an account this client already tracks.",
                    field="handle",
                )
            else:
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
            if takes_slot:
                # Said now rather than after the user's consent; the callback checks again when it connects.
                await state.quotas.ensure_room(session, principal.tenant_id, "tracked_accounts")
            now = utcnow()
            await session.execute(
                delete(OAuthState)
                .where(col(OAuthState.expires_at) < now - KEEP_EXPIRED)
                .execution_options(synchronize_session=False)
            )
            state_hash, verifier, url = _issue(target, vault, settings)
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
            made.append(pending)
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
            out = AuthorizationOut(
                id=pending.id,
                authorization_url=url,
                state_expires_at=pending.expires_at,
                network=connector.id,
                redirect_uri=flow.redirect_uri(settings),
            )
            return Response(out, status_code=201)

        response = await idempotent(request, session, create, redact=_without_url)
        if made or not isinstance(response.content, dict):
            return response
        return await self._reissue(response, session, principal, state)

    async def _reissue(
        self, replayed: Response[Any], session: AsyncSession, principal: Principal, state: State
    ) -> Response[Any]:
        """An Idempotency-Key replay: the same authorization, with a new state (the first one was never stored)."""
        body = dict(replayed.content)
        pending = await session.get(OAuthState, (principal.tenant_id, uuid.UUID(str(body["id"]))))
        if pending is None or pending.used_at is not None or pending.expires_at <= utcnow():
            raise Conflict(
                f"The authorization made with this {IDEMPOTENCY_HEADER} was already completed or has expired; "
                f"start a new one with a new {IDEMPOTENCY_HEADER}.",
                field=IDEMPOTENCY_HEADER,
            )
        connector = connector_for(state.registry, pending.network)
        target = _target(connector, state.settings)
        pending.state_hash, pending.code_verifier_encrypted, body["authorization_url"] = _issue(
            target, state.vault, state.settings
        )
        replayed.content = body
        return replayed

    @get(flow.CALLBACK_PATH, exclude_from_auth=True, summary="OAuth callback", security=[])
    async def callback(
        self,
        state: State,
        request: Request[Any, Any, Any],
        code: str | None = Parameter(default=None, max_length=4096, description="The authorization code."),
        oauth_state: Annotated[
            str | None,
            QueryParameter(name="state", max_length=512, description="The state Resonance put in the link."),
        ] = None,
        error: str | None = Parameter(default=None, max_length=200, description="The network's OAuth error code."),
        error_description: str | None = Parameter(default=None, max_length=2000),
    ) -> Response[Any]:
        """Where the network sends the user back: exchanges the code and connects the account.

        Public (the network's redirect carries no API key): the `state` names the authorization, and
        through it the agency. It works once, within ten minutes; an unknown, expired or used state is
        a 400 problem. When the user declines (`error=access_denied`), the token endpoint refuses the
        code (a 502 problem naming the network and its OAuth error) or the connector cannot set the
        account up with the token (a 502 problem naming the network, e.g. when the user does not manage
        the Page), nothing is stored. On success: a 303 to the authorization's `redirect_after` with
        `account_id` and `status=connected`, or else a 200 with the account id.
        """
        database: Database = state.database
        settings: Settings = state.settings
        vault: CredentialVault = state.vault
        quotas: Quotas = state.quotas
        if not oauth_state:
            raise StateUnknown(
                "The callback has no state parameter: open the authorization_url Resonance gave you rather than "
                f"the network's page directly. {START_AGAIN}",
                field="state",
            )
        async with database.system_session() as session:
            found = await system.find_oauth_state(session, flow.hash_state(oauth_state))
        pending: OAuthState | None = None
        if found is not None:
            async with database.tenant_session(found[0]) as session:
                pending = await session.get(OAuthState, found)
        now = utcnow()
        problem = _state_problem(pending, now)
        if problem is not None:
            raise problem
        assert pending is not None
        actor = Actor(
            label=f"oauth:{pending.network}",
            api_key_id=pending.api_key_id,
            request_id=request.scope.get("state", {}).get("request_id"),
        )
        network = pending.network

        if error is not None or not code:
            said = " ".join((error_description or "").split())[:300]
            reason = error or "no_code"
            async with database.tenant_session(pending.tenant_id) as session:
                row = await _claim(session, pending, now)
                record(session, actor, "oauth.authorization_denied", row, changes={"network": network, "error": reason})
            if pending.redirect_after:
                return _back_to(pending.redirect_after, self._failure_params(pending, reason, said))
            if error is None:
                raise AuthorizationDenied(
                    f"{network} sent the user back without an authorization code or an error. {START_AGAIN}",
                    field="code",
                    headers=NO_STORE,
                )
            raise AuthorizationDenied(
                f"{network} did not authorize the connection ({error}"
                + (f": {said}" if said else "")
                + f"). Nothing was connected. {START_AGAIN}",
                field="error",
                headers=NO_STORE,
                extra={"network": network, "oauth_error": error},
            )

        registry = state.registry
        connector = registry.connector(network)
        try:
            if connector is None:
                raise flow.NotConfigured(f"no installed connector provides network {network!r} any more")
            target = flow.endpoints(connector, settings)
        except flow.NotConfigured as why:
            raise Unavailable(f"{network} accounts cannot be connected right now: {why}", headers=NO_STORE) from None
        verifier = vault.decrypt(pending.code_verifier_encrypted).get("code_verifier")
        failure: flow.TokenRequestFailed | None = None
        setup_failure: _SetupFailed | None = None
        over_quota: QuotaExceeded | None = None
        credentials: dict[str, Any] = {}
        account_id: uuid.UUID | None = None
        try:
            token = await flow.exchange_code(
                target,
                code=code,
                redirect_to=flow.redirect_uri(settings),
                verifier=verifier if isinstance(verifier, str) else None,
            )
        except flow.TokenRequestFailed as refused:
            failure = refused
        else:
            in_token = [token.get(name) for name in TOKEN_SECRETS]
            secrets = [code, target.client.client_secret, *(value for value in in_token if isinstance(value, str))]
            try:
                account_ref = await _account_ref(database, pending)
                credentials = await _credentials(connector, token, account_ref, settings, secrets)
            except _SetupFailed as failed:
                setup_failure = failed

        # The outcome and the used mark, in one transaction: a replayed callback finds the state used.
        async with database.tenant_session(pending.tenant_id) as session:
            row = await _claim(session, pending, now)
            if failure is not None:
                record(
                    session,
                    actor,
                    "oauth.token_exchange_failed",
                    row,
                    changes={"network": network, "error": failure.error, "status": failure.status},
                )
            elif setup_failure is not None:
                record(
                    session,
                    actor,
                    "oauth.account_setup_failed",
                    row,
                    changes={"network": network, "error": setup_failure.error_type},
                )
            else:
                encrypted = vault.encrypt(credentials)
                try:
                    account = await _connect(session, row, encrypted, actor, str(credentials.get("scope")), quotas)
                    account_id = account.id
                except QuotaExceeded as refused:
                    over_quota = refused
                    record(
                        session,
                        actor,
                        "oauth.quota_exceeded",
                        row,
                        changes={"network": network, "quota": refused.extra.get("quota")},
                    )

        if failure is not None:
            if pending.redirect_after:
                return _back_to(
                    pending.redirect_after, self._failure_params(pending, failure.error, failure.description)
                )
            raise TokenExchangeFailed(
                f"{network} refused to exchange the authorization code ({failure.error}"
                + (f": {failure.description}" if failure.description else "")
                + f"). Nothing was connected. {START_AGAIN} If it keeps failing, check the {network} client "
                "in RESONANCE_OAUTH_CLIENTS and the redirect URI registered with the network.",
                headers=NO_STORE,
                extra={"network": network, "oauth_error": failure.error},
            )
        if setup_failure is not None:
            if pending.redirect_after:
                return _back_to(pending.redirect_after, self._failure_params(pending, SETUP_ERROR, str(setup_failure)))
            raise AccountSetupFailed(
                f"{network} granted access, but the account could not be set up: {setup_failure}. "
                f"Nothing was connected. {START_AGAIN}",
                headers=NO_STORE,
                extra={"network": network, "error": SETUP_ERROR},
            )
        if over_quota is not None:
            if pending.redirect_after:
                return _back_to(
                    pending.redirect_after, self._failure_params(pending, over_quota.code, over_quota.detail)
                )
            over_quota.headers.update(NO_STORE)
            raise over_quota
        assert account_id is not None
        wake = BackgroundTask(state.sync_worker.wake)  # after commit: sync it soon
        if pending.redirect_after:
            response = _back_to(pending.redirect_after, {"account_id": str(account_id), "status": "connected"})
            response.background = wake
            return response
        return Response(
            ConnectedOut(account_id=account_id, network=network, status="connected"),
            status_code=200,
            headers=NO_STORE,
            background=wake,
        )

    @staticmethod
    def _failure_params(pending: OAuthState, error: str, description: str) -> dict[str, str]:
        params = {"status": "error", "error": error}
        if description:
            params["error_description"] = description
        if pending.account_id is not None:
            params = {"account_id": str(pending.account_id), **params}
        return params


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
    )


def document_callback(app: Litestar) -> None:
    """The callback in the OpenAPI document: public, answering 303, 400 and 502 rather than key errors."""
    item = (app.openapi_schema.paths or {}).get(flow.CALLBACK_PATH)
    operation = item.get if item is not None else None
    if operation is None:
        return
    operation.security = []
    responses = {status: value for status, value in (operation.responses or {}).items() if status[0] not in "45"}
    responses["303"] = OpenAPIResponse(
        description="To the authorization's redirect_after, with account_id and status (connected or error)."
    )
    responses["400"] = _problem("The state is missing, unknown, expired or already used, or the user declined.")
    responses["422"] = _problem("A query parameter is too long.")
    responses["502"] = _problem(
        "The network's token endpoint refused the code or could not be reached, or the connector could not set "
        "the account up with the token."
    )
    responses["503"] = _problem("The network's connector or OAuth client is no longer configured.")
    operation.responses = responses
