"""The `resonance` command: serve, migrate, worker, demo, connectors, tenants and API keys.

Every failure the operator can fix is reported as one plain sentence on stderr with exit code 1;
no traceback reaches the terminal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import uuid
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import api.models  # noqa: F401  - every table must be known before any session is used
from api.connector_template import connector_new
from api.connectors.egress import egress_policy
from plugins.registry import load_registry
from plugins.sdk import AccountRef, ConnectorError, Window
from tenants.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(
    help="Resonance: what a company's presence on social networks is worth.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
connector_app = typer.Typer(help="Inspect and run connector plugins.", no_args_is_help=True)
tenant_app = typer.Typer(help="Manage agencies (tenants).", no_args_is_help=True)
api_key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
credentials_app = typer.Typer(help="Manage stored connector credentials.", no_args_is_help=True)
billing_app = typer.Typer(help="Report usage to Stripe and reconcile it.", no_args_is_help=True)
app.add_typer(connector_app, name="connector")
app.add_typer(tenant_app, name="tenant")
app.add_typer(api_key_app, name="api-key")
app.add_typer(credentials_app, name="credentials")
app.add_typer(billing_app, name="billing")

err = Console(stderr=True)
out = Console(soft_wrap=True)


class CliError(Exception):
    """A problem the operator can fix; its message is printed as is."""


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=1)


def _settings() -> Settings:
    try:
        settings = load_settings()
        settings.validate()
    except SettingsError as error:
        raise fail(str(error)) from None
    return settings


def _run(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(coroutine())
    except CliError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"could not reach the database or a file: {error.strerror or error}.") from None


def _migrate(settings: Settings) -> None:
    from sqlalchemy.exc import OperationalError

    from tenants.migrate import upgrade

    url = settings.migration_database_url or settings.database_url
    path = settings.sqlite_path()
    if path is not None and path.parent and not path.parent.exists():
        raise fail(f"the directory {path.parent} for the SQLite database does not exist; create it first.")
    try:
        upgrade(url)
    except OperationalError as error:
        raise fail(
            f"could not migrate the database: {str(error.orig).strip().splitlines()[0]}. "
            "Check RESONANCE_DATABASE_URL (or RESONANCE_MIGRATION_DATABASE_URL)."
        ) from None


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (run once per deploy, before the new servers start)."""
    settings = _settings()
    _migrate(settings)
    out.print("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.", min=1)] = 1,
) -> None:
    """Serve the API (and, unless RESONANCE_SCHEDULER=false, sync accounts in the background)."""
    settings = _settings()
    if settings.sqlite_path() is not None:
        _migrate(settings)  # embedded mode: the single process owns its database file
    _serve(settings, host, port, workers)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from api.observability import configure_logging

    configure_logging(settings.log_level)
    out.print(f"Resonance listening on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Syncs at once (default RESONANCE_SYNC_CONCURRENCY).")] = None,
    once: Annotated[bool, typer.Option(help="Run what is due now, then exit.")] = False,
) -> None:
    """Run syncs, send webhooks and report usage to Stripe without serving HTTP; start as many as you like."""
    settings = _settings()

    async def main() -> None:
        from api.app import build_state
        from api.observability import configure_logging

        configure_logging(settings.log_level)
        state = build_state(settings)
        sync_worker = state.sync_worker
        if concurrency:
            sync_worker.concurrency = concurrency
            sync_worker._slots = asyncio.Semaphore(concurrency)
        webhook_worker = state.webhook_worker
        reporter = state.usage_reporter  # None in local mode
        try:
            if once:
                ran = await sync_worker.run_pending()
                sent = await webhook_worker.deliver_due()
                reported = (await reporter.report_pending()).attempted if reporter is not None else 0
                out.print(
                    f"ran {ran} sync(s), attempted {sent} webhook delivery(ies), reported {reported} usage event(s)"
                )
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            loops = [sync_worker.run_forever(stop), webhook_worker.run_forever(stop)]
            if reporter is not None:
                loops.append(reporter.run_forever(stop))
            await asyncio.gather(*loops)
        finally:
            await _release(state)

    _run(main)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days of history to backfill.", min=1, max=730)] = 180,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed and backfill, then exit.")] = False,
) -> None:
    """Migrate, seed a demo agency (three clients, demo connector), backfill history, then serve."""
    settings = _settings()
    _migrate(settings)
    logging.getLogger("resonance").setLevel(logging.WARNING)

    async def seed() -> tuple[str, list[str], int, str]:
        from datetime import timedelta

        from api.app import build_state
        from api.demo import backfill, demo_needs, demo_plan, seed_analytics, seed_demo

        state = build_state(settings)
        try:
            interval = timedelta(minutes=settings.sync_interval_minutes)
            plan = demo_plan(state.plans, settings.default_plan, interval)
            if plan is None:
                needs = ", ".join(f"{quota} {used}" for quota, used in demo_needs(interval).items())
                raise CliError(f"no plan in RESONANCE_PLANS fits the demo agency ({needs}); add one that does.")
            agency = await seed_demo(state.database, plan=plan.id)
            with Progress(
                TextColumn("backfilling {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as progress:
                task = progress.add_task(f"{days} days", total=len(agency.account_ids))
                statuses = await backfill(
                    state.database, state.sync_engine, agency, days=days, on_account_done=lambda: progress.advance(task)
                )
            err.print("adding alert rules, objectives and a ROI ledger, and evaluating the alerts of the last 60 days")
            alerts = await seed_analytics(state.database, state.alert_evaluator, agency, days=days)
            return agency.api_key, statuses, alerts, plan.name
        finally:
            await _release(state)

    key, statuses, alerts, plan_name = _run(seed)
    failed = [status for status in statuses if status != "succeeded"]
    if failed:
        raise fail(f"{len(failed)} of {len(statuses)} demo syncs did not succeed; see the log above.")
    base = f"http://{host}:{port}"
    out.print(
        f"\nDemo agency ready: 3 clients, {len(statuses)} accounts, {days} days of history, {alerts} alerts open, "
        f"on the {plan_name} plan."
    )
    out.print(f"API key (shown once): [bold]{key}[/bold]\n")
    out.print("Try:")
    out.print(f"  export RESONANCE_KEY={key}")
    out.print(f'  curl -s {base}/v1/clients -H "Authorization: Bearer $RESONANCE_KEY"')
    out.print(
        f'  curl -s "{base}/v1/metrics?client_id=CLIENT_ID&metric=followers&granularity=week" '
        '-H "Authorization: Bearer $RESONANCE_KEY"'
    )
    out.print(
        f'  curl -s "{base}/v1/clients/CLIENT_ID/report?format=pdf" '
        '-H "Authorization: Bearer $RESONANCE_KEY" -o report.pdf'
    )
    out.print(f'  curl -s "{base}/v1/alerts?status=open" -H "Authorization: Bearer $RESONANCE_KEY"')
    out.print(f"  open {base}/docs\n")
    if not no_serve:
        _serve(settings, host, port, 1)


@connector_app.command("list")
def connector_list() -> None:
    """List installed connectors, and plugins that failed to load."""
    registry = load_registry()
    for connector_id in sorted(registry.connectors):
        connector = registry.connectors[connector_id]
        capabilities = ", ".join(sorted(connector.capabilities))
        out.print(
            f"{connector_id}\t{connector.name} {connector.version}\t{len(connector.metrics)} metrics\t"
            f"{capabilities}\t(plugin {registry.connector_plugins[connector_id]})",
            highlight=False,
        )
    for problem in registry.problems:
        err.print(f"[yellow]plugin {problem.plugin} failed:[/yellow] {problem.error}", highlight=False)


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2026-01-31, got {value!r}.") from None


connector_app.command("new")(connector_new)


@connector_app.command("run")
def connector_run(
    connector_id: Annotated[str, typer.Argument(metavar="CONNECTOR", help="Connector id, e.g. demo.")],
    account: Annotated[str, typer.Option(help="Account handle to fetch.")],
    since: Annotated[str, typer.Option(help="First day (YYYY-MM-DD).")],
    until: Annotated[str, typer.Option(help="Last day, included (YYYY-MM-DD).")],
    config: Annotated[Path | None, typer.Option(help="JSON file with credentials (and optional settings).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Call this API base URL instead of the network's.")] = None,
    kind: Annotated[str, typer.Option(help="owned or competitor.")] = "owned",
    external_id: Annotated[str | None, typer.Option(help="The account's id on the network, if known.")] = None,
) -> None:
    """Run one connector once and print its normalized records as JSON lines (for plugin authors)."""
    registry = load_registry()
    connector_class = registry.connector(connector_id)
    if connector_class is None:
        known = ", ".join(sorted(registry.connectors)) or "none"
        raise fail(f"no installed connector is called {connector_id!r}; installed: {known}.")
    window = Window(since=_parse_day(since, "--since"), until=_parse_day(until, "--until"))
    if window.since > window.until:
        raise fail("--since is after --until.")
    credentials: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    if config is not None:
        try:
            loaded = json.loads(config.read_text())
        except FileNotFoundError:
            raise fail(f"the config file {config} does not exist.") from None
        except json.JSONDecodeError as error:
            raise fail(f"the config file {config} is not valid JSON (line {error.lineno}: {error.msg}).") from None
        if not isinstance(loaded, dict):
            raise fail(f"the config file {config} must hold a JSON object.")
        credentials = loaded.get("credentials", {k: v for k, v in loaded.items() if k != "settings"})
        settings = loaded.get("settings", {})
    if kind not in {"owned", "competitor"}:
        raise fail("--kind must be owned or competitor.")
    reference = AccountRef(
        handle=account,
        external_id=external_id,
        kind="competitor" if kind == "competitor" else "owned",
        credentials=credentials,
        settings=settings,
    )

    try:
        egress = egress_policy(load_settings())
    except SettingsError as error:
        raise fail(str(error)) from None

    async def main() -> int:
        connector = connector_class(base_url=base_url, egress=egress)
        count = 0
        try:
            async for record in connector.fetch(reference, window, {}):
                payload = {"type": type(record).__name__, **msgspec.to_builtins(record)}
                sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
                count += 1
        except ConnectorError as error:
            raise CliError(
                f"connector {connector_id} failed after {count} records: {type(error).__name__}: {error}"
            ) from None
        return count

    count = _run(main)
    err.print(f"{count} records", highlight=False)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="The agency's name.")],
    email: Annotated[str, typer.Option(help="The owner's email.")],
) -> None:
    """Create an agency and print its first admin API key (shown once)."""
    settings = _settings()

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

    tenant_id, secret = _run(main)
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

    settings = _settings()
    try:
        plans = load_plans(settings)
    except SettingsError as error:
        raise fail(str(error)) from None
    if plan not in plans:
        raise fail(f"there is no plan {plan!r}; the plans are {', '.join(sorted(plans))}.")
    try:
        tenant_uuid = uuid.UUID(tenant_id)
    except ValueError:
        raise fail(f"TENANT_ID must be a tenant id (a UUID), got {tenant_id!r}.") from None

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

    previous, at_stripe = _run(main)
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

    settings = _settings()
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

    out.print(f"api key (shown once): {_run(main)}", highlight=False)


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

    settings = _settings()
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


