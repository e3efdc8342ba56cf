"""Turning a granted token into an account: the connector's credentials from it, then the account made or reconnected.

The connector turns the token into the credentials it reads (`Connector.credentials_from_oauth`: a Page token,
the account's id on the network…); the account is then created, or reconnected, with them encrypted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from api.accounts.models import SocialAccount
from api.accounts.service import validate_credentials
from api.billing.quotas import UNTRACKED_STATUSES, Quotas
from api.connectors.egress import egress_policy
from api.errors import InvalidInput
from api.oauth import flow
from api.oauth.models import OAuthState
from plugins.sdk import AccountRef, Connector, ConnectorError
from tenants.audit import Actor, record
from tenants.database import Database
from tenants.ids import utcnow
from tenants.settings import Settings

logger = logging.getLogger("resonance.oauth")

SETUP_TIMEOUT_SECONDS = 60.0
"""Patience with a connector turning the token into credentials (its own calls to the network)."""
SETUP_MESSAGE_LIMIT = 1000
"""A connector's refusal says what to do (the Pages the user did grant…): kept longer than a network's."""


class SetupFailed(Exception):
    """The connector could not turn the token into credentials; the message is safe to show."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


async def account_ref(database: Database, pending: OAuthState) -> AccountRef:
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


async def credentials_from_token(
    connector: type[Connector],
    token: dict[str, Any],
    account: AccountRef,
    settings: Settings,
    secrets: list[str | None],
) -> dict[str, Any]:
    """What the connector makes of the token for `account`, checked against its schema, or `SetupFailed`.

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
        raise SetupFailed(said, type(refused).__name__) from None
    except TimeoutError:
        raise SetupFailed(
            f"{network} did not answer the connector within {SETUP_TIMEOUT_SECONDS:g} s", "TimeoutError"
        ) from None
    except Exception as failed:  # a connector's bug must still use up the state and say something useful
        # The type only: an unexpected exception's message may quote a URL holding a token.
        logger.error("oauth: the %s connector failed to make credentials: %s", network, type(failed).__name__)
        raise SetupFailed(
            f"the {network} connector failed unexpectedly ({type(failed).__name__})", type(failed).__name__
        ) from None
    if not isinstance(credentials, dict):
        raise SetupFailed(f"the {network} connector returned no credentials object", "TypeError")
    try:
        validate_credentials(connector, credentials)
    except InvalidInput as invalid:
        raise SetupFailed(
            f"the {network} connector made credentials its own schema refuses ({invalid.field})", "InvalidCredentials"
        ) from None
    return credentials


async def connect_account(
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
