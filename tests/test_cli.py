"""The `resonance` command line, as an operator and a plugin author use it."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from tenants.settings import load_settings
from tests.portal.conftest import PortalMember, sign_in

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)
    monkeypatch.delenv("RESONANCE_ENV", raising=False)
    monkeypatch.delenv("RESONANCE_SECRET_KEY", raising=False)
    return url


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
    engine.dispose()
    return int(value)


def test_every_command_has_help() -> None:
    for command in (
        ["serve"],
        ["migrate"],
        ["worker"],
        ["demo"],
        ["connector", "list"],
        ["connector", "run"],
        ["tenant", "create"],
        ["api-key", "create"],
        ["credentials", "rotate"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output


def test_connector_list_shows_the_demo_connector() -> None:
    result = runner.invoke(app, ["connector", "list"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "Demo network" in result.output


def test_connector_run_prints_normalized_records_as_json_lines() -> None:
    result = runner.invoke(
        app, ["connector", "run", "demo", "--account", "acme", "--since", "2026-03-02", "--until", "2026-03-03"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    types = {line["type"] for line in lines}
    assert {"MetricPoint", "Checkpoint", "Mention"} <= types
    points = [line for line in lines if line["type"] == "MetricPoint"]
    assert {point["day"] for point in points} == {"2026-03-02", "2026-03-03"}
    assert all(point["native_metric"] and isinstance(point["value"], float) for point in points)


def test_connector_run_reads_credentials_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "demo.json"
    config.write_text(json.dumps({"credentials": {"api_token": "invalid"}}))
    result = runner.invoke(
        app,
        [
            "connector",
            "run",
            "demo",
            "--config",
            str(config),
            "--account",
            "acme",
            "--since",
            "2026-03-02",
            "--until",
            "2026-03-02",
        ],
    )
    assert result.exit_code == 1
    assert "AuthenticationError" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (
            ["connector", "run", "nope", "--account", "a", "--since", "2026-01-01", "--until", "2026-01-02"],
            "no installed connector is called 'nope'",
        ),
        (
            ["connector", "run", "demo", "--account", "a", "--since", "yesterday", "--until", "2026-01-02"],
            "--since must be a date like 2026-01-31",
        ),
        (
            ["connector", "run", "demo", "--account", "a", "--since", "2026-02-01", "--until", "2026-01-02"],
            "--since is after --until",
        ),
        (
            [
                "connector",
                "run",
                "demo",
                "--config",
                "/nonexistent/demo.json",
                "--account",
                "a",
                "--since",
                "2026-01-01",
                "--until",
                "2026-01-02",
            ],
            "does not exist",
        ),
    ],
)
def test_bad_input_is_one_plain_sentence(arguments: list[str], sentence: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert sentence in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_invalid_json_config_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text("{\n  'single quotes': 1\n}")
    result = runner.invoke(
        app,
        [
            "connector",
            "run",
            "demo",
            "--config",
            str(config),
            "--account",
            "a",
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-01",
        ],
    )
    assert result.exit_code == 1
    assert "is not valid JSON (line 2" in " ".join(result.output.split())


def test_production_without_a_secret_key_refuses_to_start(sqlite_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_ENV", "production")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert "RESONANCE_SECRET_KEY is not set" in " ".join(result.output.split())


def test_tenant_and_api_key_creation(sqlite_env: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    created = runner.invoke(app, ["tenant", "create", "--name", "Acme", "--email", "o@acme.example"])
    assert created.exit_code == 0, created.output
    tenant_id = created.output.split()[1]
    assert "rsn_live_" in created.output
    key = runner.invoke(app, ["api-key", "create", "--tenant-id", tenant_id, "--scope", "read"])
    assert key.exit_code == 0, key.output
    assert key.output.strip().split()[-1].startswith("rsn_live_")
    assert _count(sqlite_env, "api_keys") == 2
    unknown = runner.invoke(app, ["api-key", "create", "--tenant-id", "00000000-0000-0000-0000-000000000000"])
    assert unknown.exit_code == 1
    assert "there is no tenant" in unknown.output
    bad_scope = runner.invoke(app, ["api-key", "create", "--tenant-id", tenant_id, "--scope", "root"])
    assert bad_scope.exit_code == 1
    assert "scope 'root' is not one of read, write, admin, webhooks" in bad_scope.output


def test_demo_seeds_three_clients_and_backfills_every_account(sqlite_env: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--days", "5"])
    assert result.exit_code == 0, result.output
    assert "API key (shown once): rsn_live_" in result.output
    assert _count(sqlite_env, "clients") == 3
    assert _count(sqlite_env, "accounts") == 12
    assert _count(sqlite_env, "sync_runs WHERE status = 'succeeded'") == 12
    # Every account got five days of its metrics, competitors only their public ones.
    engine = create_engine(sqlite_env)
    with engine.connect() as connection:
        days = connection.execute(text("SELECT count(DISTINCT day) FROM metric_points")).scalar_one()
        per_kind = dict(
            connection.execute(
                text(
                    "SELECT a.kind, count(DISTINCT p.metric) FROM metric_points p JOIN accounts a "
                    "ON a.tenant_id = p.tenant_id AND a.id = p.account_id GROUP BY a.kind"
                )
            ).all()
        )
    engine.dispose()
    assert days == 5
    assert per_kind["owned"] == 14
    assert per_kind["competitor"] < per_kind["owned"]
    # What the analytics read: four alert rules, an objective and a ledger per client, cadence targets, colours.
    assert _count(sqlite_env, "alert_rules") == 12
    assert _count(sqlite_env, "objectives WHERE target > 0") == 3
    today = datetime.now(UTC).date()
    months = len({(today - timedelta(days=n)).replace(day=1) for n in range(5)})
    assert _count(sqlite_env, "roi_costs") == 3 * 4 * months  # ad spend, labour, tools and fees each month
    assert _count(sqlite_env, "roi_values") == 3 * 2 * months + months  # conversions, leads; Helix's applications
    assert _count(sqlite_env, "accounts WHERE kind = 'owned' AND target_posts_per_week = 3") == 9
    assert _count(sqlite_env, "clients WHERE brand_color IS NOT NULL") == 3
    assert "alerts open" in result.output


def test_credentials_rotate_reencrypts_every_account_with_the_newest_key(
    sqlite_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenants.credentials import CredentialsError, CredentialVault

    monkeypatch.setenv("RESONANCE_SECRET_KEY", "old-key-" + "o" * 32)
    assert runner.invoke(app, ["demo", "--no-serve", "--days", "1"]).exit_code == 0
    engine = create_engine(sqlite_env)
    old = CredentialVault(["old-key-" + "o" * 32])
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts SET credentials_encrypted = :c"), {"c": old.encrypt({"api_token": "tok-123"})}
        )
        connection.execute(
            text(
                "INSERT INTO webhook_endpoints "
                "(tenant_id, id, url, event_types, secret_encrypted, enabled, created_at) "
                "SELECT id, :id, 'https://hooks.example.com/x', '[\"sync.failed\"]', :s, 1, created_at FROM tenants"
            ),
            {"id": uuid.uuid4().hex, "s": old.encrypt({"secret": "whsec_kept"})},
        )
    monkeypatch.setenv("RESONANCE_SECRET_KEY", "new-key-" + "n" * 32 + ",old-key-" + "o" * 32)
    result = runner.invoke(app, ["credentials", "rotate"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "re-encrypted the credentials of 12 account(s) and the signing secrets of 1 webhook endpoint(s)" in output
    with engine.connect() as connection:
        [secret] = connection.execute(text("SELECT secret_encrypted FROM webhook_endpoints")).scalars()
    assert CredentialVault(["new-key-" + "n" * 32]).decrypt(secret) == {"secret": "whsec_kept"}
    new_only = CredentialVault(["new-key-" + "n" * 32])
    with engine.connect() as connection:
        tokens = [row[0] for row in connection.execute(text("SELECT credentials_encrypted FROM accounts"))]
    engine.dispose()
    assert len(tokens) == 12
    assert all(new_only.decrypt(token) == {"api_token": "tok-123"} for token in tokens)
    with pytest.raises(CredentialsError):
        old.decrypt(tokens[0])


def test_credentials_rotate_without_the_old_key_says_so(sqlite_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenants.credentials import CredentialVault

    assert runner.invoke(app, ["demo", "--no-serve", "--days", "1"]).exit_code == 0
    engine = create_engine(sqlite_env)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts SET credentials_encrypted = :c"),
            {"c": CredentialVault(["lost-key-" + "l" * 32]).encrypt({"api_token": "x"})},
        )
    engine.dispose()
    monkeypatch.setenv("RESONANCE_SECRET_KEY", "new-key-" + "n" * 32)
    result = runner.invoke(app, ["credentials", "rotate"])
    assert result.exit_code == 1
    assert "cannot be decrypted" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_demo_prints_portal_logins_that_sign_in(sqlite_env: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--days", "2"])
    assert result.exit_code == 0, result.output
    assert "Portal: http://127.0.0.1:8000/portal/" in result.output
    found = re.search(r"password shown once: (\S+)\)", result.output)
    assert found, result.output
    password = found.group(1)
    assert "agency owner:  owner@demo-agency.example" in result.output
    assert "client viewer: viewer@demo-agency.example" in result.output

    with TestClient(create_app(load_settings()), raise_server_exceptions=False) as client:
        owner = PortalMember(uuid.uuid4(), uuid.uuid4(), "owner@demo-agency.example", password)
        sign_in(client, owner)
        home = client.get("/portal/")
        assert home.status_code == 200
        assert all(name in home.text for name in ("Boulangerie Martin", "Helix Robotics"))
        client.cookies.clear()
        sign_in(client, PortalMember(uuid.uuid4(), uuid.uuid4(), "viewer@demo-agency.example", password))
        viewer_home = client.get("/portal/")
        assert viewer_home.status_code == 200
        assert "Helix Robotics" not in viewer_home.text


def test_version_prints_the_installed_packages_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output.strip() == f"resonance {version('resonance')}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", version("resonance"))


def test_the_demos_try_commands_name_its_clients_and_answer(sqlite_env: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--days", "5"])
    assert result.exit_code == 0, result.output
    key = re.search(r"rsn_live_\w+", result.output)
    assert key
    calls = re.findall(r'curl -s "?http://127\.0\.0\.1:8000(/v1/[^" ]+)"?', result.output)
    engine = create_engine(sqlite_env)
    with engine.connect() as connection:
        client_ids = {uuid.UUID(row[0]).hex for row in connection.execute(text("SELECT id FROM clients")).all()}
    engine.dispose()

    assert "CLIENT_ID" not in result.output
    assert "open http" not in result.output  # macOS only
    assert len(calls) == 6
    named = {uuid.UUID(found).hex for call in calls for found in re.findall(r"[0-9a-f-]{36}", call)}
    assert named
    assert named <= client_ids
    with TestClient(create_app(load_settings())) as client:
        for call in calls:
            response = client.get(call, headers={"Authorization": f"Bearer {key.group(0)}"})
            assert response.status_code == 200, (call, response.text)


def test_demo_and_serve_refuse_a_busy_port_before_doing_anything(sqlite_env: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = runner.invoke(app, ["demo", "--days", "1", "--port", str(port)])
        serve = runner.invoke(app, ["serve", "--port", str(port)])

    for result in (demo, serve):
        assert result.exit_code == 1
        assert f"port {port} on 127.0.0.1 is already in use" in " ".join(result.output.split())
        assert "Traceback" not in result.output
    assert not Path(sqlite_env.removeprefix("sqlite:///")).exists()  # nothing migrated, no demo agency seeded