async def _release(state: Any) -> None:
    """Close what `build_state` opened: the database's connections and the Stripe connection pools."""
    from api.billing.stripe_api import close_http_client

    await state.database.dispose()
    if state.stripe_http is not None:
        await close_http_client(state.stripe_http)


LOCAL_MODE = (
    "billing runs in local mode (RESONANCE_STRIPE_API_KEY is not set): usage stays in the ledger "
    "and nothing is sent to Stripe."
)


@billing_app.command("report")
def billing_report() -> None:
    """Send the usage waiting in the ledger to Stripe now (one pass), as the background reporter does."""
    settings = _settings()
    if not settings.stripe_enabled:
        raise fail(LOCAL_MODE)

    async def main() -> Any:
        from api.app import build_state

        state = build_state(settings)
        try:
            with Progress(
                TextColumn("reporting usage to Stripe"),
                TextColumn("{task.completed} event(s)"),
                TimeElapsedColumn(),
                console=err,
            ) as progress:
                task = progress.add_task("report", total=None)
                return await state.usage_reporter.report_pending(
                    on_progress=lambda done: progress.update(task, completed=done)
                )
        finally:
            await _release(state)

    summary = _run(main)
    out.print(
        f"sent {summary.sent} usage event(s) for {len(summary.tenants)} agency(ies) "
        f"({summary.duplicates} already counted by Stripe); {summary.retrying} to retry later, "
        f"{summary.too_old} too old for Stripe, {summary.rejected} rejected",
        highlight=False,
    )
    if summary.failed_tenants:
        raise fail(f"reporting failed for {len(summary.failed_tenants)} agency(ies); see the log above.")


