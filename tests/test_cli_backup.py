"""`resonance backup` and `resonance restore`: a backup brings back every agency's data as it was, with row-level
security still in force on PostgreSQL; a newer or foreign backup, or a database at another revision, is refused
with a sentence and nothing changes."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from tests.api.conftest import create_client
from tests.conftest import BACKENDS, POSTGRES_ENV, Agency, TestDatabase, make_settings, sign_up

runner = CliRunner()


def _said(output: str) -> str:
    return " ".join(output.split())


def _use(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", database.url)
    monkeypatch.setenv("RESONANCE_MIGRATION_DATABASE_URL", database.owner_url)
    monkeypatch.delenv("RESONANCE_ENV", raising=False)


def _names(client: TestClient[Litestar], agency: Agency) -> list[str]:
    response = client.get("/v1/clients", headers=agency.headers)
    assert response.status_code == 200, response.text
    return sorted(row["name"] for row in response.json()["data"])


@pytest.fixture(params=BACKENDS)
def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """An empty database with no schema at all (a fresh file, or a database just made with CREATE DATABASE)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        yield TestDatabase(backend="sqlite", url=url, owner_url=url, reset=lambda: None)
        return
    admin_url = make_url(os.environ[POSTGRES_ENV])
    name = f"resonance_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    owner_url = admin_url.set(database=name).render_as_string(hide_password=False)
    app_url = (
        make_url(owner_url).set(username="resonance_test_app", password=None).render_as_string(hide_password=False)
    )
    yield TestDatabase(backend="postgres", url=app_url, owner_url=owner_url, reset=lambda: None)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_into_a_new_database_brings_everything_back(
    scratch: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(scratch, monkeypatch)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    with TestClient(create_app(make_settings(scratch))) as client:
        alpha, beta = sign_up(client, "Agency Alpha"), sign_up(client, "Agency Beta")
        for name in ("Maison Durand", "Atelier Roux"):
            create_client(client, alpha, name=name)
        theirs = create_client(client, beta, name="Beta Client")
    file = tmp_path / "resonance.backup"

    made = runner.invoke(app, ["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert f"backed up the database into {file}" in _said(made.output)
    assert file.stat().st_size > 0
    assert not file.with_name(file.name + ".partial").exists()

    with TestClient(create_app(make_settings(scratch))) as client:  # what happens after the backup is undone
        durand = next(row for row in client.get("/v1/clients", headers=alpha.headers).json()["data"])
        assert client.delete(f"/v1/clients/{durand['id']}", headers=alpha.headers).status_code == 204
        create_client(client, alpha, name="Made after the backup")

    restored = runner.invoke(app, ["restore", str(file), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "the database is up to date" in _said(restored.output)

    with TestClient(create_app(make_settings(scratch))) as client:
        assert _names(client, alpha) == ["Atelier Roux", "Maison Durand"]
        assert _names(client, beta) == ["Beta Client"]
        assert client.get(f"/v1/clients/{theirs['id']}", headers=alpha.headers).status_code == 404


def test_restore_asks_first_and_a_no_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)
    monkeypatch.delenv("RESONANCE_MIGRATION_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["backup", str(tmp_path / "b.db")]).exit_code == 0

    refused = runner.invoke(app, ["restore", str(tmp_path / "b.db")], input="n\n")

    assert refused.exit_code == 1
    assert "nothing was restored." in _said(refused.output)


def test_what_is_not_a_backup_is_refused_with_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)
    monkeypatch.delenv("RESONANCE_MIGRATION_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    newer = tmp_path / "newer.db"
    assert runner.invoke(app, ["backup", str(newer)]).exit_code == 0
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    connection.close()

    missing = runner.invoke(app, ["restore", str(tmp_path / "nope.backup"), "--yes"])
    foreign = runner.invoke(app, ["restore", str(text_file), "--yes"])
    future = runner.invoke(app, ["restore", str(newer), "--yes"])
    to_directory = runner.invoke(app, ["backup", str(tmp_path)])

    assert missing.exit_code == foreign.exit_code == future.exit_code == to_directory.exit_code == 1
    assert f"there is no backup file {tmp_path / 'nope.backup'}." in _said(missing.output)
    assert "is not a Resonance backup" in _said(foreign.output)
    assert "was made by a newer Resonance (schema revision from_the_future)" in _said(future.output)
    assert "is a directory; give the backup file's name" in _said(to_directory.output)
    assert "Traceback" not in missing.output + foreign.output + future.output + to_directory.output
    with sqlite3.connect(tmp_path / "live.db") as connection:  # the live database is untouched
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() != ("from_the_future",)
    connection.close()


# The PostgreSQL-only tests exist only where PostgreSQL is configured (as in CI), rather than as skips elsewhere.
if POSTGRES_ENV in os.environ:
    POSTGRES_ONLY = pytest.mark.parametrize(("database", "scratch"), [("postgres", "postgres")], indirect=True)

    @POSTGRES_ONLY
    def test_a_postgres_backup_restores_into_an_empty_database_with_row_level_security(
        database: TestDatabase, scratch: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with TestClient(create_app(make_settings(database))) as client:
            alpha, beta = sign_up(client, "Agency Alpha"), sign_up(client, "Agency Beta")
            create_client(client, alpha, name="Maison Durand")
            theirs = create_client(client, beta, name="Beta Client")
        file = tmp_path / "resonance.backup"
        _use(database, monkeypatch)
        assert runner.invoke(app, ["backup", str(file)]).exit_code == 0

        _use(scratch, monkeypatch)  # nothing in it, not even the schema
        restored = runner.invoke(app, ["restore", str(file), "--yes"])
        assert restored.exit_code == 0, restored.output

        with TestClient(create_app(make_settings(scratch))) as client:
            assert _names(client, alpha) == ["Maison Durand"]
            assert client.get(f"/v1/clients/{theirs['id']}", headers=alpha.headers).status_code == 404
        owner = create_engine(make_url(scratch.owner_url).set(drivername="postgresql+psycopg"))
        with owner.connect() as connection:
            forced = connection.execute(
                text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'clients'")
            ).scalar()
        owner.dispose()
        assert forced is True

    @POSTGRES_ONLY
    def test_a_postgres_database_at_another_revision_is_not_overwritten(
        database: TestDatabase, scratch: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _use(database, monkeypatch)
        file = tmp_path / "resonance.backup"
        assert runner.invoke(app, ["backup", str(file)]).exit_code == 0
        owner = create_engine(make_url(database.owner_url).set(drivername="postgresql+psycopg"))
        with owner.begin() as connection:
            head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        try:
            refused = runner.invoke(app, ["restore", str(file), "--yes"])
        finally:
            with owner.begin() as connection:
                connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            owner.dispose()

        assert refused.exit_code == 1
        assert f"the database is at schema revision 0001 and the backup at {head}" in _said(refused.output)
