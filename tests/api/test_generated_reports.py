"""Reports rendered in the background: asked for, rendered once by a job, downloaded by their agency only."""

from __future__ import annotations

import io
import uuid
from typing import TYPE_CHECKING

import pypdf
from litestar import Litestar
from litestar.testing import TestClient

from api.services import Services
from tests.api.conftest import assert_problem, create_client
from tests.api.test_reports import WINDOW, seed
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def render_waiting(client: TestClient[Litestar]) -> int:
    """What a worker does: run the queued jobs (the kick the request deferred, then the render)."""
    services: Services = client.app.state.services
    with client.portal() as portal:
        return int(portal.call(services.background.engine.drain))


def ask(client: TestClient[Litestar], agency: Agency, client_id: str, **body: str) -> dict[str, object]:
    response = client.post(f"/v1/clients/{client_id}/reports", json=body, headers=agency.headers)
    assert response.status_code == 202, response.text
    report: dict[str, object] = response.json()
    assert response.headers["location"] == f"/v1/clients/{client_id}/reports/{report['id']}"
    return report


def test_a_report_asked_for_renders_in_the_background_and_downloads_once_ready(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)
    report = ask(client, agency, owner["id"], format="pdf", **WINDOW)
    assert (report["status"], report["from"], report["to"], report["file_url"]) == (
        "queued",
        WINDOW["from"],
        WINDOW["to"],
        None,
    )
    address = f"/v1/clients/{owner['id']}/reports/{report['id']}"
    early = client.get(f"{address}/file", headers=agency.headers)
    assert_problem(early, 409, code="conflict")
    assert "poll it until it has succeeded" in early.json()["detail"]

    assert render_waiting(client) >= 1
    done = client.get(address, headers=agency.headers).json()
    assert (done["status"], done["file_url"], done["error"]) == ("succeeded", f"{address}/file", None)
    file = client.get(done["file_url"], headers=agency.headers)
    assert file.status_code == 200
    assert file.headers["content-type"] == "application/pdf"
    assert file.headers["content-disposition"] == 'attachment; filename="maison-rouge-report-2026-03-02-2026-03-15.pdf"'
    assert done["size_bytes"] == len(file.content)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(file.content)).pages)
    assert "Maison Rouge" in text


def test_a_background_report_holds_the_very_numbers_of_the_report_route(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)
    report = ask(client, agency, owner["id"], format="csv", language="fr", **WINDOW)
    render_waiting(client)
    background = client.get(f"/v1/clients/{owner['id']}/reports/{report['id']}/file", headers=agency.headers)
    direct = client.get(
        f"/v1/clients/{owner['id']}/report",
        params={**WINDOW, "format": "csv", "language": "fr"},
        headers=agency.headers,
    )
    assert background.status_code == direct.status_code == 200
    assert background.content == direct.content


def test_a_job_delivered_twice_renders_the_report_once(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)
    report = ask(client, agency, owner["id"], format="json", **WINDOW)
    generator = client.app.state.services.background.reports
    tenant_id, report_id = uuid.UUID(agency.tenant_id), uuid.UUID(str(report["id"]))
    with client.portal() as portal:
        assert portal.call(generator.generate, tenant_id, report_id) == "succeeded"
        assert portal.call(generator.generate, tenant_id, report_id) is None  # at-least-once: the same job again
    assert client.get(f"/v1/clients/{owner['id']}/reports/{report_id}", headers=agency.headers).json()["status"] == (
        "succeeded"
    )


def test_another_agencys_or_another_clients_report_is_a_404(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)
    report = ask(client, agency, owner["id"], format="json", **WINDOW)
    render_waiting(client)
    address = f"/v1/clients/{owner['id']}/reports/{report['id']}"
    for path in (address, f"{address}/file"):
        assert_problem(client.get(path, headers=other_agency.headers), 404, code="not_found")
    sibling = create_client(client, agency, "Another client")
    for path in (
        f"/v1/clients/{sibling['id']}/reports/{report['id']}",
        f"/v1/clients/{sibling['id']}/reports/{report['id']}/file",
    ):
        assert_problem(client.get(path, headers=agency.headers), 404, code="not_found")
    asked_by_another = client.post(f"/v1/clients/{owner['id']}/reports", json={}, headers=other_agency.headers)
    assert_problem(asked_by_another, 404, code="not_found")


def test_bad_asks_are_422_and_too_many_waiting_is_a_429(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency, "Busy client")
    address = f"/v1/clients/{owner['id']}/reports"
    assert_problem(client.post(address, json={"format": "docx"}, headers=agency.headers), 422, code="validation_error")
    after = client.post(address, json={"from": "2026-03-15", "to": "2026-03-02"}, headers=agency.headers)
    assert_problem(after, 422, code="validation_error")
    for _ in range(20):
        ask(client, agency, owner["id"])
    crowded = client.post(address, json={}, headers=agency.headers)
    assert_problem(crowded, 429, code="too_many_reports")
    assert crowded.headers["retry-after"] == "30"
    render_waiting(client)
    ask(client, agency, owner["id"])  # room again once they rendered