@billing_app.command("retry-rejected")
def billing_retry_rejected(
    tenant: Annotated[str | None, typer.Option(help="Only this agency (its id).")] = None,
) -> None:
    """Send again the usage Stripe rejected, once its cause is fixed (a meter created, a customer restored).

    The rejected events are put back in line, due now, with their identifiers, so Stripe still counts each fact
    once; the next pass of the reporter (or `resonance billing report`) sends them.
    """
    settings = _settings()
    if not settings.stripe_enabled:
        raise fail(LOCAL_MODE)
    tenant_id = _tenant_option(tenant)

    async def main() -> Any:
        from api.app import build_state

        state = build_state(settings)
        try:
            return await state.usage_reporter.retry_rejected(tenant_id)
        finally:
            await _release(state)

    moved = _run(main)
    out.print(
        f"put {moved} rejected usage event(s) back in line; the reporter sends them at its next pass, "
        "or now with `resonance billing report`",
        highlight=False,
    )


def _tenant_option(tenant: str | None) -> uuid.UUID | None:
    """`--tenant` as an agency id, or a sentence saying what is wrong."""
    if tenant is None:
        return None
    try:
        return uuid.UUID(tenant)
    except ValueError:
        raise fail(f"--tenant must be an agency id (a UUID), got {tenant!r}.") from None


