"""Accounts: a client's presence on one network, synced by the connector of that network."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from api.accounts.models import SocialAccount
from tests.api.conftest import (
    account_footprint,
    assert_problem,
    create_account,
    create_client,
    make_client_and_account,
    owner_connection,
    sync_account,
    table,
)
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SECRET = "tok-Sup3rSecret-4242"


def _stored_credentials(database: TestDatabase, account_id: str) -> str | None:
    accounts = table(SocialAccount)
    with owner_connection(database) as connection:
        value = connection.execute(
            select(accounts.c.credentials_encrypted).where(accounts.c.id == uuid.UUID(account_id))
        ).scalar_one()
    return None if value is None else str(value)


def test_create_account_without_credentials(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)

    response = client.post(
        f"/v1/clients/{owner['id']}/accounts",
        json={"network": "demo", "handle": "martin", "display_name": "Martin", "settings": {"lang": "fr"}},
        headers=agency.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_id"] == owner["id"]
    assert (body["network"], body["handle"], body["kind"], body["display_name"]) == (
        "demo",
        "martin",
        "owned",
        "Martin",
    )
    assert body["has_credentials"] is False
    assert body["settings"] == {"lang": "fr"}
    assert (body["status"], body["sync_enabled"]) == ("active", True)
    assert "credentials" not in body
    assert client.get(f"/v1/accounts/{body['id']}", headers=agency.headers).json() == body


def test_credentials_are_stored_encrypted_and_never_returned(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)

    created = client.post(
        f"/v1/clients/{owner['id']}/accounts",
        json={"network": "demo", "handle": "martin", "credentials": {"api_token": SECRET}},
        headers=agency.headers,
    )

    assert created.status_code == 201
    assert created.json()["has_credentials"] is True
    account_id = created.json()["id"]
    responses = [
        created,
        client.get(f"/v1/accounts/{account_id}", headers=agency.headers),
        client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers),
        client.patch(f"/v1/accounts/{account_id}", json={"display_name": "M"}, headers=agency.headers),
    ]
    for response in responses:
        assert response.status_code in {200, 201}
        assert SECRET not in response.text
        assert "api_token" not in response.text
    stored = _stored_credentials(database, account_id)
    assert stored is not None
    assert SECRET not in stored


def test_replacing_credentials_with_nothing_clears_them(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    account = create_account(client, agency, owner["id"], credentials={"api_token": SECRET})

    response = client.patch(f"/v1/accounts/{account['id']}", json={"credentials": {}}, headers=agency.headers)

    assert response.status_code == 200
    assert response.json()["has_credentials"] is False
    assert _stored_credentials(database, account["id"]) is None


def test_unknown_network_is_422_listing_the_connectors(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)

    response = client.post(
        f"/v1/clients/{owner['id']}/accounts", json={"network": "myspace", "handle": "tom"}, headers=agency.headers
    )

    problem = assert_problem(response, 422, code="validation_error", field="network")
    assert "myspace" in problem["detail"]
    assert "demo" in problem["detail"]
    assert client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"] == []


BAD_CREDENTIALS: dict[str, tuple[dict[str, Any], str]] = {
    "wrong type": ({"api_token": 987654321}, "credentials.api_token"),
    "too short": ({"api_token": ""}, "credentials.api_token"),
    "unknown field": ({"password": SECRET}, "credentials"),
    "extra field": ({"api_token": SECRET, "client_secret": SECRET}, "credentials"),
}


def test_credentials_not_matching_the_schema_are_422_without_echoing_them(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    owner = create_client(client, agency)

    for case, (credentials, field) in BAD_CREDENTIALS.items():
        with subtests.test(case):
            response = client.post(
                f"/v1/clients/{owner['id']}/accounts",
                json={"network": "demo", "handle": "martin", "credentials": credentials},
                headers=agency.headers,
            )
            problem = assert_problem(response, 422, code="validation_error", field=field)
            assert "demo" in problem["detail"]
            for value in credentials.values():
                if value:
                    assert str(value) not in response.text

    assert client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"] == []


def test_invalid_credentials_in_a_patch_are_422_and_keep_the_old_ones(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    account = create_account(client, agency, owner["id"], credentials={"api_token": SECRET})
    stored = _stored_credentials(database, account["id"])

    response = client.patch(
        f"/v1/accounts/{account['id']}", json={"credentials": {"token": "leak-me-not"}}, headers=agency.headers
    )

    assert_problem(response, 422, code="validation_error", field="credentials")
    assert "leak-me-not" not in response.text
    assert _stored_credentials(database, account["id"]) == stored


INVALID_ACCOUNTS: dict[str, tuple[dict[str, Any], str]] = {
    "empty handle": ({"handle": ""}, "handle"),
    "empty network": ({"network": ""}, "network"),
    "unknown kind": ({"kind": "rival"}, "kind"),
    "credentials not an object": ({"credentials": "hunter2"}, "credentials"),
    "sync_enabled not a boolean": ({"sync_enabled": "often"}, "sync_enabled"),
    "unknown field": ({"owner": "me"}, "owner"),
}


def test_invalid_account_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    owner = create_client(client, agency)

    for case, (fields, field) in INVALID_ACCOUNTS.items():
        with subtests.test(case):
            response = client.post(
                f"/v1/clients/{owner['id']}/accounts",
                json={"network": "demo", "handle": "martin", **fields},
                headers=agency.headers,
            )
            assert_problem(response, 422, code="validation_error", field=field)
            assert "hunter2" not in response.text

    assert client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"] == []


def test_missing_handle_is_422_naming_it(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)

    response = client.post(f"/v1/clients/{owner['id']}/accounts", json={"network": "demo"}, headers=agency.headers)

    assert_problem(response, 422, code="validation_error", field="handle")


def test_account_of_an_unknown_client_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.post(
        f"/v1/clients/{uuid.uuid4()}/accounts", json={"network": "demo", "handle": "x"}, headers=agency.headers
    )

    assert_problem(response, 404, code="not_found", field="client_id")


def test_duplicate_handle_is_409(client: TestClient[Litestar], agency: Agency) -> None:
    owner, first = make_client_and_account(client, agency)

    response = client.post(
        f"/v1/clients/{owner['id']}/accounts", json={"network": "demo", "handle": "martin"}, headers=agency.headers
    )

    problem = assert_problem(response, 409, code="conflict", field="handle")
    assert first["id"] in problem["detail"]
    assert len(client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"]) == 1


def test_same_handle_for_another_client_is_allowed(client: TestClient[Litestar], agency: Agency) -> None:
    make_client_and_account(client, agency, name="First", handle="shared")
    second = create_client(client, agency, "Second")

    response = client.post(
        f"/v1/clients/{second['id']}/accounts", json={"network": "demo", "handle": "shared"}, headers=agency.headers
    )

    assert response.status_code == 201


def test_competitor_accounts_are_tracked_on_public_data_connectors(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency)

    body = create_account(client, agency, owner["id"], "rival", kind="competitor")

    assert body["kind"] == "competitor"


def test_list_accounts_filters_by_kind_and_network(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    mine = create_account(client, agency, owner["id"], "mine")
    rival = create_account(client, agency, owner["id"], "rival", kind="competitor")
    other_client = create_client(client, agency, "Elsewhere")
    create_account(client, agency, other_client["id"], "elsewhere")
    path = f"/v1/clients/{owner['id']}/accounts"

    def ids(**params: str) -> list[str]:
        return [a["id"] for a in client.get(path, params=params, headers=agency.headers).json()["data"]]

    assert ids() == [mine["id"], rival["id"]]
    assert ids(kind="competitor") == [rival["id"]]
    assert ids(kind="owned") == [mine["id"]]
    assert ids(network="demo") == [mine["id"], rival["id"]]
    assert ids(network="mastodon") == []


def test_paused_account_cannot_be_synced_until_resumed(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)

    paused = client.patch(f"/v1/accounts/{account['id']}", json={"status": "paused"}, headers=agency.headers)

    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    refused = client.post(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers)
    problem = assert_problem(refused, 409, code="conflict")
    assert "paused" in problem["detail"]
    assert client.get(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).json()["data"] == []
    resumed = client.patch(f"/v1/accounts/{account['id']}", json={"status": "active"}, headers=agency.headers)
    assert resumed.json()["status"] == "active"
    assert client.post(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).status_code == 202


INVALID_ACCOUNT_PATCHES: dict[str, tuple[dict[str, Any], str]] = {
    "status set by the system": ({"status": "needs_reauth"}, "status"),
    "status error": ({"status": "error"}, "status"),
    "handle is fixed": ({"handle": "renamed"}, "handle"),
    "settings not an object": ({"settings": []}, "settings"),
}


def test_invalid_account_patch_is_422_and_changes_nothing(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    _, account = make_client_and_account(client, agency)

    for case, (fields, field) in INVALID_ACCOUNT_PATCHES.items():
        with subtests.test(case):
            response = client.patch(f"/v1/accounts/{account['id']}", json=fields, headers=agency.headers)
            assert_problem(response, 422, code="validation_error", field=field)
            assert client.get(f"/v1/accounts/{account['id']}", headers=agency.headers).json() == account


def test_patch_changes_only_the_fields_sent(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)

    response = client.patch(
        f"/v1/accounts/{account['id']}",
        json={"display_name": "Martin & fils", "sync_enabled": False, "settings": {"fail_after_days": 3}},
        headers=agency.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["display_name"], body["sync_enabled"], body["settings"]) == (
        "Martin & fils",
        False,
        {"fail_after_days": 3},
    )
    assert (body["handle"], body["status"], body["has_credentials"]) == ("martin", "active", False)


def test_get_unknown_account_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(client.get(f"/v1/accounts/{uuid.uuid4()}", headers=agency.headers), 404, field="account_id")


def test_delete_account_removes_it_with_its_data(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner, account = make_client_and_account(client, agency)
    kept = create_account(client, agency, owner["id"], "kept")
    run = sync_account(client, agency, account["id"], date(2026, 1, 1), date(2026, 1, 7))
    assert all(account_footprint(database, account["id"]).values())

    response = client.delete(f"/v1/accounts/{account['id']}", headers=agency.headers)

    assert response.status_code == 204
    assert set(account_footprint(database, account["id"]).values()) == {0}
    assert_problem(client.get(f"/v1/accounts/{account['id']}", headers=agency.headers), 404)
    assert_problem(client.get(f"/v1/syncs/{run['id']}", headers=agency.headers), 404)
    listed = client.get(f"/v1/clients/{owner['id']}/accounts", headers=agency.headers).json()["data"]
    assert [a["id"] for a in listed] == [kept["id"]]
    assert client.get(f"/v1/clients/{owner['id']}", headers=agency.headers).status_code == 200
    assert_problem(client.delete(f"/v1/accounts/{account['id']}", headers=agency.headers), 404)


def test_target_cadence_is_set_changed_and_validated(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    account = client.post(
        f"/v1/clients/{owner['id']}/accounts",
        json={"network": "demo", "handle": "cadence", "target_posts_per_week": 3},
        headers=agency.headers,
    ).json()
    assert account["target_posts_per_week"] == 3

    negative = client.patch(f"/v1/accounts/{account['id']}", json={"target_posts_per_week": -1}, headers=agency.headers)
    assert_problem(negative, 422, code="validation_error", field="target_posts_per_week")

    changed = client.patch(f"/v1/accounts/{account['id']}", json={"target_posts_per_week": 1.5}, headers=agency.headers)
    assert changed.json()["target_posts_per_week"] == 1.5
    assert client.get(f"/v1/accounts/{account['id']}", headers=agency.headers).json()["target_posts_per_week"] == 1.5
