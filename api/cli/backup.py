"""`resonance backup` and `resonance restore`: the whole database to one file and back (tenants/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import err, fail, out, settings_or_fail
from api.cli.server import migrate_or_fail
from tenants.backup import BackupError, create_backup, restore_backup


def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")],
) -> None:
    """Back up the whole database into FILE (SQLite's online backup, or pg_dump's custom format)."""
    settings = settings_or_fail()
    url = settings.migration_database_url or settings.database_url
    err.print(f"backing up the database into {file}…", highlight=False)
    try:
        made = create_backup(url, file)
    except BackupError as error:
        raise fail(str(error)) from None
    out.print(f"backed up the database into {made.path} ({made.size:,} bytes, schema revision {made.revision})")


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by 'resonance backup'.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the database's content with the backup FILE, then migrate it to this version. Stop the service first."""
    settings = settings_or_fail()
    url = settings.migration_database_url or settings.database_url
    if not yes and not typer.confirm(f"Replace everything in the database with {file}?", err=True):
        raise fail("nothing was restored.")
    err.print(f"restoring {file}…", highlight=False)
    try:
        restored = restore_backup(url, file)
    except BackupError as error:
        raise fail(str(error)) from None
    migrate_or_fail(settings)
    out.print(f"restored {restored.path} (schema revision {restored.revision}); the database is up to date")
