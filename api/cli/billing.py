"""`resonance billing report`, `retry-rejected` and `reconcile`: usage sent to Stripe, and checked against it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from api.cli.output import CliError, err, fail, out, release, run, settings_or_fail

billing_app = typer.Typer(help="Report usage to Stripe and reconcile it.", no_args_is_help=True)


LOCAL_MODE = (
    "billing runs in local mode (RESONANCE_STRIPE_API_KEY is not set): usage stays in the ledger "
    "and nothing is sent to Stripe."
)


@billing_app.command("report")
def billing_report() -> None:
    """Send the usage waiting in the ledger to Stripe now (one pass), as the background reporter does."""
    settings = settings_or_fail()
    if not settings.stripe_enabled:
        raise fail(LOCAL_MODE)

    async def main() -> Any:
        from api.app import build_services

        services = build_services(settings)
        try:
            with Progress(
                TextColumn("reporting usage to Stripe"),
                TextColumn("{task.completed} event(s)"),
                TimeElapsedColumn(),
                console=err,
            ) as progress:
                task = progress.add_task("report", total=None)
                return await services.usage_reporter.report_pending(
                    on_progress=lambda done: progress.update(task, completed=done)
                )
        finally:
            await release(services)

    summary = run(main)
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
    settings = settings_or_fail()
    if not settings.stripe_enabled:
        raise fail(LOCAL_MODE)
    tenant_id = _tenant_option(tenant)

    async def main() -> Any:
        from api.app import build_services

        services = build_services(settings)
        try:
            return await services.usage_reporter.retry_rejected(tenant_id)
        finally:
            await release(services)

    moved = run(main)
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

    from api.billing.periods import month_bounds
    from api.errors import ApiError

    settings = settings_or_fail()
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
        from api.billing.backend import billing_backend
        from api.billing.reconciliation import ReconciliationError, reconcile
        from tenants.database import Database

        backend = billing_backend(settings)
        database = Database(settings.database_url)
        try:
            return await reconcile(database, backend, start, end, tenant_id=tenant_id)
        except ReconciliationError as error:
            raise CliError(str(error)) from None
        finally:
            await database.dispose()
            await backend.close()

    with err.status(f"reading the ledger and Stripe's meter event summaries for {name}"):
        lines = run(main)
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
