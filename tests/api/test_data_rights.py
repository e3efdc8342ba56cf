"""Data rights: an admin downloads everything stored for a client or the agency, erases a client or the agency
completely, and reads the audit log of who did what; none of it crosses to another agency."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Text, cast, select
from sqlmodel import SQLModel
from stripe_fake import FakeStripe

from tests.api.conftest import (
    assert_problem,
    create_key,
    make_client_and_account,
    owner_connection,
    sync_account,
)
from tests.api.stripe_billing import customer_of
from tests.conftest import Agency, TestDatabase, sign_up

pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]

TODAY = date.today()


def _archive(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def _rows(archive: zipfile.ZipFile, table: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in archive.read(f"tables/{table}.jsonl").splitlines()]


def _history(client: TestClient[Litestar], agency: Agency, name: str, handle: str) -> tuple[Any, Any]:
    made, account = make_client_and_account(client, agency, name=name, handle=handle)
    sync_account(client, agency, account["id"], TODAY - timedelta(days=6), TODAY)
    return made, account


def test_a_clients_archive_holds_its_data_and_report_and_nothing_of_others(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    durand, account = _history(client, agency, "Maison Durand", "durand")
    roux, _ = _history(client, agency, "Atelier Roux", "roux")
    _history(client, other_agency, "Beta Client", "beta")

    archive = _archive(client.get("/v1/tenant/export", params={"client_id": durand["id"]}, headers=agency.headers))
    manifest = json.loads(archive.read("manifest.json"))

    assert manifest["scope"] == "client"
    assert manifest["client_id"] == durand["id"]
    assert [row["name"] for row in _rows(archive, "clients")] == ["Maison Durand"]
    [stored] = _rows(archive, "accounts")
    assert stored["handle"] == "durand"
    assert "credentials_encrypted" not in stored  # secrets stay out
    assert "credentials_encrypted" in manifest["withheld_columns"]
    points = _rows(archive, "metric_points")
    assert points
    assert {row["account_id"] for row in points} == {account["id"]}
    assert manifest["tables"]["metric_points"] == len(points)
    assert manifest["tables"]["sync_runs"] == 1
    everything = b"".join(archive.read(name) for name in archive.namelist() if name.startswith("tables/"))
    assert roux["id"].encode() not in everything
    assert b"Beta Client" not in everything
    [report] = manifest["reports"]
    assert archive.read(report).startswith(b"%PDF")
    assert (
        client.get("/v1/tenant/export", params={"client_id": durand["id"]}, headers=other_agency.headers).status_code
        == 404
    )


def test_the_agencys_archive_holds_every_client_and_no_secret(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    _history(client, agency, "Maison Durand", "durand")
    _history(client, agency, "Atelier Roux", "roux")
    _history(client, other_agency, "Beta Client", "beta")

    archive = _archive(client.get("/v1/tenant/export", headers=agency.headers))
    manifest = json.loads(archive.read("manifest.json"))

    assert manifest["scope"] == "agency"
    assert sorted(row["name"] for row in _rows(archive, "clients")) == ["Atelier Roux", "Maison Durand"]
    assert [row["id"] for row in _rows(archive, "tenants")] == [agency.tenant_id]
    keys = _rows(archive, "api_keys")
    assert keys
    assert all("key_hash" not in row for row in keys)
    assert "member_sessions" not in manifest["tables"]
    assert len(manifest["reports"]) == 2
    everything = b"".join(archive.read(name) for name in archive.namelist() if name.startswith("tables/"))
    assert b"Beta Client" not in everything
    assert other_agency.tenant_id.encode() not in everything


def test_only_an_agency_admin_exports(client: TestClient[Litestar], agency: Agency) -> None:
    made, _ = make_client_and_account(client, agency)
    reader = create_key(client, agency, ["read"])
    limited = client.post(
        "/v1/api-keys", json={"name": "one client", "scopes": ["read"], "client_id": made["id"]}, headers=agency.headers
    ).json()

    assert client.get("/v1/tenant/export", headers=reader.headers).status_code == 403
    assert client.get("/v1/tenant/export", params={"client_id": made["id"]}, headers=reader.headers).status_code == 403
    own = client.get(
        "/v1/tenant/export", params={"client_id": made["id"]}, headers={"Authorization": f"Bearer {limited['secret']}"}
    )
    assert own.status_code == 403


def _text_columns_containing(database: TestDatabase, needle: str) -> list[str]:
    """Every table.column where some row's text (JSON included) contains `needle`, as the tables' owner."""
    import api.models  # noqa: F401  - every table registered

    found = []
    with owner_connection(database) as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:  # every column as text: strings, JSON documents, and the rest harmlessly
                hit = connection.execute(select(column).where(cast(column, Text).contains(needle)).limit(1)).first()
                if hit is not None:
                    found.append(f"{table.name}.{column.name}")
    return found


def _columns_holding_id(database: TestDatabase, value: str) -> list[str]:
    """Every table.column where some row holds this id (SQLite keeps UUIDs as hex without dashes)."""
    found = _text_columns_containing(database, value)
    return sorted(set(found) | set(_text_columns_containing(database, uuid.UUID(value).hex)))


def test_nothing_of_an_erased_client_remains(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    durand, _ = _history(client, agency, "Maison Durand", "durand-handle")
    kept, _ = _history(client, agency, "Atelier Roux", "roux")
    renamed = client.patch(f"/v1/clients/{durand['id']}", json={"name": "Maison Durand SA"}, headers=agency.headers)
    assert renamed.status_code == 200
    assert _text_columns_containing(database, "Maison Durand")  # its name is stored (and in the audit log)

    assert client.delete(f"/v1/clients/{durand['id']}", headers=agency.headers).status_code == 204

    assert _text_columns_containing(database, "Maison Durand") == []
    assert _text_columns_containing(database, "durand-handle") == []
    # Only the ids of the billing ledger (usage already metered, billed to the agency) and of the audit log are left.
    assert set(_columns_holding_id(database, durand["id"])) <= {
        "usage_events.client_id",
        "usage_events.idempotency_key",
        "audit_log.entity_id",
    }
    log = client.get("/v1/tenant/audit-log", params={"action": "client.deleted"}, headers=agency.headers).json()
    assert [(row["entity_id"], row["changes"]) for row in log["data"]] == [(durand["id"], {})]
    assert client.get(f"/v1/clients/{kept['id']}", headers=agency.headers).json()["name"] == "Atelier Roux"


def test_erasing_the_agency_needs_its_id_and_leaves_nothing_of_it(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase
) -> None:
    _history(client, agency, "Maison Durand", "durand")
    theirs, _ = _history(client, other_agency, "Beta Client", "beta")

    refused = client.delete("/v1/tenant", headers=agency.headers)
    assert_problem(refused, 422, code="validation_error")
    assert "confirm" in refused.json()["detail"]
    wrong = client.delete("/v1/tenant", params={"confirm": other_agency.tenant_id}, headers=agency.headers)
    assert wrong.status_code == 422
    assert client.get("/v1/clients", headers=agency.headers).status_code == 200  # nothing happened yet

    assert client.delete("/v1/tenant", params={"confirm": agency.tenant_id}, headers=agency.headers).status_code == 204

    assert client.get("/v1/clients", headers=agency.headers).status_code == 401  # its keys are gone at once
    assert _columns_holding_id(database, agency.tenant_id) == []
    assert _text_columns_containing(database, "Maison Durand") == []
    with owner_connection(database) as connection:
        for table in SQLModel.metadata.sorted_tables:
            if "tenant_id" in table.c:
                left = connection.execute(
                    select(table.c.tenant_id).where(table.c.tenant_id == uuid.UUID(agency.tenant_id)).limit(1)
                ).first()
                assert left is None, table.name
    assert client.get(f"/v1/clients/{theirs['id']}", headers=other_agency.headers).json()["name"] == "Beta Client"


def test_erasing_the_agency_deletes_its_stripe_customer_first(
    billing: TestClient[Litestar], alpha: Agency, fake_stripe: FakeStripe
) -> None:
    customer = customer_of(billing, fake_stripe, alpha)
    assert customer in fake_stripe.customers

    erased = billing.delete("/v1/tenant", params={"confirm": alpha.tenant_id}, headers=alpha.headers)

    assert erased.status_code == 204
    assert customer not in fake_stripe.customers
    assert any(r.method == "DELETE" and r.path == f"/v1/customers/{customer}" for r in fake_stripe.requests)


def test_when_stripe_fails_nothing_is_erased(
    billing: TestClient[Litestar], alpha: Agency, fake_stripe: FakeStripe
) -> None:
    customer_of(billing, fake_stripe, alpha)
    fake_stripe.fail_next(500)

    refused = billing.delete("/v1/tenant", params={"confirm": alpha.tenant_id}, headers=alpha.headers)

    assert_problem(refused, 502, code="stripe_unavailable")
    assert billing.get("/v1/clients", headers=alpha.headers).status_code == 200


def test_the_audit_log_says_who_did_what_newest_first(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    made, _ = make_client_and_account(client, agency)
    client.patch(f"/v1/clients/{made['id']}", json={"name": "Renamed"}, headers=agency.headers)
    make_client_and_account(client, other_agency, name="Not theirs")

    log = client.get("/v1/tenant/audit-log", headers=agency.headers)
    assert log.status_code == 200
    rows = log.json()["data"]
    assert [row["at"] for row in rows] == sorted((row["at"] for row in rows), reverse=True)
    updated = [row for row in rows if row["action"] == "client.updated"]
    assert [(row["entity_id"], row["changes"]) for row in updated] == [(made["id"], {"name": "Renamed"})]
    assert all(row["actor"] for row in rows)
    assert "Not theirs" not in log.text
    first = client.get("/v1/tenant/audit-log", params={"limit": 1}, headers=agency.headers).json()
    second = client.get(
        "/v1/tenant/audit-log", params={"limit": 1, "cursor": first["next_cursor"]}, headers=agency.headers
    ).json()
    assert first["data"][0]["at"] >= second["data"][0]["at"]
    assert first["data"][0] != second["data"][0]
    reader = create_key(client, agency, ["read", "write"])
    assert client.get("/v1/tenant/audit-log", headers=reader.headers).status_code == 403


def test_an_erased_agency_can_sign_up_again_afresh(client: TestClient[Litestar], agency: Agency) -> None:
    assert client.delete("/v1/tenant", params={"confirm": agency.tenant_id}, headers=agency.headers).status_code == 204
    again = sign_up(client, "Agency Alpha")
    assert again.tenant_id != agency.tenant_id
    assert client.get("/v1/clients", headers=again.headers).json()["data"] == []
