"""`resonance sentiment reanalyse`: relabel a client's mentions with today's analyser, explicitly
(api/sentiment/reanalysis.py)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.output import CliError, err, fail, id_or_fail, out, release, run, settings_or_fail
from tenants.audit import Actor

if TYPE_CHECKING:
    from api.sentiment.reanalysis import Reanalysis
    from tenants.settings import Settings

sentiment_app = typer.Typer(
    help="Sentiment: relabel a client's mentions after an analyser upgrade.", no_args_is_help=True
)


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--since must be a day like 2026-01-31, got {value!r}.") from None


def _tenant_of(settings: Settings, client_id: uuid.UUID) -> uuid.UUID:
    """The agency of a client, asked as the tables' owner (row-level security hides it from the app's role)."""
    from sqlalchemy import select

    from api.clients.models import Client
    from tenants.database import sync_engine

    engine = sync_engine(settings.migration_database_url or settings.database_url)
    try:
        with engine.connect() as connection:
            table = Client.__table__  # type: ignore[attr-defined]
            tenant_id = connection.execute(select(table.c.tenant_id).where(table.c.id == client_id)).scalar()
    except OSError as error:
        raise fail(f"could not reach the database: {error.strerror or error}.") from None
    finally:
        engine.dispose()
    if tenant_id is None:
        raise fail(
            f"there is no client {client_id}. If it exists, name its agency with --tenant, or set "
            "RESONANCE_MIGRATION_DATABASE_URL to the tables' owner so that it can be found."
        )
    return uuid.UUID(str(tenant_id))


def _provenance(name: str | None, version: str | None) -> str:
    return f"{name} {version}" if name else "an unrecorded analyser"


def _changes(run: Reanalysis) -> str:
    changed = sorted(
        ((count, old, new) for (old, new), count in run.changed.items() if count),
        key=lambda change: (-change[0], change[1] or "", change[2]),
    )
    total = sum(count for count, _old, _new in changed)
    if not total:
        return "no label changed"
    detail = ", ".join(f"{old or 'none'} → {new} {count:,}" for count, old, new in changed)
    return f"{total:,} label(s) changed ({detail})"


@sentiment_app.command("reanalyse")
def reanalyse(
    client: Annotated[str, typer.Option("--client", help="The client whose mentions to relabel (its id).")],
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="The client's agency; found from the client when absent.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only mentions published from this day (client's time zone), like 2026-01-31.")
    ] = None,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Also the mentions today's analyser labelled (after a change of the aspect catalogue)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Analyse and count what would change; write nothing.")
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10_000, help="Mentions per transaction.")] = 500,
) -> None:
    """Relabel the client's mentions that another analyser (or version) labelled, with the one configured now, and
    tag their aspects again. A person's correction is never replaced (with --all its aspects are tagged again).

    Labels are history: syncs and imports keep a mention's label until its text changes, so after an analyser
    upgrade old mentions keep their labels until this runs. Each batch is its own transaction; stopped midway,
    run it again to resume. Mentions changed by a sync meanwhile are left to it. Audited as `mentions.reanalysed`.
    """
    settings = settings_or_fail()
    client_uuid = id_or_fail(client, "--client", "a client id")
    first_day = _since(since)
    tenant_uuid = id_or_fail(tenant, "--tenant", "a tenant id") if tenant else _tenant_of(settings, client_uuid)

    async def main() -> Reanalysis:
        from api.app import build_services
        from api.sentiment.reanalysis import UnknownClient, reanalyse_client

        services = build_services(settings)
        try:
            with Progress(
                TextColumn("analysing" if dry_run else "relabelling"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as progress:
                task = progress.add_task("reanalyse", total=None)

                def started(state: Reanalysis) -> None:
                    progress.update(task, total=state.pending)
                    earlier = ", ".join(
                        f"{_provenance(name, version)}: {count:,}"
                        for (name, version), count in sorted(state.by_provenance.items(), key=lambda item: -item[1])
                    )
                    if state.pending:
                        err.print(
                            f"{state.pending:,} mention(s) to analyse with {state.current.analyzer} "
                            f"{state.current.version}; labelled until now by {earlier}",
                            highlight=False,
                        )

                try:
                    return await reanalyse_client(
                        services.database,
                        tenant_uuid,
                        client_uuid,
                        services.sync_engine.analyzer,
                        Actor(label="cli:sentiment reanalyse"),
                        since=first_day,
                        everything=everything,
                        dry_run=dry_run,
                        batch_size=batch_size,
                        on_start=started,
                        on_progress=lambda state: progress.update(task, completed=state.examined),
                    )
                except UnknownClient:
                    raise CliError(f"tenant {tenant_uuid} has no client {client_uuid}.") from None
        finally:
            await release(services)

    result = run(main)
    analyser = f"{result.current.analyzer} {result.current.version}"
    if not result.examined:
        out.print(
            f"every mention of client {client_uuid} in range is already labelled by {analyser} (or by a person); "
            "nothing to do.",
            highlight=False,
        )
    elif dry_run:
        persons = (
            f"; {result.persons:,} person's label(s) would keep their label and have their aspects re-tagged"
            if result.persons
            else ""
        )
        out.print(
            f"dry run: {result.examined - result.persons:,} mention(s) would be relabelled by {analyser}; "
            f"{_changes(result).replace('changed', 'would change', 1)}{persons}. Nothing was written.",
            highlight=False,
        )
    else:
        skipped = (
            f"; {result.skipped:,} changed meanwhile by a sync and left to it (run again to relabel them)"
            if result.skipped
            else ""
        )
        retagged = (
            f"; aspects re-tagged of {result.retagged:,} mention(s) labelled by a person (their label kept)"
            if result.retagged
            else ""
        )
        out.print(
            f"relabelled {result.relabelled:,} mention(s) of client {client_uuid} with {analyser}: "
            f"{_changes(result)}{retagged}{skipped}.",
            highlight=False,
        )
