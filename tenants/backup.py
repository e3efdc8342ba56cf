"""Backups of the whole database, and their restore.

SQLite: SQLite's own online backup (`sqlite3.Connection.backup`), which copies a consistent snapshot even while the
service writes, unlike copying the file. PostgreSQL: `pg_dump --format=custom` and `pg_restore`, run as the
tables' owner (the migration connection: a superuser or a role with BYPASSRLS, since every tenant table forces
row-level security); the row-level security policies, the system functions and the grants to the app role are
part of the dump, the roles themselves are not (they belong to the cluster).

A backup is written to a temporary file beside the destination and renamed at the end, so a failed one leaves
nothing half written. A restore first reads the backup's schema revision: a backup made by a newer Resonance is
refused, an older one is migrated to this version's head after the restore (by the caller). On PostgreSQL the
restore runs in one transaction and replaces the objects of the dump; the database must be empty or at the
backup's revision, so that no table of a later revision is left beside the restored ones.

Credentials stay encrypted in a backup: keep `RESONANCE_SECRET_KEY` (and any previous keys) elsewhere, or the
restored credentials cannot be read.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from migrations.rls import APP_ROLE
from tenants.migrate import alembic_config


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    """A backup file and the schema revision it holds."""

    path: Path
    backend: str
    """`sqlite` or `postgresql`."""
    revision: str | None
    """The Alembic revision of the backed-up schema (None for an empty database)."""
    size: int


def create_backup(url: str, destination: Path) -> Backup:
    """Back up the database at `url` into the file `destination` (replaced if it exists)."""
    parsed = make_url(url)
    if destination.is_dir():
        raise BackupError(
            f"{destination} is a directory; give the backup file's name, like {destination}/resonance.backup."
        )
    if not destination.parent.exists():
        raise BackupError(f"the directory {destination.parent} does not exist; create it first.")
    partial = destination.with_name(destination.name + ".partial")
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(parsed), partial)
        else:
            _run(["pg_dump", "--format=custom", "--no-password", f"--file={partial}"], parsed, "back up")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return read_backup(destination)


def read_backup(source: Path) -> Backup:
    """What the backup file `source` holds, or a BackupError when it is not a backup."""
    if not source.is_file():
        raise BackupError(f"there is no backup file {source}.")
    with source.open("rb") as file:
        magic = file.read(16)
    if magic.startswith(b"SQLite format 3"):
        return Backup(source, "sqlite", _sqlite_revision(source), source.stat().st_size)
    if magic.startswith(b"PGDMP"):
        listing = _run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(source)], None, "read")
        found = re.search(r"^COPY public\.alembic_version .*? FROM stdin;\n(\S+)\n", listing, re.MULTILINE)
        return Backup(source, "postgresql", found.group(1) if found else None, source.stat().st_size)
    raise BackupError(f"{source} is not a Resonance backup (neither a SQLite database nor a pg_dump archive).")


def restore_backup(url: str, source: Path) -> Backup:
    """Replace the content of the database at `url` with the backup `source`; the caller then migrates it."""
    backup = read_backup(source)
    parsed = make_url(url)
    backend = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql"
    if backup.backend != backend:
        raise BackupError(f"{source} is a {backup.backend} backup; it cannot be restored into a {backend} database.")
    if backup.revision is not None and not _known(url, backup.revision):
        raise BackupError(
            f"{source} was made by a newer Resonance (schema revision {backup.revision}); restore it with that version."
        )
    if backend == "sqlite":
        _sqlite_restore(source, _sqlite_path(parsed))
    else:
        current = current_revision(url)
        if current is not None and current != backup.revision:
            raise BackupError(
                f"the database is at schema revision {current} and the backup at {backup.revision}: restore into an "
                "empty database (createdb) or one at the backup's revision, then run 'resonance migrate'."
            )
        _ensure_app_role(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--no-password",
                str(source),
            ],
            parsed,
            "restore",
            database_flag=True,
        )
    return backup


def current_revision(url: str) -> str | None:
    """The schema revision the database at `url` is at, or None when it has no Resonance tables."""
    engine = create_engine(_sync_url(make_url(url)))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _ensure_app_role(url: str) -> None:
    """The dump grants the tables to the app's group role, which lives in the cluster, not in the dump."""
    engine = create_engine(_sync_url(make_url(url)), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": APP_ROLE}).first():
                return
            connection.execute(text(f"CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS"))
    finally:
        engine.dispose()


def _known(url: str, revision: str) -> bool:
    scripts = ScriptDirectory.from_config(alembic_config(url))
    return any(script.revision == revision for script in scripts.walk_revisions())


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored; set RESONANCE_DATABASE_URL.")
    return Path(url.database)


def _sqlite_backup(path: Path, destination: Path) -> None:
    if not path.is_file():
        raise BackupError(f"there is no SQLite database at {path}; check RESONANCE_DATABASE_URL.")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"could not back up {path}: {error}.") from None
    finally:
        target.close()
        source.close()


def _sqlite_revision(path: Path) -> str | None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupError(f"{path} is damaged (SQLite's integrity check fails); use another backup.")
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is None:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a SQLite database: {error}.") from None
    finally:
        connection.close()


def _sqlite_restore(source: Path, path: Path) -> None:
    if not path.parent.exists():
        raise BackupError(f"the directory {path.parent} for the SQLite database does not exist; create it first.")
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(path, timeout=30)
    try:
        backup.backup(target)  # one step: the database is either as it was or the backup, never a mix
    except sqlite3.Error as error:
        raise BackupError(f"could not restore into {path}: {error} (stop the service first).") from None
    finally:
        target.close()
        backup.close()


def _sync_url(url: URL) -> URL:
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url.set(drivername="postgresql+psycopg")


def _libpq_environment(url: URL) -> Mapping[str, str]:
    """The connection as libpq's variables, so that the password never appears on a command line."""
    sslmode = url.query.get("sslmode")
    values = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
        "PGSSLMODE": sslmode if isinstance(sslmode, str) else None,
    }
    return {name: value for name, value in values.items() if value}


def _run(command: list[str], url: URL | None, what: str, *, database_flag: bool = False) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client programs (Debian: postgresql-client)."
        )
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    if url is not None:
        environment.update(_libpq_environment(url))
        if database_flag:  # pg_restore restores into --dbname only; without it, it prints SQL
            command = [*command[:-1], f"--dbname={url.database}", command[-1]]
    # A fixed program with arguments made here, and no shell.
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0].removeprefix(f"{command[0]}: ").removeprefix("error: ") if lines else "no reason given"
        raise BackupError(f"could not {what} the database: {reason}.")
    return done.stdout
