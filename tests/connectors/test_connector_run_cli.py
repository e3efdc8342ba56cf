"""`resonance connector run` works for every built-in connector against a local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from plugins.sdk import Checkpoint
from plugins.sdk.testing import ConnectorConformance, serving
from tests.connectors.suites import SUITES


@pytest.mark.parametrize("suite_class", SUITES, ids=lambda suite: suite.connector.id)
def test_connector_run_prints_the_records_of_a_recorded_fetch(
    suite_class: type[ConnectorConformance], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = suite_class()
    from resonance_sdk import _http
    from resonance_sdk.testing._conformance import _no_wait

    monkeypatch.setattr(_http, "sleep_for", _no_wait)
    expected = [record for record in suite.clean_run() if not isinstance(record, Checkpoint)]
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"credentials": dict(suite.account.credentials), "settings": dict(suite.account.settings)})
    )
    arguments = [
        "connector",
        "run",
        suite.connector.id,
        "--account",
        suite.account.handle,
        "--config",
        str(config),
        "--since",
        suite.window.since.isoformat(),
        "--until",
        suite.window.until.isoformat(),
        "--kind",
        suite.account.kind,
    ]
    if suite.account.external_id:
        arguments += ["--external-id", suite.account.external_id]
    with serving(suite.routes()) as server:
        result = CliRunner().invoke(app, [*arguments, "--base-url", server.base_url + suite.base_path])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    data = [line for line in lines if line["type"] != "Checkpoint"]
    assert len(data) == len(expected)
    assert {line["type"] for line in data} == {type(record).__name__ for record in expected}
