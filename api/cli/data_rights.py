"""`resonance tenant export` and `resonance tenant erase`: an agency's (or a client's) data as one archive, and
the agency erased (api/data_rights/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import CliError, err, fail, id_or_fail, out, release, run, settings_or_fail
from api.cli.tenancy import tenant_app
from tenants.audit import Actor


@tenant_app.command("export")
def tenant_export(
    tenant_id: Annotated[str, typer.Argument(help="The agency's id.")],
    file: Annotated[Path, typer.Argument(help="The ZIP archive to write.")],
    client: Annotated[str | None, typer.Option(help="Only this client of the agency (its id).")] = None,
) -> None:
    """Write everything stored for the agency (or one of its clients) into a ZIP archive: a JSON-lines file per
    table, the reports, and a manifest of what is in it and what is left out (secrets, sessions)."""
    settings = settings_or_fail()
    tenant_uuid = id_or_fail(tenant_id, "TENANT_ID", "a tenant id")
    client_uuid = id_or_fail(client, "--client", "a client id") if client else None
    if not file.parent.exists():
        raise fail(f"the directory {file.parent} does not exist; create it first.")

    async def main() -> dict[str, int]:
        from sqlmodel import col, select

        from api.app import build_services
        from api.clients.models import Client
        from api.data_rights.archive import write_archive
        from tenants.models import Tenant

        services = build_services(settings)
        try:
            async with services.database.tenant_session(tenant_uuid) as session:
                if await session.get(Tenant, tenant_uuid) is None:
                    raise CliError(f"there is no tenant {tenant_uuid}.")
                if (
                    client_uuid
                    and (await session.scalars(select(Client).where(col(Client.id) == client_uuid))).first() is None
                ):
                    raise CliError(f"tenant {tenant_uuid} has no client {client_uuid}.")
                err.print(f"exporting into {file}…", highlight=False)
                partial = file.with_name(file.name + ".partial")
                try:
                    with partial.open("wb") as target:
                        manifest = await write_archive(session, services, tenant_uuid, client_uuid, target)
                    partial.replace(file)
                finally:
                    partial.unlink(missing_ok=True)
                return manifest.tables
        finally:
            await release(services)

    tables = run(main)
    out.print(f"exported {sum(tables.values()):,} rows from {len(tables)} tables into {file}", highlight=False)


@tenant_app.command("erase")
def tenant_erase(
    tenant_id: Annotated[str, typer.Argument(help="The agency's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase the agency and everything stored for it (its Stripe customer first). This cannot be undone: export
    first to keep a copy."""
    settings = settings_or_fail()
    tenant_uuid = id_or_fail(tenant_id, "TENANT_ID", "a tenant id")
    if not yes and not typer.confirm(f"Erase tenant {tenant_uuid} and all its data for good?", err=True):
        raise fail("nothing was erased.")

    async def main() -> int:
        from api.app import build_services
        from api.data_rights.erasure import ErasureFailed, erase_agency

        services = build_services(settings)
        try:
            try:
                erased = await erase_agency(services, tenant_uuid, Actor(label="cli:tenant erase"))
            except ErasureFailed as error:
                raise CliError(f"{error} Nothing was erased.") from None
            if erased is None:
                raise CliError(f"there is no tenant {tenant_uuid}.")
            return erased.rows
        finally:
            await release(services)

    rows = run(main)
    out.print(f"erased tenant {tenant_uuid} ({rows:,} rows).", highlight=False)
