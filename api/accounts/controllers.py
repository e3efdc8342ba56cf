"""Social accounts of a client, and of its competitors."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.accounts.schemas import AccountIn, AccountOut, AccountPage, AccountPatch
from api.accounts.service import connector_for, get_account, validate_credentials
from api.auth import Principal, require
from api.billing.quotas import UNTRACKED_STATUSES
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.connectors.egress import check_account_hosts
from api.errors import Conflict, InvalidInput
from api.idempotency import idempotent
from api.pagination import PAGE, PageRequest, fetch_requested_page
from api.services import Services
from plugins.sdk import AccountRef, Connector
from tenants.audit import Actor, record
from tenants.credentials import CredentialVault
from tenants.ids import utcnow


def account_out(account: SocialAccount) -> AccountOut:
    """The API shape of an account (without credentials)."""
    return AccountOut(
        id=account.id,
        client_id=account.client_id,
        network=account.network,
        handle=account.handle,
        kind=account.kind,
        external_id=account.external_id,
        display_name=account.display_name,
        has_credentials=bool(account.credentials_encrypted),
        settings=dict(account.sync_settings),
        sync_enabled=account.sync_enabled,
        target_posts_per_week=account.target_posts_per_week,
        status=account.status,
        status_reason=account.status_reason,
        last_synced_at=account.last_synced_at,
        next_sync_at=account.next_sync_at,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


async def check_hosts(services: Services, connector: type[Connector], account: AccountRef) -> None:
    """A 422 naming the field when the account names a host (an instance, a PDS) connectors may not reach."""
    overridden = connector.id in services.settings.base_url_overrides()
    await check_account_hosts(connector, account, services.egress_policy, overridden=overridden)


class AccountController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["accounts"]

    @post(
        "/v1/clients/{client_id:uuid}/accounts", guards=[require("write")], status_code=201, summary="Track an account"
    )
    async def create_account(
        self,
        client_id: uuid.UUID,
        data: AccountIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[AccountOut]:
        """Add a client's (or a competitor's) account on a network; it is synced in the background.

        A 402 `quota_exceeded` when the plan's tracked accounts are all used (paused accounts do not count)."""

        async def create() -> Response[AccountOut]:
            await get_client(session, principal, client_id)
            connector = connector_for(services.registry, data.network)
            if data.kind == "competitor" and "public_data" not in connector.capabilities:
                raise InvalidInput(
                    f"the {connector.id} connector cannot read public data, so it cannot track a competitor; "
                    "track the competitor on a network whose connector can.",
                    field="kind",
                )
            validate_credentials(connector, data.credentials)
            await check_hosts(
                services,
                connector,
                AccountRef(
                    handle=data.handle,
                    external_id=data.external_id,
                    kind=data.kind,
                    credentials=data.credentials,
                    settings=data.settings,
                ),
            )
            duplicate = (
                await session.scalars(
                    select(SocialAccount).where(
                        SocialAccount.client_id == client_id,
                        SocialAccount.network == data.network,
                        SocialAccount.handle == data.handle,
                    )
                )
            ).first()
            if duplicate is not None:
                raise Conflict(
                    f"This client already tracks {data.handle!r} on {data.network} (account {duplicate.id}).",
                    field="handle",
                )
            await services.quotas.ensure_room(session, principal.tenant_id, "tracked_accounts")
            vault: CredentialVault = services.vault
            account = SocialAccount(
                client_id=client_id,
                network=data.network,
                handle=data.handle,
                kind=data.kind,
                external_id=data.external_id,
                display_name=data.display_name,
                credentials_encrypted=vault.encrypt(data.credentials) if data.credentials else None,
                sync_settings=data.settings,
                sync_enabled=data.sync_enabled,
                target_posts_per_week=data.target_posts_per_week,
            )
            session.add(account)
            await session.flush()
            record(
                session,
                actor,
                "account.created",
                account,
                changes={
                    "network": data.network,
                    "handle": data.handle,
                    "kind": data.kind,
                    "credentials": "set" if data.credentials else "none",
                },
            )
            return Response(account_out(account), status_code=201)

        response = await idempotent(request, session, create)
        response.background = BackgroundTask(services.background.kick)  # after commit: sync it soon
        return response

    @get(
        "/v1/clients/{client_id:uuid}/accounts",
        guards=[require("read")],
        summary="List a client's accounts",
        dependencies={"page": PAGE},
    )
    async def list_accounts(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        network: str | None = Parameter(default=None, description="Only accounts on this network."),
        kind: str | None = Parameter(default=None, description="owned or competitor."),
        *,  # the page parameters come last in the document, as before
        page: PageRequest,
    ) -> AccountPage:
        """The client's accounts, oldest first."""
        await get_client(session, principal, client_id)
        statement = select(SocialAccount).where(SocialAccount.client_id == client_id)
        if network:
            statement = statement.where(SocialAccount.network == network)
        if kind:
            statement = statement.where(SocialAccount.kind == kind)
        rows, next_cursor = await fetch_requested_page(session, statement, [col(SocialAccount.id)], page)
        return AccountPage(data=[account_out(row) for row in rows], next_cursor=next_cursor)

    @get("/v1/accounts/{account_id:uuid}", guards=[require("read")], summary="Get an account")
    async def get_one(self, account_id: uuid.UUID, session: AsyncSession, principal: Principal) -> AccountOut:
        """One account."""
        return account_out(await get_account(session, principal, account_id))

    @patch("/v1/accounts/{account_id:uuid}", guards=[require("write")], summary="Change an account")
    async def update_account(
        self,
        account_id: uuid.UUID,
        data: AccountPatch,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
    ) -> AccountOut:
        """Change the fields sent; new credentials replace the old ones and clear `needs_reauth`.

        Resuming a paused account (`status` active) takes a tracked-account slot of the plan again: a 402
        `quota_exceeded` when there is none."""
        account = await get_account(session, principal, account_id)
        changes = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
        if "credentials" in changes or "settings" in changes:
            await check_hosts(
                services,
                connector_for(services.registry, account.network),
                AccountRef(
                    handle=account.handle,
                    external_id=account.external_id,
                    kind="competitor" if account.kind == "competitor" else "owned",
                    credentials=changes.get("credentials", {}),
                    settings=changes.get("settings", dict(account.sync_settings)),
                ),
            )
        audit: dict[str, Any] = {}
        if "credentials" in changes:
            credentials = changes.pop("credentials")
            validate_credentials(connector_for(services.registry, account.network), credentials)
            account.credentials_encrypted = services.vault.encrypt(credentials) if credentials else None
            if account.status == "needs_reauth":
                account.status, account.status_reason = "active", None
            audit["credentials"] = "replaced"
        if "settings" in changes:
            account.sync_settings = changes.pop("settings")
            audit["settings"] = account.sync_settings
        if "status" in changes:
            if account.status in UNTRACKED_STATUSES and changes["status"] not in UNTRACKED_STATUSES:
                await services.quotas.ensure_room(session, principal.tenant_id, "tracked_accounts")
            account.status = changes.pop("status")
            account.status_reason = None
            audit["status"] = account.status
        for name, value in changes.items():
            setattr(account, name, value)
            audit[name] = value
        account.updated_at = utcnow()
        record(session, actor, "account.updated", account, changes=audit)
        return account_out(account)

    @delete("/v1/accounts/{account_id:uuid}", guards=[require("write")], summary="Stop tracking an account")
    async def delete_account(
        self, account_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor, services: Services
    ) -> Response[None]:
        """Delete the account with its metrics, posts, mentions and sync history."""
        account = await get_account(session, principal, account_id)
        record(
            session, actor, "account.deleted", account, changes={"network": account.network, "handle": account.handle}
        )
        await session.delete(account)
        # Cached reads (metrics, dashboards) of this tenant are dropped once the deletion has committed.
        return Response(None, status_code=204, background=BackgroundTask(services.data_changed, principal.tenant_id))
