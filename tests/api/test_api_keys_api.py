"""API keys: prefixed, shown once, stored hashed, scoped, revocable, and tracked when used."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from tenants import api_keys
from tenants.models import ApiKey
from tests.api.conftest import assert_problem, create_key, owner_connection, parse_time, table
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_created_key_works_and_carries_the_scopes_asked_for(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.post("/v1/api-keys", json={"name": "reporting", "scopes": ["read"]}, headers=agency.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "reporting"
    assert body["scopes"] == ["read"]
    assert body["secret"].startswith("rsn_live_")
    assert body["secret"].startswith(body["prefix"])
    tenant = client.get("/v1/tenant", headers={"Authorization": f"Bearer {body['secret']}"})
    assert tenant.status_code == 200
    assert tenant.json()["id"] == agency.tenant_id


def test_key_defaults_to_read_and_write(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.post("/v1/api-keys", json={"name": "default"}, headers=agency.headers)

    assert response.status_code == 201
    assert sorted(response.json()["scopes"]) == ["read", "write"]


def test_x_api_key_header_is_accepted_too(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.get("/v1/tenant", headers={"X-API-Key": agency.key})

    assert response.status_code == 200
    assert response.json()["id"] == agency.tenant_id


def test_secret_is_shown_only_at_creation(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> None:
    key = create_key(client, agency, ["read"], name="once")

    listed = client.get("/v1/api-keys", headers=agency.headers)
    assert listed.status_code == 200
    entry = next(k for k in listed.json()["data"] if k["id"] == key.id)
    assert "secret" not in entry
    assert entry["prefix"] == key.prefix
    assert key.secret not in listed.text
    assert agency.key not in listed.text
    with owner_connection(database) as connection:
        stored = connection.execute(select(table(ApiKey)).where(table(ApiKey).c.id == uuid.UUID(key.id))).one()
    assert key.secret not in [str(value) for value in stored]


def test_read_only_key_cannot_create_a_client(client: TestClient[Litestar], agency: Agency) -> None:
    reader = create_key(client, agency, ["read"])

    response = client.post("/v1/clients", json={"name": "Nope"}, headers=reader.headers)

    problem = assert_problem(response, 403, code="forbidden")
    assert "'write'" in problem["detail"]
    assert client.get("/v1/clients", headers=reader.headers).json()["data"] == []


def test_read_only_key_can_read(client: TestClient[Litestar], agency: Agency) -> None:
    reader = create_key(client, agency, ["read"])
    client.post("/v1/clients", json={"name": "Visible"}, headers=agency.headers)

    response = client.get("/v1/clients", headers=reader.headers)

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["data"]] == ["Visible"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/api-keys"), ("POST", "/v1/api-keys")])
def test_managing_keys_needs_the_admin_scope(
    client: TestClient[Litestar], agency: Agency, method: str, path: str
) -> None:
    writer = create_key(client, agency, ["read", "write"])

    response = client.request(method, path, json={"name": "escalate", "scopes": ["admin"]}, headers=writer.headers)

    problem = assert_problem(response, 403, code="forbidden")
    assert "'admin'" in problem["detail"]


def test_revoking_a_key_needs_the_admin_scope(client: TestClient[Litestar], agency: Agency) -> None:
    writer = create_key(client, agency, ["read", "write"])

    response = client.delete(f"/v1/api-keys/{agency.key_id}", headers=writer.headers)

    assert_problem(response, 403, code="forbidden")
    assert client.get("/v1/tenant", headers=agency.headers).status_code == 200


def test_revoked_key_is_refused_at_once(client: TestClient[Litestar], agency: Agency) -> None:
    key = create_key(client, agency, ["read"])
    assert client.get("/v1/tenant", headers=key.headers).status_code == 200

    revoked = client.delete(f"/v1/api-keys/{key.id}", headers=agency.headers)

    assert revoked.status_code == 204
    assert_problem(client.get("/v1/tenant", headers=key.headers), 401, code="unauthorized")
    entry = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)
    assert entry["revoked_at"] is not None
    assert client.get("/v1/tenant", headers=agency.headers).status_code == 200


def test_revoking_twice_keeps_the_first_revocation_time(client: TestClient[Litestar], agency: Agency) -> None:
    key = create_key(client, agency, ["read"])
    client.delete(f"/v1/api-keys/{key.id}", headers=agency.headers)
    first = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)

    again = client.delete(f"/v1/api-keys/{key.id}", headers=agency.headers)

    assert again.status_code == 204
    second = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)
    assert second["revoked_at"] == first["revoked_at"]


def test_revoking_an_unknown_key_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.delete(f"/v1/api-keys/{uuid.uuid4()}", headers=agency.headers)

    assert_problem(response, 404, code="not_found", field="key_id")


def test_last_used_at_is_set_when_a_key_is_used(client: TestClient[Litestar], agency: Agency) -> None:
    key = create_key(client, agency, ["read"])
    before = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)
    assert before["last_used_at"] is None

    started = datetime.now(UTC)
    assert client.get("/v1/clients", headers=key.headers).status_code == 200

    after = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)
    assert after["last_used_at"] is not None
    used_at = parse_time(after["last_used_at"])
    assert started - timedelta(seconds=5) <= used_at <= datetime.now(UTC) + timedelta(seconds=5)


def test_last_used_at_is_written_at_most_once_a_minute_even_when_the_cache_expires(
    client: TestClient[Litestar], agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = create_key(client, agency, ["read"])
    assert client.get("/v1/clients", headers=key.headers).status_code == 200
    first = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)
    monkeypatch.setattr("api.auth.CACHE_SECONDS", 0.0)  # every request now looks the key up again
    client.app.state.services.key_cache.forget_key(uuid.UUID(key.id))
    assert client.get("/v1/clients", headers=key.headers).status_code == 200
    second = next(k for k in client.get("/v1/api-keys", headers=agency.headers).json()["data"] if k["id"] == key.id)
    assert second["last_used_at"] == first["last_used_at"]


def test_a_non_bearer_authorization_scheme_is_named_in_the_401(client: TestClient[Litestar]) -> None:
    response = client.get("/v1/clients", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    body = assert_problem(response, 401, code="unauthorized")
    assert "'Basic' scheme" in body["detail"]
    assert "Authorization: Bearer" in body["detail"]


def test_keys_are_listed_oldest_first_revoked_included(client: TestClient[Litestar], agency: Agency) -> None:
    first = create_key(client, agency, ["read"], name="first")
    second = create_key(client, agency, ["read"], name="second")
    client.delete(f"/v1/api-keys/{first.id}", headers=agency.headers)

    listed = client.get("/v1/api-keys", headers=agency.headers).json()["data"]

    assert [k["id"] for k in listed] == [agency.key_id, first.id, second.id]
    assert [k["revoked_at"] is not None for k in listed] == [False, True, False]


INVALID_KEY_REQUESTS: dict[str, tuple[dict[str, object], str]] = {
    "empty name": ({"name": ""}, "name"),
    "no scopes": ({"name": "k", "scopes": []}, "scopes"),
    "unknown scope": ({"name": "k", "scopes": ["superuser"]}, "scopes"),
    "no name": ({"scopes": ["read"]}, "name"),
    "tenant in the body": ({"name": "k", "tenant_id": str(uuid.uuid4())}, "tenant_id"),
}

BAD_CREDENTIALS: dict[str, dict[str, str]] = {
    "missing": {},
    "malformed": {"Authorization": "Bearer rsn_live_short"},
    "bad checksum": {"Authorization": "Bearer rsn_live_" + "A" * 38},
    "other scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    "malformed X-API-Key": {"X-API-Key": "not-a-key"},
}


def test_invalid_key_request_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    for case, (body, field_prefix) in INVALID_KEY_REQUESTS.items():
        with subtests.test(case):
            response = client.post("/v1/api-keys", json=body, headers=agency.headers)
            problem = assert_problem(response, 422, code="validation_error")
            assert str(problem["field"]).startswith(field_prefix), problem

    assert len(client.get("/v1/api-keys", headers=agency.headers).json()["data"]) == 1


def test_missing_or_malformed_key_is_401_problem(client: TestClient[Litestar], subtests: pytest.Subtests) -> None:
    for case, headers in BAD_CREDENTIALS.items():
        with subtests.test(case):
            response = client.get("/v1/api-keys", headers=headers)
            problem = assert_problem(response, 401, code="unauthorized")
            assert "rsn_live_" in problem["detail"]


def test_well_formed_but_unknown_key_is_401(client: TestClient[Litestar], agency: Agency) -> None:
    unknown = api_keys.generate().secret
    assert api_keys.is_well_formed(unknown)

    response = client.get("/v1/tenant", headers={"Authorization": f"Bearer {unknown}"})

    problem = assert_problem(response, 401, code="unauthorized")
    assert "revoked" in problem["detail"]