@billing_app.command("reconcile")
def billing_reconcile(
    period: Annotated[str | None, typer.Option(help="The month, YYYY-MM (default: this month, UTC).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this agency (its id).")] = None,
) -> None:
    """Compare each agency's ledger totals for a month with Stripe's meter event summaries.

    Exits with 1 when a total differs; the table shows how much of the difference is usage not sent yet,
    too old for Stripe or rejected by it (the `unexplained` column should be 0).
    """
    from datetime import UTC, datetime, time, timedelta

    from rich.table import Table

    from api.billing.controllers import month_bounds
    from api.errors import ApiError

    settings = _settings()
    if not settings.stripe_enabled:
        raise fail(LOCAL_MODE.replace("nothing is sent to Stripe.", "there is nothing to reconcile."))
    try:
        name, first, last = month_bounds(period)
    except ApiError:
        raise fail(f"--period must be a month like 2026-11, got {period!r}.") from None
    tenant_id = _tenant_option(tenant)
    start = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)

    async def main() -> Any:
        from api.billing.reconciliation import ReconciliationError, reconcile
        from api.billing.stripe_api import close_http_client, new_http_client, stripe_client
        from tenants.database import Database

        http = new_http_client()
        client = stripe_client(settings, http_client=http)
        assert client is not None
        database = Database(settings.database_url)
        try:
            return await reconcile(database, client, start, end, tenant_id=tenant_id)
        except ReconciliationError as error:
            raise CliError(str(error)) from None
        finally:
            await database.dispose()
            await close_http_client(http)

    with err.status(f"reading the ledger and Stripe's meter event summaries for {name}"):
        lines = _run(main)
    if tenant_id is not None and not lines:
        raise fail(f"agency {tenant_id} does not exist or has no Stripe customer, so nothing of it is reported.")
    table = Table(title=f"Usage {name}: ledger and Stripe")
    for column in ("agency", "customer", "meter", "ledger", "stripe", "not sent", "too old", "rejected", "unexplained"):
        table.add_column(column, justify="left" if column in {"agency", "customer", "meter"} else "right")
    for line in lines:
        table.add_row(
            line.tenant_name,
            line.customer,
            line.meter,
            str(line.local),
            "no meter" if line.stripe is None else f"{line.stripe:f}",
            str(line.pending),
            str(line.too_old),
            str(line.rejected),
            "" if line.unexplained is None else f"{line.unexplained:f}",
            style=None if line.matches else "red",
        )
    Console(width=max(out.width, 160)).print(table)  # ids and numbers are never cut, even when piped to a file
    differing = [line for line in lines if not line.matches]
    if not differing:
        out.print(f"Stripe's totals for {name} match the ledger for {len(lines)} agency-meter(s).")
        return
    unexplained = [line for line in differing if line.unexplained is None or line.unexplained != 0]
    if unexplained:
        reason = (
            f"{len(unexplained)} of them by more than the usage not sent, too old or rejected "
            "(a missing Stripe meter, or events counted twice or lost)"
        )
    else:
        reason = "all of it usage not sent yet, too old for Stripe or rejected by it (see the table)"
    raise fail(f"Stripe's totals for {name} differ from the ledger for {len(differing)} agency-meter(s): {reason}.")


def main() -> None:
    """Entry point of the `resonance` console script."""
    app()
