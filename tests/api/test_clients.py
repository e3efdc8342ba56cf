"""Clients: the companies an agency manages."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.clients.models import Client
from api.content.models import StoredMention
from tests.api.conftest import (
    account_footprint,
    assert_problem,
    count_rows,
    create_client,
    make_client_and_account,
    parse_time,
    sync_account,
)
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_create_client_with_defaults(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.post("/v1/clients", json={"name": "Boulangerie Martin"}, headers=agency.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert uuid.UUID(body["id"])
    assert body["name"] == "Boulangerie Martin"
    assert (body["industry"], body["currency"], body["timezone"], body["language"]) == (None, "EUR", "UTC", "en")


def test_create_client_with_every_field(client: TestClient[Litestar], agency: Agency) -> None:
    fields = {
        "name": "Maple Coffee",
        "industry": "food & beverage",
        "currency": "CAD",
        "timezone": "America/Toronto",
        "language": "fr",
    }

    body = client.post("/v1/clients", json=fields, headers=agency.headers).json()

    assert {name: body[name] for name in fields} == fields
    assert client.get(f"/v1/clients/{body['id']}", headers=agency.headers).json() == body


def test_list_clients_oldest_first(client: TestClient[Litestar], agency: Agency) -> None:
    ids = [create_client(client, agency, f"Client {n}")["id"] for n in range(3)]

    response = client.get("/v1/clients", headers=agency.headers)

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["data"]] == ids
    assert response.json()["next_cursor"] is None


def test_get_unknown_client_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(
        client.get(f"/v1/clients/{uuid.uuid4()}", headers=agency.headers), 404, code="not_found", field="client_id"
    )


def test_patch_changes_only_the_fields_sent(client: TestClient[Litestar], agency: Agency) -> None:
    created = create_client(client, agency, "Acme", industry="retail", timezone="Europe/Paris")

    response = client.patch(f"/v1/clients/{created['id']}", json={"industry": "luxury"}, headers=agency.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["industry"] == "luxury"
    assert (body["name"], body["timezone"], body["currency"]) == ("Acme", "Europe/Paris", "EUR")
    assert parse_time(body["updated_at"]) > parse_time(created["updated_at"])
    assert body["created_at"] == created["created_at"]
    assert client.get(f"/v1/clients/{created['id']}", headers=agency.headers).json() == body


def test_patch_can_clear_the_industry(client: TestClient[Litestar], agency: Agency) -> None:
    created = create_client(client, agency, "Acme", industry="retail")

    body = client.patch(f"/v1/clients/{created['id']}", json={"industry": None}, headers=agency.headers).json()

    assert body["industry"] is None


def test_patch_keeping_its_own_name_is_not_a_conflict(client: TestClient[Litestar], agency: Agency) -> None:
    created = create_client(client, agency, "Acme")

    response = client.patch(
        f"/v1/clients/{created['id']}", json={"name": "Acme", "language": "fr"}, headers=agency.headers
    )

    assert response.status_code == 200
    assert response.json()["language"] == "fr"


INVALID_CLIENTS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown time zone": ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    "empty time zone": ({"timezone": ""}, "timezone"),
    "lower-case currency": ({"currency": "eur"}, "currency"),
    "four-letter currency": ({"currency": "EURO"}, "currency"),
    "unsupported language": ({"language": "de"}, "language"),
    "empty name": ({"name": ""}, "name"),
    "name too long": ({"name": "x" * 201}, "name"),
    "empty industry": ({"industry": ""}, "industry"),
    "tenant in the body": ({"tenant_id": str(uuid.uuid4())}, "tenant_id"),
}

INVALID_PATCHES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown time zone": ({"timezone": "Europe/Atlantis"}, "timezone"),
    "currency with digits": ({"currency": "12A"}, "currency"),
    "null name": ({"name": None}, "name"),
    "unknown field": ({"colour": "red"}, "colour"),
}


def test_invalid_client_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    for case, (fields, field) in INVALID_CLIENTS.items():
        with subtests.test(case):
            response = client.post("/v1/clients", json={"name": "Acme", **fields}, headers=agency.headers)
            problem = assert_problem(response, 422, code="validation_error", field=field)
            assert field in problem["detail"]

    assert client.get("/v1/clients", headers=agency.headers).json()["data"] == []


def test_missing_name_is_422_naming_it(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(client.post("/v1/clients", json={}, headers=agency.headers), 422, field="name")


def test_invalid_patch_is_422_and_changes_nothing(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    created = create_client(client, agency, "Acme")

    for case, (fields, field) in INVALID_PATCHES.items():
        with subtests.test(case):
            response = client.patch(f"/v1/clients/{created['id']}", json=fields, headers=agency.headers)
            assert_problem(response, 422, code="validation_error", field=field)
            assert client.get(f"/v1/clients/{created['id']}", headers=agency.headers).json() == created


def test_duplicate_name_is_409(client: TestClient[Litestar], agency: Agency) -> None:
    create_client(client, agency, "Acme")

    response = client.post("/v1/clients", json={"name": "Acme"}, headers=agency.headers)

    problem = assert_problem(response, 409, code="conflict", field="name")
    assert "Acme" in problem["detail"]
    assert len(client.get("/v1/clients", headers=agency.headers).json()["data"]) == 1


def test_renaming_to_a_taken_name_is_409(client: TestClient[Litestar], agency: Agency) -> None:
    create_client(client, agency, "Acme")
    other = create_client(client, agency, "Globex")

    response = client.patch(f"/v1/clients/{other['id']}", json={"name": "Acme"}, headers=agency.headers)

    assert_problem(response, 409, code="conflict", field="name")
    assert client.get(f"/v1/clients/{other['id']}", headers=agency.headers).json()["name"] == "Globex"


def test_same_name_in_another_agency_is_allowed(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    create_client(client, agency, "Acme")

    response = client.post("/v1/clients", json={"name": "Acme"}, headers=other_agency.headers)

    assert response.status_code == 201


def test_delete_client(client: TestClient[Litestar], agency: Agency) -> None:
    created = create_client(client, agency, "Acme")
    kept = create_client(client, agency, "Globex")

    response = client.delete(f"/v1/clients/{created['id']}", headers=agency.headers)

    assert response.status_code == 204
    assert_problem(client.get(f"/v1/clients/{created['id']}", headers=agency.headers), 404)
    assert [c["id"] for c in client.get("/v1/clients", headers=agency.headers).json()["data"]] == [kept["id"]]
    assert_problem(client.delete(f"/v1/clients/{created['id']}", headers=agency.headers), 404)


def test_deleting_a_client_deletes_all_its_data_and_only_its_data(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    doomed, doomed_account = make_client_and_account(client, agency, name="Doomed", handle="doomed")
    _kept, kept_account = make_client_and_account(client, agency, name="Kept", handle="kept")
    window = (date(2026, 1, 1), date(2026, 1, 10))
    run = sync_account(client, agency, doomed_account["id"], *window)
    sync_account(client, agency, kept_account["id"], *window)
    before = account_footprint(database, doomed_account["id"])
    kept_before = account_footprint(database, kept_account["id"])
    assert all(count > 0 for count in before.values()), before
    assert count_rows(database, StoredMention, client_id=doomed["id"]) > 0

    assert client.delete(f"/v1/clients/{doomed['id']}", headers=agency.headers).status_code == 204

    assert account_footprint(database, doomed_account["id"]) == dict.fromkeys(before, 0)
    assert count_rows(database, StoredMention, client_id=doomed["id"]) == 0
    assert count_rows(database, Client, id=doomed["id"]) == 0
    assert account_footprint(database, kept_account["id"]) == kept_before
    headers = agency.headers
    assert_problem(client.get(f"/v1/accounts/{doomed_account['id']}", headers=headers), 404)
    assert_problem(client.get(f"/v1/syncs/{run['id']}", headers=headers), 404)
    assert_problem(client.get(f"/v1/accounts/{doomed_account['id']}/posts", headers=headers), 404)
    assert_problem(client.get(f"/v1/clients/{doomed['id']}/mentions", headers=headers), 404)
    assert_problem(client.get(f"/v1/clients/{doomed['id']}/accounts", headers=headers), 404)
    assert_problem(client.get("/v1/metrics", params={"account_id": doomed_account["id"]}, headers=headers), 404)
    assert client.get(f"/v1/accounts/{kept_account['id']}/posts", headers=headers).json()["data"]


def test_branding_is_kept_and_changed(client: TestClient[Litestar], agency: Agency) -> None:
    created = client.post(
        "/v1/clients",
        json={"name": "Maison Rouge", "brand_color": "#C8102E", "logo_url": "https://cdn.example.com/rouge.png"},
        headers=agency.headers,
    ).json()
    assert (created["brand_color"], created["logo_url"]) == ("#C8102E", "https://cdn.example.com/rouge.png")

    patched = client.patch(
        f"/v1/clients/{created['id']}", json={"brand_color": "#00205B", "logo_url": None}, headers=agency.headers
    ).json()

    assert (patched["brand_color"], patched["logo_url"]) == ("#00205B", None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"brand_color": "red"}, "brand_color"),
        ({"brand_color": "#12345"}, "brand_color"),
        ({"logo_url": "http://cdn.example.com/logo.png"}, "logo_url"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
    ],
)
def test_bad_branding_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, fields: dict[str, str], field: str
) -> None:
    response = client.post("/v1/clients", json={"name": "Maison Bleue", **fields}, headers=agency.headers)

    assert_problem(response, 422, code="validation_error", field=field)
    assert client.get("/v1/clients", headers=agency.headers).json()["data"] == []
