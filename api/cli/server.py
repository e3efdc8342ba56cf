"""`resonance migrate`, `serve`, `worker`, `scheduler` and `demo`: the service's processes."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
from collections.abc import AsyncIterator
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.output import CliError, err, fail, out, release, run, settings_or_fail
from api.demo import DEMO_CLIENTS, DEMO_OWNER, DEMO_VIEWER
from tenants.settings import Settings


def migrate_or_fail(settings: Settings) -> None:
    """Bring the schema up to date, or fail with a sentence naming the setting to check."""
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


def migrate() -> None:
    """Bring the database schema up to date (run once per deploy, before the new servers start)."""
    settings = settings_or_fail()
    migrate_or_fail(settings)
    out.print("database is up to date")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.", min=1)] = 1,
) -> None:
    """Serve the API (and, unless RESONANCE_SCHEDULER=false, sync accounts in the background)."""
    settings = settings_or_fail()
    ensure_port_free(host, port)
    if settings.sqlite_path() is not None:
        migrate_or_fail(settings)  # embedded mode: the single process owns its database file
    _serve(settings, host, port, workers)


def ensure_port_free(host: str, port: int) -> None:
    """Fail with a sentence when nothing could listen on `host:port` (another server has it, or it is not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing socket is no obstacle
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise fail(
                    f"port {port} on {host} is already in use (another Resonance, or another program); stop it or "
                    "pass --port with a free port."
                ) from None
            raise fail(f"cannot listen on {host}:{port}: {error.strerror or error}; check --host and --port.") from None


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from api.observability import configure_logging

    configure_logging(settings.log_level, settings.log_format)
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


def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs at once (default RESONANCE_SYNC_CONCURRENCY).")] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Only the jobs of this queue: sync, webhooks, billing, reports or schedule (repeatable)."),
    ] = None,
    once: Annotated[bool, typer.Option(help="Run what is due now, then exit.")] = False,
) -> None:
    """Run background jobs (syncs, webhooks, usage reporting to Stripe) without serving HTTP; start as many as you
    like."""
    settings = settings_or_fail()
    queues = _queues_or_fail(queue)

    async def main() -> None:
        from api.app import build_services
        from api.observability import configure_logging

        configure_logging(settings.log_level, settings.log_format)
        services = build_services(settings)
        background = services.background
        try:
            if once:
                ran = await services.sync_worker.run_pending()
                sent = await services.webhook_worker.deliver_due()
                reported = (await services.usage_reporter.report_pending()).attempted
                reports = background.reports
                rendered = [await reports.generate(*item) for item in await reports.claimable()]
                out.print(
                    f"ran {ran} sync(s), attempted {sent} webhook delivery(ies), reported {reported} usage event(s), "
                    f"rendered {sum(1 for status in rendered if status)} report(s)"
                )
                return
            stop = _stop_on_signals()
            # Every worker also queues the periodic jobs when due: each tick is queued once, whatever their number.
            async with _observed(settings, stop):
                await background.run(stop, queues=queues, concurrency=concurrency or settings.sync_concurrency)
        finally:
            await release(services)

    run(main)


def scheduler() -> None:
    """Queue the periodic jobs when due (scheduled syncs, retries, usage reporting) and run the dispatch jobs; run
    one or several (each tick is queued once whatever their number)."""
    settings = settings_or_fail()

    async def main() -> None:
        from api.app import build_services
        from api.observability import configure_logging

        configure_logging(settings.log_level, settings.log_format)
        services = build_services(settings)
        try:
            stop = _stop_on_signals()
            async with _observed(settings, stop):
                await services.background.run(stop, queues=["schedule"], concurrency=1)
        finally:
            await release(services)

    run(main)


@contextlib.asynccontextmanager
async def _observed(settings: Settings, stop: asyncio.Event) -> AsyncIterator[None]:
    """A job process's `/metrics` and `/health` on `RESONANCE_METRICS_PORT` (503 once it stops taking jobs), and
    its traces."""
    from api.observability import configure_tracing, flush_tracing, metrics_endpoint_for

    configure_tracing(settings)
    try:
        async with metrics_endpoint_for(settings, ready=lambda: not stop.is_set()):
            yield
    finally:
        flush_tracing()


