"""`resonance tenant domain add/list/verify/remove`: an operator maps host names to agencies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app, tenancy
from tests.domain_dns import FakeResolver

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
    claimed = runner.invoke(app, ["tenant", "domain", "add", other, "portal.acme.example"])
    bad = runner.invoke(app, ["tenant", "domain", "add", acme, "https://nope/"])
    listed = runner.invoke(app, ["tenant", "domain", "list", acme])
    removed = runner.invoke(app, ["tenant", "domain", "remove", acme, "portal.acme.example"])
    again = runner.invoke(app, ["tenant", "domain", "remove", acme, "portal.acme.example"])

    assert added.exit_code == 0, added.output
    assert f"tenant {acme} now has the domain portal.acme.example, unverified." in _said(added.output)
    assert "_resonance-challenge.portal.acme.example" in _said(added.output)
    assert claimed.exit_code == 0, claimed.output  # an unverified claim blocks no one
    assert bad.exit_code == 1
    assert "is not a host name" in _said(bad.output)
    assert _said(listed.output).startswith(
        "portal.acme.example unverified: publish TXT _resonance-challenge.portal.acme.example resonance-verification="
    )
    assert removed.exit_code == 0
    assert again.exit_code == 1
    assert "has no domain portal.acme.example" in _said(again.output)


def test_an_operator_verifies_a_domain_through_its_txt_record(sqlite_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dns = FakeResolver()
    monkeypatch.setattr(tenancy, "make_resolver", lambda: dns)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    acme, other = _new_tenant("Acme"), _new_tenant("Other")
    assert runner.invoke(app, ["tenant", "domain", "add", acme, "portal.acme.example"]).exit_code == 0

    missing = runner.invoke(app, ["tenant", "domain", "verify", acme, "portal.acme.example"])
    listed = _said(runner.invoke(app, ["tenant", "domain", "list", acme]).output)
    value = listed.split()[-1]
    dns.records["_resonance-challenge.portal.acme.example"] = [value]
    verified = runner.invoke(app, ["tenant", "domain", "verify", acme, "portal.acme.example"])
    taken = runner.invoke(app, ["tenant", "domain", "add", other, "portal.acme.example"])
    unknown = runner.invoke(app, ["tenant", "domain", "verify", other, "portal.acme.example"])

    assert missing.exit_code == 1
    assert "Publish a DNS TXT record named _resonance-challenge.portal.acme.example" in _said(missing.output)
    assert "NXDOMAIN" in _said(missing.output)
    assert "Traceback" not in missing.output
    assert value.startswith("resonance-verification=")
    assert verified.exit_code == 0, verified.output
    assert f"tenant {acme} has verified the domain portal.acme.example" in _said(verified.output)
    assert _said(runner.invoke(app, ["tenant", "domain", "list", acme]).output) == "portal.acme.example verified"
    assert taken.exit_code == 1
    assert "already used by another agency" in _said(taken.output)
    assert unknown.exit_code == 1
    assert f"tenant {other} has no domain portal.acme.example" in _said(unknown.output)
