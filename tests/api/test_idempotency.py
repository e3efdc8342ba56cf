"""Idempotency-Key on creating POSTs: a retried request replays the first response and creates nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from api.idempotency import IdempotencyRecord
from tests.api.conftest import assert_problem, create_client, make_client_and_account, owner_connection, table
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _with_key(agency: Agency, key: str) -> dict[str, str]:
    return {**agency.headers, "Idempotency-Key": key}


def test_same_key_and_body_replay_the_first_response(client: TestClient[Litestar], agency: Agency) -> None:
    headers = _with_key(agency, "create-acme-1")

    first = client.post("/v1/clients", json={"name": "Acme"}, headers=headers)
    second = client.post("/v1/clients", json={"name": "Acme"}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"].startswith("application/json")
    assert [c["id"] for c in client.get("/v1/clients", headers=agency.headers).json()["data"]] == [first.json()["id"]]


def test_without_a_key_each_post_is_a_new_request(client: TestClient[Litestar], agency: Agency) -> None:
    create_client(client, agency, "Acme")

    assert_problem(client.post("/v1/clients", json={"name": "Acme"}, headers=agency.headers), 409)


def test_same_key_with_another_body_is_422(client: TestClient[Litestar], agency: Agency) -> None:
    headers = _with_key(agency, "key-1")
    client.post("/v1/clients", json={"name": "Acme"}, headers=headers)

    response = client.post("/v1/clients", json={"name": "Globex"}, headers=headers)

    problem = assert_problem(response, 422, code="idempotency_key_reused", field="Idempotency-Key")
    assert "key-1" in problem["detail"]
    assert [c["name"] for c in client.get("/v1/clients", headers=agency.headers).json()["data"]] == ["Acme"]


def test_same_key_on_another_endpoint_is_422(client: TestClient[Litestar], agency: Agency) -> None:
    headers = _with_key(agency, "key-2")
    owner = client.post("/v1/clients", json={"name": "Acme"}, headers=headers).json()

    response = client.post(
        f"/v1/clients/{owner['id']}/accounts", json={"network": "demo", "handle": "acme"}, headers=headers
    )

    assert_problem(response, 422, code="idempotency_key_reused")
    assert client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"] == []


def test_keys_belong_to_one_tenant(client: TestClient[Litestar], agency: Agency, other_agency: Agency) -> None:
    mine = client.post("/v1/clients", json={"name": "Acme"}, headers=_with_key(agency, "shared-key"))

    theirs = client.post("/v1/clients", json={"name": "Acme"}, headers=_with_key(other_agency, "shared-key"))

    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    other_body = client.post("/v1/clients", json={"name": "Other"}, headers=_with_key(other_agency, "key-b"))
    assert other_body.status_code == 201
    assert client.post("/v1/clients", json={"name": "Different"}, headers=_with_key(agency, "key-b")).status_code == 201
    replay = client.post("/v1/clients", json={"name": "Acme"}, headers=_with_key(agency, "shared-key"))
    assert replay.json()["id"] == mine.json()["id"]
    assert len(client.get("/v1/clients", headers=agency.headers).json()["data"]) == 2
    assert len(client.get("/v1/clients", headers=other_agency.headers).json()["data"]) == 2


def test_a_failed_request_is_not_remembered(client: TestClient[Litestar], agency: Agency) -> None:
    taken = create_client(client, agency, "Acme")
    headers = _with_key(agency, "retry-after-conflict")
    assert_problem(client.post("/v1/clients", json={"name": "Acme"}, headers=headers), 409)
    client.delete(f"/v1/clients/{taken['id']}", headers=agency.headers)

    retried = client.post("/v1/clients", json={"name": "Acme"}, headers=headers)

    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


def test_account_creation_is_idempotent(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    headers = _with_key(agency, "account-1")
    body = {"network": "demo", "handle": "acme", "credentials": {"api_token": "tok-123456"}}

    first = client.post(f"/v1/clients/{owner['id']}/accounts", json=body, headers=headers)
    second = client.post(f"/v1/clients/{owner['id']}/accounts", json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "tok-123456" not in second.text
    assert len(client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"]) == 1


def test_sync_start_is_idempotent(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)
    headers = _with_key(agency, "sync-1")
    window = {"since": "2026-01-01", "until": "2026-01-02"}

    first = client.post(f"/v1/accounts/{account['id']}/syncs", json=window, headers=headers)
    second = client.post(f"/v1/accounts/{account['id']}/syncs", json=window, headers=headers)

    assert first.status_code == second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert len(client.get(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).json()["data"]) == 1


def test_api_key_creation_is_idempotent_without_storing_or_replaying_the_secret(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    headers = _with_key(agency, "key-create-1")
    body = {"name": "ci", "scopes": ["read"]}

    first = client.post("/v1/api-keys", json=body, headers=headers)
    second = client.post("/v1/api-keys", json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    secret = first.json()["secret"]
    assert secret.startswith("rsn_live_")
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["secret"] is None
    assert secret not in second.text
    assert len(client.get("/v1/api-keys", headers=agency.headers).json()["data"]) == 2
    records = table(IdempotencyRecord)
    with owner_connection(database) as connection:
        stored = [str(row) for row in connection.execute(select(records))]
    assert stored
    assert not any(secret in row for row in stored)


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_empty_or_oversized_key_is_422(client: TestClient[Litestar], agency: Agency, key: str) -> None:
    response = client.post("/v1/clients", json={"name": "Acme"}, headers=_with_key(agency, key))

    assert_problem(response, 422, code="validation_error", field="Idempotency-Key")
    assert client.get("/v1/clients", headers=agency.headers).json()["data"] == []


def test_replay_of_a_key_works_after_other_requests(client: TestClient[Litestar], agency: Agency) -> None:
    first: Any = client.post("/v1/clients", json={"name": "Acme"}, headers=_with_key(agency, "early"))
    for n in range(3):
        create_client(client, agency, f"Client {n}")

    replay = client.post("/v1/clients", json={"name": "Acme"}, headers=_with_key(agency, "early"))

    assert replay.json() == first.json()
