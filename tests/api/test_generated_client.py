"""A client generated from the OpenAPI document with openapi-python-client: every operation, and a CSV upload.

The generator skips an operation whose request body it cannot send (a `text/csv` body alone was one); the CSV
imports also take a multipart/form-data upload, so each is generated and works as a file upload.
"""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openapi_python_client.strings import snake_case

from tests.api.conftest import create_client, list_all
from tests.conftest import Agency
from tests.portal.conftest import LiveServerFactory
from tests.portal.conftest import live_server_factory as live_server_factory  # the fixture, for this module

PACKAGE = "resonance_generated_client"
# No post hooks: by default the generator runs `ruff` on what it wrote, which this test does not need.
CONFIG = "post_hooks: []\n"


def _generate(document: dict[str, Any], where: Path) -> str:
    """Generate the client package `PACKAGE` in `where` from `document`; the generator's output."""
    (where / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (where / "config.yml").write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json"]
    command += ["--output-path", PACKAGE, "--meta", "none", "--config", "config.yml"]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def _operation_ids(document: dict[str, Any]) -> set[str]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in methods
    }


def test_every_operation_is_generated_and_a_csv_import_runs_through_it(
    client: TestClient[Litestar],
    agency: Agency,
    live_server_factory: LiveServerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = client.get("/docs/openapi.json").json()
    client_id = create_client(client, agency, "Generated", currency="EUR")["id"]

    output = _generate(document, tmp_path)

    assert "Endpoint will not be generated" not in output, output
    modules = {module.stem for module in (tmp_path / PACKAGE / "api").glob("*/*.py") if module.stem != "__init__"}
    assert {snake_case(operation_id) for operation_id in _operation_ids(document)} == modules

    monkeypatch.syspath_prepend(str(tmp_path))
    generated = importlib.import_module(PACKAGE)
    import_costs = importlib.import_module(f"{PACKAGE}.api.roi.v1_clients_client_id_costs_import_import_costs")
    body_module = importlib.import_module(f"{PACKAGE}.models.v1_clients_client_id_costs_import_import_costs_files_body")
    types = importlib.import_module(f"{PACKAGE}.types")
    csv = b"type,date,amount,note\ntools,2026-03-01,5,Design tool\nfees,2026-03-02,7.25,\n"
    body = body_module.V1ClientsClientIdCostsImportImportCostsFilesBody(
        file=types.File(payload=io.BytesIO(csv), file_name="costs.csv", mime_type="text/csv")
    )
    server = live_server_factory()

    with generated.AuthenticatedClient(base_url=server.url, token=agency.key) as api:
        response = import_costs.sync_detailed(client_id=client_id, client=api, body=body)

    assert response.status_code == 201, response.content
    assert response.parsed.imported == 2
    costs = list_all(client, agency, f"/v1/clients/{client_id}/costs")
    assert [cost["id"] for cost in costs] == [str(entry_id) for entry_id in response.parsed.ids]
    assert [(cost["type"], cost["amount"], cost["note"]) for cost in costs] == [
        ("tools", "5.00", "Design tool"),
        ("fees", "7.25", None),
    ]
