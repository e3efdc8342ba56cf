"""`resonance tenant export` and `resonance tenant erase`: an operator exports an agency's data, then erases it."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def _said(output: str) -> str:
    return " ".join(output.split())


def test_an_operator_exports_then_erases_an_agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("RESONANCE_MIGRATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("RESONANCE_ENV", raising=False)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    created = runner.invoke(app, ["tenant", "create", "--name", "Acme", "--email", "owner@acme.example"])
    found = re.search(r"tenant ([0-9a-f-]{36})", created.output)
    assert found, created.output
    tenant = found.group(1)
    file = tmp_path / "acme.zip"

    exported = runner.invoke(app, ["tenant", "export", tenant, str(file)])
    no_client = runner.invoke(app, ["tenant", "export", tenant, str(file), "--client", tenant])
    kept = runner.invoke(app, ["tenant", "erase", tenant], input="n\n")
    erased = runner.invoke(app, ["tenant", "erase", tenant, "--yes"])
    again = runner.invoke(app, ["tenant", "erase", tenant, "--yes"])

    assert exported.exit_code == 0, exported.output
    assert f"into {file}" in _said(exported.output)
    with zipfile.ZipFile(file) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        tenants = [json.loads(line) for line in archive.read("tables/tenants.jsonl").splitlines()]
    assert manifest["scope"] == "agency"
    assert [row["name"] for row in tenants] == ["Acme"]
    assert no_client.exit_code == 1
    assert f"tenant {tenant} has no client {tenant}." in _said(no_client.output)
    assert kept.exit_code == 1
    assert "nothing was erased." in _said(kept.output)
    assert erased.exit_code == 0, erased.output
    assert f"erased tenant {tenant}" in _said(erased.output)
    assert again.exit_code == 1
    assert f"there is no tenant {tenant}." in _said(again.output)
    assert "Traceback" not in exported.output + erased.output + again.output
