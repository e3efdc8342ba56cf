"""`resonance tenant plan` (how an operator changes an agency's plan in local mode) and the demo agency's plan."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)
    monkeypatch.delenv("RESONANCE_ENV", raising=False)
    monkeypatch.delenv("RESONANCE_SECRET_KEY", raising=False)
    monkeypatch.delenv("RESONANCE_PLANS", raising=False)
    monkeypatch.delenv("RESONANCE_DEFAULT_PLAN", raising=False)
    return url


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return rows


def _new_tenant() -> str:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    created = runner.invoke(app, ["tenant", "create", "--name", "Acme", "--email", "owner@acme.example"])
    assert created.exit_code == 0, created.output
    found = re.search(r"tenant ([0-9a-f-]{36})", created.output)
    assert found
    return found.group(1)


def test_tenant_plan_puts_the_agency_on_the_plan_and_audits_it(sqlite_env: str) -> None:
    tenant_id = _new_tenant()

    first = runner.invoke(app, ["tenant", "plan", tenant_id, "agency"])
    second = runner.invoke(app, ["tenant", "plan", tenant_id, "scale"])

    assert first.exit_code == 0, first.output
    assert f"tenant {tenant_id} is now on the Agency plan (was Starter, the default)." in " ".join(first.output.split())
    assert "now on the Scale plan (was Agency)" in " ".join(second.output.split())
    assert _rows(sqlite_env, "SELECT plan, status FROM subscriptions") == [("scale", "local")]
    audit = _rows(sqlite_env, "SELECT actor, changes FROM audit_log WHERE action = 'subscription.plan_set' ORDER BY id")
    assert [(actor, json.loads(str(changes))) for actor, changes in audit] == [
        ("cli:tenant plan", {"plan": "agency", "previous": None}),
        ("cli:tenant plan", {"plan": "scale", "previous": "agency"}),
    ]


def test_tenant_plan_says_which_plans_exist_when_the_plan_is_unknown(sqlite_env: str) -> None:
    tenant_id = _new_tenant()

    result = runner.invoke(app, ["tenant", "plan", tenant_id, "platinum"])

    assert result.exit_code == 1
    assert "there is no plan 'platinum'; the plans are agency, scale, starter." in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert _rows(sqlite_env, "SELECT count(*) FROM subscriptions") == [(0,)]


def test_tenant_plan_reads_the_configured_plans(sqlite_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant_id = _new_tenant()
    monkeypatch.setenv("RESONANCE_PLANS", json.dumps({"solo": {"name": "Solo"}, "team": {"name": "Team"}}))
    monkeypatch.setenv("RESONANCE_DEFAULT_PLAN", "solo")

    assert runner.invoke(app, ["tenant", "plan", tenant_id, "team"]).exit_code == 0
    refused = runner.invoke(app, ["tenant", "plan", tenant_id, "agency"])

    assert "the plans are solo, team." in " ".join(refused.output.split())


@pytest.mark.parametrize(
    ("tenant_id", "message"),
    [
        ("not-a-uuid", "TENANT_ID must be a tenant id (a UUID), got 'not-a-uuid'."),
        ("0195f000-0000-7000-8000-000000000000", "there is no tenant 0195f000-0000-7000-8000-000000000000."),
    ],
)
def test_tenant_plan_for_an_unknown_tenant_is_one_sentence(sqlite_env: str, tenant_id: str, message: str) -> None:
    _new_tenant()

    result = runner.invoke(app, ["tenant", "plan", tenant_id, "agency"])

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_tenant_plan_help_says_when_running_servers_see_it() -> None:
    result = runner.invoke(app, ["tenant", "plan", "--help"])

    assert result.exit_code == 0
    assert "5 seconds" in " ".join(result.output.split())


def test_the_demo_agency_is_on_the_default_plan_when_it_fits(sqlite_env: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--days", "1"])

    assert result.exit_code == 0, result.output
    assert "on the Starter plan" in result.output
    assert _rows(sqlite_env, "SELECT plan FROM subscriptions") == [("starter",)]


def test_the_demo_agency_goes_on_the_cheapest_plan_its_data_fits(
    sqlite_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = {
        "tiny": {"price": "1", "quotas": {"clients": 1}},
        "big": {"price": "50", "quotas": {"clients": 10, "tracked_accounts": 12, "syncs_per_day": 60}},
        "huge": {"price": "500"},
        "narrow": {"price": "5", "quotas": {"clients": 10, "tracked_accounts": 11}},
    }
    monkeypatch.setenv("RESONANCE_PLANS", json.dumps(plans))
    monkeypatch.setenv("RESONANCE_DEFAULT_PLAN", "tiny")

    result = runner.invoke(app, ["demo", "--no-serve", "--days", "1"])

    assert result.exit_code == 0, result.output
    assert _rows(sqlite_env, "SELECT plan FROM subscriptions") == [("big",)]


def test_the_demo_says_so_when_no_plan_fits(sqlite_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_PLANS", json.dumps({"tiny": {"quotas": {"tracked_accounts": 3}}}))
    monkeypatch.setenv("RESONANCE_DEFAULT_PLAN", "tiny")

    result = runner.invoke(app, ["demo", "--no-serve", "--days", "1"])

    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "no plan in RESONANCE_PLANS fits the demo agency (clients 3, tracked_accounts 12" in output
    assert "Traceback" not in result.output
