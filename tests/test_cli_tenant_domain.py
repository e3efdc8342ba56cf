"""`resonance tenant domain add/list/remove`: an operator maps host names to agencies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)
    monkeypatch.delenv("RESONANCE_ENV", raising=False)
    monkeypatch.delenv("RESONANCE_SECRET_KEY", raising=False)
    return url


def _new_tenant(name: str) -> str:
    created = runner.invoke(app, ["tenant", "create", "--name", name, "--email", f"owner@{name.lower()}.example"])
    assert created.exit_code == 0, created.output
    found = re.search(r"tenant ([0-9a-f-]{36})", created.output)
    assert found
    return found.group(1)


def _said(output: str) -> str:
    return " ".join(output.split())


def test_an_operator_adds_lists_and_removes_a_domain(sqlite_env: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    acme, other = _new_tenant("Acme"), _new_tenant("Other")

    added = runner.invoke(app, ["tenant", "domain", "add", acme, "Portal.Acme.Example"])
    taken = runner.invoke(app, ["tenant", "domain", "add", other, "portal.acme.example"])
    bad = runner.invoke(app, ["tenant", "domain", "add", acme, "https://nope/"])
    listed = runner.invoke(app, ["tenant", "domain", "list", acme])
    removed = runner.invoke(app, ["tenant", "domain", "remove", acme, "portal.acme.example"])
    again = runner.invoke(app, ["tenant", "domain", "remove", acme, "portal.acme.example"])

    assert added.exit_code == 0, added.output
    assert f"tenant {acme} now has the domain portal.acme.example." in _said(added.output)
    assert taken.exit_code == 1
    assert "already used by another agency" in _said(taken.output)
    assert "Traceback" not in taken.output
    assert bad.exit_code == 1
    assert "is not a host name" in _said(bad.output)
    assert listed.output.strip() == "portal.acme.example"
    assert removed.exit_code == 0
    assert again.exit_code == 1
    assert "has no domain portal.acme.example" in _said(again.output)
