"""Signing an agency up, and reading the caller's tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tenants.models import Member
from tests.api.conftest import assert_problem, count_rows
from tests.conftest import Agency, sign_up

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_signup_creates_a_tenant_with_a_working_admin_key_shown_once(client: TestClient[Litestar]) -> None:
    response = client.post("/v1/signup", json={"agency_name": "Agence Lumière", "email": "Owner@Lumiere.example"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tenant"]["name"] == "Agence Lumière"
    key = body["api_key"]
    assert key["secret"].startswith("rsn_live_")
    assert key["secret"].startswith(key["prefix"])
    assert len(key["prefix"]) < len(key["secret"])
    assert sorted(key["scopes"]) == ["admin", "read", "write"]

    headers = {"Authorization": f"Bearer {key['secret']}"}
    tenant = client.get("/v1/tenant", headers=headers)
    assert tenant.status_code == 200
    assert tenant.json()["id"] == body["tenant"]["id"]
    assert tenant.json()["name"] == "Agence Lumière"
    listed = client.get("/v1/api-keys", headers=headers)
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()["data"]] == [key["id"]]
    assert key["secret"] not in listed.text


def test_signup_records_the_owner_as_a_member(client: TestClient[Litestar], database: TestDatabase) -> None:
    agency = sign_up(client, "Agency Owners")

    assert count_rows(database, Member, tenant_id=agency.tenant_id, role="owner", email="owner@owners.example") == 1


def test_signup_needs_no_api_key_and_each_signup_is_its_own_tenant(client: TestClient[Litestar]) -> None:
    first = sign_up(client, "Agency One")
    second = sign_up(client, "Agency Two")

    assert first.tenant_id != second.tenant_id
    assert client.get("/v1/tenant", headers=first.headers).json()["name"] == "Agency One"
    assert client.get("/v1/tenant", headers=second.headers).json()["name"] == "Agency Two"


INVALID_SIGNUPS: dict[str, tuple[dict[str, str], str]] = {
    "not an email": ({"agency_name": "Acme", "email": "not-an-email"}, "email"),
    "empty name": ({"agency_name": "", "email": "owner@acme.example"}, "agency_name"),
    "name too long": ({"agency_name": "x" * 201, "email": "owner@acme.example"}, "agency_name"),
    "no name": ({"email": "owner@acme.example"}, "agency_name"),
    "no email": ({"agency_name": "Acme"}, "email"),
    "unknown field": ({"agency_name": "Acme", "email": "owner@acme.example", "plan": "free"}, "plan"),
}


def test_invalid_signup_is_422_naming_the_field(
    client: TestClient[Litestar], database: TestDatabase, subtests: pytest.Subtests
) -> None:
    for case, (body, field) in INVALID_SIGNUPS.items():
        with subtests.test(case):
            response = client.post("/v1/signup", json=body)
            problem = assert_problem(response, 422, code="validation_error", field=field)
            assert field in problem["detail"]

    assert count_rows(database, Member) == 0


def test_invalid_signup_creates_nothing(client: TestClient[Litestar], database: TestDatabase) -> None:
    client.post("/v1/signup", json={"agency_name": "Acme", "email": "nope"})

    assert count_rows(database, Member) == 0


def test_tenant_requires_a_key(client: TestClient[Litestar]) -> None:
    assert_problem(client.get("/v1/tenant"), 401, code="unauthorized")


def test_tenant_is_the_one_of_the_key_used(client: TestClient[Litestar], agency: Agency, other_agency: Agency) -> None:
    assert client.get("/v1/tenant", headers=agency.headers).json()["id"] == agency.tenant_id
    assert client.get("/v1/tenant", headers=other_agency.headers).json()["id"] == other_agency.tenant_id