def _queues_or_fail(queues: list[str] | None) -> list[str] | None:
    from api.tasks.background import QUEUES

    for name in queues or ():
        if name not in QUEUES:
            raise fail(f"There is no queue {name!r}; choose among {', '.join(QUEUES)}.")
    return queues or None


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: the engine stops taking jobs and lets the running ones finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def demo(
    days: Annotated[int, typer.Option(help="Days of history to backfill.", min=1, max=730)] = 180,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed and backfill, then exit.")] = False,
) -> None:
    """Migrate, seed a demo agency (three clients, demo connector), backfill history, then serve."""
    settings = settings_or_fail()
    if not no_serve:
        ensure_port_free(host, port)  # before seeding, so a second run does not seed a second demo agency for nothing
    migrate_or_fail(settings)
    logging.getLogger("resonance").setLevel(logging.WARNING)

    async def seed() -> tuple[str, list[str], int, str, str, list[str]]:
        from datetime import timedelta

        from api.app import build_services
        from api.demo import backfill, demo_needs, demo_plan, seed_analytics, seed_demo

        services = build_services(settings)
        try:
            interval = timedelta(minutes=settings.sync_interval_minutes)
            plan = demo_plan(services.plans, settings.default_plan, interval)
            if plan is None:
                needs = ", ".join(f"{quota} {used}" for quota, used in demo_needs(interval).items())
                raise CliError(f"no plan in RESONANCE_PLANS fits the demo agency ({needs}); add one that does.")
            agency = await seed_demo(services.database, plan=plan.id)
            with Progress(
                TextColumn("backfilling {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as progress:
                task = progress.add_task(f"{days} days", total=len(agency.account_ids))
                statuses = await backfill(
                    services.database,
                    services.sync_engine,
                    agency,
                    days=days,
                    on_account_done=lambda: progress.advance(task),
                )
            err.print("adding alert rules, objectives and a ROI ledger, and evaluating the alerts of the last 60 days")
            alerts = await seed_analytics(services.database, services.alert_evaluator, agency, days=days)
            clients = [str(client_id) for client_id in agency.client_ids]
            return agency.api_key, statuses, alerts, plan.name, agency.portal_password, clients
        finally:
            await release(services)

    key, statuses, alerts, plan_name, password, client_ids = run(seed)
    failed = [status for status in statuses if status != "succeeded"]
    if failed:
        raise fail(f"{len(failed)} of {len(statuses)} demo syncs did not succeed; see the log above.")
    base = f"http://{host}:{port}"
    out.print(
        f"\nDemo agency ready: 3 clients, {len(statuses)} accounts, {days} days of history, {alerts} alerts open, "
        f"on the {plan_name} plan."
    )
    out.print(f"API key (shown once): [bold]{key}[/bold]\n")
    first = client_ids[0]
    auth = '-H "Authorization: Bearer $RESONANCE_KEY"'
    out.print(f"Try, with {DEMO_CLIENTS[0].name} ({first}):")
    out.print(f"  export RESONANCE_KEY={key}")
    out.print(f"  curl -s {base}/v1/clients {auth}")
    out.print(f'  curl -s "{base}/v1/metrics?client_id={first}&metric=followers&granularity=week" {auth}')
    out.print(f'  curl -s "{base}/v1/clients/{first}/sentiment" {auth}')
    out.print(f'  curl -s "{base}/v1/clients/{first}/roi" {auth}')
    out.print(f'  curl -s "{base}/v1/clients/{first}/report?format=pdf" {auth} -o report.pdf')
    out.print(f'  curl -s "{base}/v1/alerts?status=open" {auth}')
    out.print(f"API documentation: {base}/docs\n")
    out.print(f"Portal: [bold]{base}/portal/[/bold] (password shown once: [bold]{password}[/bold])")
    out.print(f"  agency owner:  {DEMO_OWNER}")
    out.print(f"  client viewer: {DEMO_VIEWER} (sees {DEMO_CLIENTS[0].name} only)\n")
    if not no_serve:
        _serve(settings, host, port, 1)
