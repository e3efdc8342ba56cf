"""`resonance tenant`, `api-key` and `credentials`: agencies, their keys, and the encryption of their secrets."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from api.cli.output import CliError, err, fail, id_or_fail, out, run, settings_or_fail
from tenants.settings import SettingsError

if TYPE_CHECKING:
    from tenants.domains import TxtResolver

tenant_app = typer.Typer(help="Manage agencies (tenants).", no_args_is_help=True)
api_key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
credentials_app = typer.Typer(help="Manage stored connector credentials.", no_args_is_help=True)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="The agency's name.")],
    email: Annotated[str, typer.Option(help="The owner's email.")],
) -> None:
    """Create an agency and print its first admin API key (shown once)."""
    settings = settings_or_fail()

    async def main() -> tuple[str, str]:
        from tenants.audit import Actor
        from tenants.database import Database
        from tenants.signup import create_tenant

        database = Database(settings.database_url)
        try:
            tenant, _key, secret = await create_tenant(
                database, agency_name=name, email=email, actor=Actor(label="cli:tenant create")
            )
        finally:
            await database.dispose()
        return str(tenant.id), secret

    tenant_id, secret = run(main)
    out.print(f"tenant {tenant_id}\napi key (shown once): {secret}", highlight=False)


@tenant_app.command("plan")
def tenant_plan(
    tenant_id: Annotated[str, typer.Argument(help="The agency's id.")],
    plan: Annotated[str, typer.Argument(help="The plan's id (see RESONANCE_PLANS; built in: starter, agency, scale).")],
) -> None:
    """Put an agency on a plan: how plans change in local mode (without Stripe), audited.

    Running servers and workers apply the new quotas to new writes at once and show the plan at once; the
    cached standing each process keeps for the write guard and the rate limiter follows within 5 seconds.
    With Stripe, the subscription's next webhook sets the plan Stripe bills.
    """
    from api.billing.plans import load_plans

    settings = settings_or_fail()
    try:
        plans = load_plans(settings)
    except SettingsError as error:
        raise fail(str(error)) from None
    if plan not in plans:
        raise fail(f"there is no plan {plan!r}; the plans are {', '.join(sorted(plans))}.")
    tenant_uuid = _tenant_uuid(tenant_id)

    async def main() -> tuple[str | None, bool]:
        from api.billing.subscriptions import set_plan
        from tenants.audit import Actor, record
        from tenants.database import Database
        from tenants.models import Tenant

        database = Database(settings.database_url)
        try:
            async with database.tenant_session(tenant_uuid) as session:
                if await session.get(Tenant, tenant_uuid) is None:
                    raise CliError(f"there is no tenant {tenant_uuid}.")
                row, previous = await set_plan(session, tenant_uuid, plan)
                record(
                    session,
                    Actor(label="cli:tenant plan"),
                    "subscription.plan_set",
                    row,
                    changes={"plan": plan, "previous": previous},
                )
                return previous, row.stripe_subscription_id is not None
        finally:
            await database.dispose()

    previous, at_stripe = run(main)
    default = plans[settings.default_plan].name
    was = plans[previous].name if previous in plans else (previous or f"{default}, the default")
    out.print(f"tenant {tenant_uuid} is now on the {plans[plan].name} plan (was {was}).", highlight=False)
    if at_stripe:
        out.print("note: this agency has a Stripe subscription; its next webhook sets the plan Stripe bills.")


@api_key_app.command("create")
def api_key_create(
    tenant_id: Annotated[str, typer.Option(help="The agency's id.")],
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "cli key",
    scope: Annotated[list[str] | None, typer.Option(help="read, write, admin or webhooks (repeatable).")] = None,
) -> None:
    """Create an API key for an agency and print it (shown once)."""
    from tenants.models import SCOPES

    settings = settings_or_fail()
    scopes = scope or ["read", "write"]
    unknown = [item for item in scopes if item not in SCOPES]
    if unknown:
        raise fail(f"scope {unknown[0]!r} is not one of {', '.join(SCOPES)}.")
    try:
        tenant_uuid = uuid.UUID(tenant_id)
    except ValueError:
        raise fail(f"--tenant-id must be a tenant id (a UUID), got {tenant_id!r}.") from None

    async def main() -> str:
        from tenants.audit import Actor
        from tenants.database import Database
        from tenants.models import Tenant
        from tenants.signup import create_api_key

        database = Database(settings.database_url)
        try:
            async with database.tenant_session(tenant_uuid) as session:
                if await session.get(Tenant, tenant_uuid) is None:
                    raise CliError(f"there is no tenant {tenant_uuid}.")
                _key, secret = await create_api_key(
                    session, Actor(label="cli:api-key create"), name=name, scopes=scopes
                )
        finally:
            await database.dispose()
        return secret

    out.print(f"api key (shown once): {run(main)}", highlight=False)


@credentials_app.command("rotate")
def credentials_rotate() -> None:
    """Re-encrypt every account's credentials and webhook signing secret with the first key of RESONANCE_SECRET_KEY.

    Rotate by putting the new key first (`new,old`), running this, then dropping the old key.
    Runs as the tables' owner (RESONANCE_MIGRATION_DATABASE_URL, else RESONANCE_DATABASE_URL).
    """
    from api.accounts.rotation import rotate_credentials
    from api.webhooks.rotation import rotate_webhook_secrets
    from tenants.credentials import CredentialsError, CredentialVault
    from tenants.database import sync_engine

    settings = settings_or_fail()
    engine = sync_engine(settings.migration_database_url or settings.database_url)
    try:
        with Progress(
            TextColumn("re-encrypting credentials"),
            TextColumn("{task.completed} accounts"),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task("rotate", total=None)
            vault = CredentialVault(settings.secret_keys)
            count = rotate_credentials(engine, vault, on_progress=lambda done: progress.update(task, completed=done))
            endpoints = rotate_webhook_secrets(engine, vault, on_progress=lambda _done: None)
    except CredentialsError as error:
        raise fail(str(error)) from None
    finally:
        engine.dispose()
    out.print(
        f"re-encrypted the credentials of {count} account(s) and the signing secrets of {endpoints} "
        "webhook endpoint(s) with the newest key"
    )


domain_app = typer.Typer(
    help="Manage an agency's custom domains (its brand on its own host name).", no_args_is_help=True
)
tenant_app.add_typer(domain_app, name="domain")


def make_resolver() -> TxtResolver:
    """The DNS that `tenant domain verify` asks (tests replace this function with a fake DNS)."""
    from tenants.domains import DnsResolver

    return DnsResolver()


def _tenant_uuid(tenant_id: str) -> uuid.UUID:
    return id_or_fail(tenant_id, "TENANT_ID", "a tenant id")


@domain_app.command("add")
def domain_add(
    tenant_id: Annotated[str, typer.Argument(help="The agency's id.")],
    host: Annotated[str, typer.Argument(help="The host name, like portal.agency.example.")],
) -> None:
    """Claim a host name for an agency; once verified its sign-in page shows its brand and signs in its members only."""
    settings = settings_or_fail()
    tenant_uuid = _tenant_uuid(tenant_id)

    async def main() -> tuple[str, str, str]:
        from tenants.audit import Actor
        from tenants.database import Database
        from tenants.domains import DomainError, add_domain
        from tenants.models import Tenant

        database = Database(settings.database_url)
        try:
            async with database.tenant_session(tenant_uuid) as session:
                if await session.get(Tenant, tenant_uuid) is None:
                    raise CliError(f"there is no tenant {tenant_uuid}.")
                try:
                    domain = await add_domain(session, Actor(label="cli:tenant domain add"), tenant_uuid, host)
                except DomainError as error:
                    raise CliError(error.detail) from None
                return domain.host, domain.record_name, domain.record_value
        finally:
            await database.dispose()

    added, name, value = run(main)
    out.print(
        f"tenant {tenant_uuid} now has the domain {added}, unverified. Publish a DNS TXT record named {name} with the "
        f"value {value}, then run `resonance tenant domain verify {tenant_uuid} {added}`.",
        highlight=False,
    )


@domain_app.command("verify")
def domain_verify(
    tenant_id: Annotated[str, typer.Argument(help="The agency's id.")],
    host: Annotated[str, typer.Argument(help="The host name to verify.")],
) -> None:
    """Check the host's DNS TXT record and, when it holds the agency's token, map the host to the agency."""
    settings = settings_or_fail()
    tenant_uuid = _tenant_uuid(tenant_id)
    resolver = make_resolver()

    async def main() -> str:
        from tenants.audit import Actor
        from tenants.database import Database
        from tenants.domains import DomainError, verify_domain

        database = Database(settings.database_url)
        try:
            async with database.tenant_session(tenant_uuid) as session:
                try:
                    domain = await verify_domain(
                        session, Actor(label="cli:tenant domain verify"), tenant_uuid, host, resolver
                    )
                except DomainError as error:
                    raise CliError(error.detail) from None
                if domain is None:
                    raise CliError(f"tenant {tenant_uuid} has no domain {host}.")
                return domain.host
        finally:
            await database.dispose()

    out.print(
        f"tenant {tenant_uuid} has verified the domain {run(main)}: it now shows the agency's brand.", highlight=False
    )


@domain_app.command("list")
def domain_list(tenant_id: Annotated[str, typer.Argument(help="The agency's id.")]) -> None:
    """Print an agency's custom domains, one a line: verified, or the TXT record to publish."""
    settings = settings_or_fail()
    tenant_uuid = _tenant_uuid(tenant_id)

    async def main() -> list[str]:
        from tenants.database import Database
        from tenants.domains import list_domains
        from tenants.models import Tenant

        database = Database(settings.database_url)
        try:
            async with database.tenant_session(tenant_uuid) as session:
                if await session.get(Tenant, tenant_uuid) is None:
                    raise CliError(f"there is no tenant {tenant_uuid}.")
                return [
                    f"{row.host} verified"
                    if row.verified_at is not None
                    else f"{row.host} unverified: publish TXT {row.record_name} {row.record_value}"
                    for row in await list_domains(session)
                ]
        finally:
            await database.dispose()

    hosts = run(main)
    out.print("\n".join(hosts) if hosts else f"tenant {tenant_uuid} has no custom domain.", highlight=False)


@domain_app.command("remove")
def domain_remove(
    tenant_id: Annotated[str, typer.Argument(help="The agency's id.")],
    host: Annotated[str, typer.Argument(help="The host name to remove.")],
) -> None:
    """Stop mapping a host name to an agency."""
    settings = settings_or_fail()
    tenant_uuid = _tenant_uuid(tenant_id)

    async def main() -> None:
        from tenants.audit import Actor
        from tenants.database import Database
        from tenants.domains import remove_domain

        database = Database(settings.database_url)
        try:
            async with database.tenant_session(tenant_uuid) as session:
                if not await remove_domain(session, Actor(label="cli:tenant domain remove"), host):
                    raise CliError(f"tenant {tenant_uuid} has no domain {host}.")
        finally:
            await database.dispose()

    run(main)
    out.print(f"tenant {tenant_uuid} no longer has the domain {host}.", highlight=False)
