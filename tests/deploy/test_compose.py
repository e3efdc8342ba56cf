"""deploy/compose.yaml is a valid Compose file in which every role is checked on the port it serves, restarts
as it should, and gets its secrets from files; read offline (no container engine runs here).

The Compose specification's own JSON schema is the one check-jsonschema vendors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ENV
from tests.deploy.chart import setting_names
from tests.docs.fences import ROOT

COMPOSE = ROOT / "deploy" / "compose.yaml"
APP_ROLE_SQL = ROOT / "deploy" / "app-role.sql"
ONE_OFF = {"migrate", "app-role"}
RESONANCE_ROLES = {"api": "serve", "worker": "worker", "scheduler": "scheduler", "migrate": "migrate"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # merge keys (<<) resolved
    return loaded


def services() -> dict[str, dict[str, Any]]:
    return dict(compose()["services"])


def test_the_file_follows_the_compose_specification() -> None:
    schema = json.loads(files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    problems = [f"{'.'.join(map(str, error.path))}: {error.message}" for error in validator.iter_errors(compose())]
    assert problems == []


def test_every_role_runs_from_the_one_image() -> None:
    for name, command in RESONANCE_ROLES.items():
        service = services()[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["command"][0] == command
    assert {"postgres", "redis", "app-role", *RESONANCE_ROLES} <= set(services())


@pytest.mark.parametrize(
    ("name", "port", "path"), [("api", 8000, "/ready"), ("worker", 9100, "/health"), ("scheduler", 9100, "/health")]
)
def test_each_role_is_checked_on_the_port_it_serves(name: str, port: int, path: str) -> None:
    check = services()[name]["healthcheck"]
    command = " ".join(check["test"])
    # The slim image has Python and no curl.
    assert check["test"][:2] == ["CMD", "python"]
    assert re.findall(r"http://127\.0\.0\.1:(\d+)(/\w+)", command) == [(str(port), path)]


def test_every_long_running_service_has_a_health_check_and_restarts() -> None:
    for name, service in services().items():
        if name in ONE_OFF:
            assert service["restart"] == "no", name
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name


def test_no_secret_is_in_the_file_or_a_command_line() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert "PASSWORD '" not in text, "a password written into SQL"
    for name, service in services().items():
        environment = service.get("environment", {})
        assert not {"RESONANCE_SECRET_KEY", "RESONANCE_DATABASE_URL", "PGPASSWORD"} & set(environment), name
        for word in [*service.get("entrypoint", []), *service.get("command", [])]:
            # Secrets are read from /run/secrets by the container's own shell or by psql: never interpolated.
            assert "${" not in word, f"{name}: {word}"
            assert not re.search(r"://[^:/]+:[^$@]+@", word), f"{name}: a password in {word}"
    declared = compose()["secrets"]
    assert all(set(secret) == {"file"} and secret["file"].startswith("./secrets/") for secret in declared.values())


def test_every_setting_compose_sets_is_one_resonance_reads() -> None:
    names = {name for service in services().values() for name in service.get("environment", {})}
    names |= set(re.findall(r"(RESONANCE_[A-Z0-9_]+)=", COMPOSE.read_text(encoding="utf-8")))
    names = {name for name in names if name.startswith("RESONANCE_")}
    assert sorted(names - setting_names()) == []


if POSTGRES_ENV in os.environ:

    def test_the_app_role_script_makes_a_login_bound_by_row_level_security(tmp_path: Path) -> None:
        """deploy/app-role.sql, as compose runs it: the password comes from a file, a second run rotates it."""
        admin = make_url(os.environ[POSTGRES_ENV])
        role = f"resonance_deploy_{uuid.uuid4().hex[:8]}"
        password_file = tmp_path / "api_db_password"
        engine = create_engine(admin.set(drivername="postgresql+psycopg"))

        def run_script(password: str) -> subprocess.CompletedProcess[str]:
            password_file.write_text(password + "\n", encoding="utf-8")
            command = ["psql", "-h", admin.host or "127.0.0.1", "-p", str(admin.port or 5432)]
            command += ["-U", admin.username or "postgres", "-d", admin.database or "postgres", "-X", "-q"]
            command += ["-v", f"role={role}", "-v", f"password_file={password_file}", "-f", str(APP_ROLE_SQL)]
            env = {**os.environ, "PGPASSWORD": admin.password or ""}
            return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, env=env)

        def stored_password() -> str:
            with engine.connect() as connection:
                row = connection.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role})
                return str(row.scalar_one())

        with engine.begin() as connection:  # what `resonance migrate` creates
            connection.execute(
                text(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'resonance_app') THEN "
                    "CREATE ROLE resonance_app NOLOGIN NOBYPASSRLS; END IF; END $$"
                )
            )
        try:
            first = run_script("first-password")
            assert first.returncode == 0, first.stderr
            with engine.connect() as connection:
                login, superuser, bypass, member = connection.execute(
                    text(
                        "SELECT rolcanlogin, rolsuper, rolbypassrls, pg_has_role(:r, 'resonance_app', 'member') "
                        "FROM pg_roles WHERE rolname = :r"
                    ),
                    {"r": role},
                ).one()
            assert (login, superuser, bypass, member) == (True, False, False, True)
            hashed = stored_password()
            assert hashed.startswith(("SCRAM-SHA-256$", "md5")), "stored hashed"
            assert "first-password" not in hashed
            again = run_script("second-password")
            assert again.returncode == 0, again.stderr
            assert stored_password() != hashed
        finally:
            with engine.begin() as connection:
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            engine.dispose()


@pytest.mark.parametrize(
    ("name", "login"), [("api", "resonance_api"), ("worker", "resonance_api"), ("migrate", "postgres")]
)
def test_the_entrypoint_reads_the_secrets_and_runs_the_role(name: str, login: str, tmp_path: Path) -> None:
    """The entrypoint as the container's shell runs it (after Compose turns `$$` into `$`), with the secret files
    in a folder of the test's and a stand-in `resonance` that prints what it was given."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for secret in ("postgres_password", "api_db_password", "resonance_secret_key"):
        (secrets / secret).write_text(f"{secret}-value\n", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "resonance"
    stand_in.write_text(
        '#!/bin/sh\necho "key=$RESONANCE_SECRET_KEY"\necho "url=$RESONANCE_DATABASE_URL"\necho "args=$*"\n',
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    service = services()[name]
    entrypoint = [word.replace("$$", "$").replace("/run/secrets/", f"{secrets}/") for word in service["entrypoint"]]
    result = subprocess.run(
        [*entrypoint, *service["command"]],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    password = "postgres_password-value" if login == "postgres" else "api_db_password-value"
    assert result.stdout.splitlines() == [
        "key=resonance_secret_key-value",
        f"url=postgresql://{login}:{password}@postgres/resonance",
        f"args={' '.join(service['command'])}",
    ]
