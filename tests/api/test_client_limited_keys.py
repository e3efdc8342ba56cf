"""API keys limited to one client: that client's objects only, everything of another client a 404, nothing agency-wide.

The walk covers every route with a path parameter, as the cross-tenant walk does (`test_cross_tenant.py`), with a key
of the same agency limited to a sibling client: the other client's objects must be exactly as invisible to it as
another agency's are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from api.app import create_app
from api.sync.models import SyncRun
from tenants.models import ApiKey
from tests.api import test_cross_tenant
from tests.api.conftest import (
    Key,
    assert_problem,
    count_rows,
    create_account,
    create_client,
    insert_metric_points,
    list_all,
    owner_connection,
    sync_account,
    table,
)
from tests.api.test_cross_tenant import (
    BODIES,
    TENANT_ID_PARAMETERS,
    _assert_no_leak,
    _fill,
    _handlers,
    _snapshot,
    tenant_routes,
)
from tests.conftest import Agency, TestDatabase, make_settings, sign_up

the_other_client = test_cross_tenant.alpha
"""The `alpha` fixture: a client of the agency with one of everything; here, the client the key is not limited to."""

AGENCY_WIDE_PREFIXES = ("/v1/api-keys", "/v1/webhook-endpoints", "/v1/tenant/domains")
"""Routes whose objects belong to the whole agency, not to a client: a client-limited key is refused them (403)."""


def limited_key(client: TestClient[Litestar], agency: Agency, client_id: str, scopes: list[str] | None = None) -> Key:
    response = client.post(
        "/v1/api-keys",
        json={"name": "brand dashboard", "scopes": scopes or ["read", "write"], "client_id": client_id},
        headers=agency.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_id"] == client_id
    return Key(id=body["id"], secret=body["secret"], prefix=body["prefix"])


@pytest.fixture
def mine(client: TestClient[Litestar], agency: Agency) -> dict[str, Any]:
    """The client the key is limited to, with a synced account, a rule and the alert it opened, and the key."""
    owner = create_client(client, agency, "Maison Limitée")
    account = create_account(client, agency, owner["id"], "limitee")
    sync_account(client, agency, account["id"], date(2026, 1, 5), date(2026, 1, 11))
    rule = client.post(
        "/v1/alert-rules",
        json={"client_id": owner["id"], "kind": "silence", "params": {"days": 1}},
        headers=agency.headers,
    ).json()
    [alert] = client.post(f"/v1/clients/{owner['id']}/alerts/evaluate", json={}, headers=agency.headers).json()[
        "opened"
    ]
    key = limited_key(client, agency, owner["id"])
    return {
        "client_id": owner["id"],
        "account_id": account["id"],
        "rule_id": rule["id"],
        "alert_id": alert["id"],
        "key": key,
    }


# --- the key ---------------------------------------------------------------------------------------------------


def test_a_key_limited_to_a_client_stores_and_shows_its_client(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency, "Maison Limitée")

    key = limited_key(client, agency, owner["id"], ["read"])

    listed = {entry["id"]: entry for entry in client.get("/v1/api-keys", headers=agency.headers).json()["data"]}
    assert listed[key.id]["client_id"] == owner["id"]
    assert listed[agency.key_id]["client_id"] is None  # the signup key sees the whole agency
    with owner_connection(database) as connection:
        stored = connection.execute(select(table(ApiKey).c.client_id).where(table(ApiKey).c.id == uuid.UUID(key.id)))
        assert stored.scalar_one() == uuid.UUID(owner["id"])


def test_a_key_cannot_be_limited_to_an_unknown_or_another_agencys_client(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    foreign = create_client(client, other_agency, "Beta's client")
    unknown = str(uuid.uuid4())

    answers = {}
    for case, client_id in {"another agency's": foreign["id"], "unknown": unknown}.items():
        response = client.post(
            "/v1/api-keys", json={"name": "k", "scopes": ["read"], "client_id": client_id}, headers=agency.headers
        )
        problem = assert_problem(response, 404, code="not_found", field="client_id")
        answers[case] = problem["detail"].replace(client_id, "<id>")

    assert answers["another agency's"] == answers["unknown"]
    assert len(client.get("/v1/api-keys", headers=agency.headers).json()["data"]) == 1


@pytest.mark.parametrize("scope", ["admin", "webhooks"])
def test_a_client_limited_key_cannot_carry_an_agency_wide_scope(
    client: TestClient[Litestar], agency: Agency, scope: str
) -> None:
    owner = create_client(client, agency, "Maison Limitée")

    response = client.post(
        "/v1/api-keys",
        json={"name": "k", "scopes": ["read", scope], "client_id": owner["id"]},
        headers=agency.headers,
    )

    problem = assert_problem(response, 422, code="validation_error", field="scopes")
    assert f"'{scope}'" in problem["detail"]


# --- what it sees -----------------------------------------------------------------------------------------------


def test_the_other_clients_objects_are_404_on_every_route_and_nothing_changes(
    client: TestClient[Litestar],
    agency: Agency,
    the_other_client: dict[str, Any],
    mine: dict[str, Any],
    database: TestDatabase,
) -> None:
    ids, markers = the_other_client["ids"], the_other_client["markers"]
    key: Key = mine["key"]
    before = _snapshot(client, agency, ids)
    runs_before = count_rows(database, SyncRun, account_id=ids["account_id"])
    walked = 0

    for route in tenant_routes(client.app):
        if not set(route.path_parameters) & set(TENANT_ID_PARAMETERS):
            continue  # only shared objects in the path (connectors)
        path = _fill(route, ids)
        in_path = {value for value in ids.values() if value in path}
        agency_wide = route.path.startswith(AGENCY_WIDE_PREFIXES)
        for method, _ in _handlers(route):
            response = client.request(method, path, json=BODIES.get((method, route.path)), headers=key.headers)
            where = f"{method} {route.path} with a key limited to another client"
            if agency_wide:
                problem = assert_problem(response, 403, code="forbidden")
                assert "limited to client" in problem["detail"], where
            else:
                problem = assert_problem(response, 404, code="not_found")
                assert problem.get("field") in {*route.path_parameters, None}, where
            _assert_no_leak(response.text, markers - {agency.tenant_id}, in_path, where)
            walked += 1

    assert walked >= 40
    assert _snapshot(client, agency, ids) == before
    assert count_rows(database, SyncRun, account_id=ids["account_id"]) == runs_before


def test_the_other_clients_ids_in_query_parameters_and_bodies_are_refused_as_unknown(
    client: TestClient[Litestar], the_other_client: dict[str, Any], mine: dict[str, Any]
) -> None:
    ids, headers = the_other_client["ids"], mine["key"].headers
    window = {"from": "2026-01-01", "to": "2026-01-31"}

    for parameter in ("client_id", "account_id"):
        response = client.get("/v1/metrics", params={parameter: ids[parameter], **window}, headers=headers)
        assert_problem(response, 404, code="not_found", field=parameter)
    for path in ("/v1/alert-rules", "/v1/alerts"):
        assert_problem(
            client.get(path, params={"client_id": ids["client_id"]}, headers=headers), 404, field="client_id"
        )
    rule = client.post(
        "/v1/alert-rules", json={"client_id": ids["client_id"], "kind": "mention_spike"}, headers=headers
    )
    assert_problem(rule, 404, field="client_id")
    watching = client.post(
        "/v1/alert-rules",
        json={
            "client_id": mine["client_id"],
            "kind": "silence",
            "params": {"days": 3, "account_id": ids["account_id"]},
        },
        headers=headers,
    )
    assert_problem(watching, 422, field="params.account_id")
    objective = client.post(
        "/v1/alert-rules",
        json={
            "client_id": mine["client_id"],
            "kind": "objective_off_track",
            "params": {"objective_id": ids["objective_id"]},
        },
        headers=headers,
    )
    assert_problem(objective, 422, field="params.objective_id")


def test_lists_show_only_the_keys_client(
    client: TestClient[Litestar], agency: Agency, the_other_client: dict[str, Any], mine: dict[str, Any]
) -> None:
    key: Key = mine["key"]
    as_key = Agency(tenant_id=agency.tenant_id, key=key.secret, key_id=key.id)

    assert [row["id"] for row in list_all(client, as_key, "/v1/clients")] == [mine["client_id"]]
    assert [row["id"] for row in list_all(client, as_key, "/v1/alert-rules")] == [mine["rule_id"]]
    assert [row["id"] for row in list_all(client, as_key, "/v1/alerts")] == [mine["alert_id"]]
    # The agency's own key still lists both clients' rows.
    assert len(list_all(client, agency, "/v1/clients")) == 2
    assert len(list_all(client, agency, "/v1/alerts")) == 2
    own = client.get(f"/v1/clients/{mine['client_id']}/accounts", headers=key.headers)
    assert [row["id"] for row in own.json()["data"]] == [mine["account_id"]]
    metrics = client.get(
        "/v1/metrics",
        params={"client_id": mine["client_id"], "from": "2026-01-05", "to": "2026-01-11"},
        headers=key.headers,
    )
    assert metrics.status_code == 200, metrics.text
    assert {series["account_id"] for series in metrics.json()["series"]} == {mine["account_id"]}


def test_it_works_within_its_client(client: TestClient[Litestar], mine: dict[str, Any]) -> None:
    headers, base = mine["key"].headers, f"/v1/clients/{mine['client_id']}"

    renamed = client.patch(base, json={"name": "Maison Renommée"}, headers=headers)
    account = client.post(f"{base}/accounts", json={"network": "demo", "handle": "second"}, headers=headers)
    sync = client.post(f"/v1/accounts/{mine['account_id']}/syncs", json={}, headers=headers)
    resolved = client.post(f"/v1/alerts/{mine['alert_id']}/resolve", json={"note": "done"}, headers=headers)

    assert (renamed.status_code, account.status_code, sync.status_code, resolved.status_code) == (200, 201, 202, 200)
    assert client.get(f"/v1/syncs/{sync.json()['id']}", headers=headers).status_code == 200
    for path in ("/v1/tenant", "/v1/connectors", "/v1/metrics/catalog", "/v1/plans"):
        assert client.get(path, headers=headers).status_code == 200, path


def test_it_cannot_touch_what_belongs_to_the_whole_agency(
    client: TestClient[Litestar], agency: Agency, mine: dict[str, Any], database: TestDatabase
) -> None:
    headers = mine["key"].headers
    refused = {
        "create a client": client.post("/v1/clients", json={"name": "Another"}, headers=headers),
        "delete its client": client.delete(f"/v1/clients/{mine['client_id']}", headers=headers),
        "create a key": client.post("/v1/api-keys", json={"name": "k", "scopes": ["read"]}, headers=headers),
        "list keys": client.get("/v1/api-keys", headers=headers),
        "revoke a key": client.delete(f"/v1/api-keys/{agency.key_id}", headers=headers),
        "list webhook endpoints": client.get("/v1/webhook-endpoints", headers=headers),
        "read usage": client.get("/v1/usage", headers=headers),
        "read the subscription": client.get("/v1/subscription", headers=headers),
        "start a checkout": client.post("/v1/billing/checkout-session", json={"plan": "scale"}, headers=headers),
        "open the billing portal": client.post("/v1/billing/portal-session", json={}, headers=headers),
    }

    for action, response in refused.items():
        problem = assert_problem(response, 403, code="forbidden")
        assert f"limited to client {mine['client_id']}" in problem["detail"], (action, problem)
    assert len(list_all(client, agency, "/v1/clients")) == 1
    assert count_rows(database, ApiKey, tenant_id=agency.tenant_id) == 2
    assert client.get("/v1/tenant", headers=agency.headers).status_code == 200  # the agency key was not revoked


def test_deleting_the_client_deletes_the_keys_limited_to_it(
    client: TestClient[Litestar], agency: Agency, mine: dict[str, Any], database: TestDatabase
) -> None:
    key: Key = mine["key"]
    assert client.get("/v1/tenant", headers=key.headers).status_code == 200  # cached in this process now

    assert client.delete(f"/v1/clients/{mine['client_id']}", headers=agency.headers).status_code == 204

    assert count_rows(database, ApiKey, id=key.id) == 0
    assert_problem(client.get("/v1/tenant", headers=key.headers), 401, code="unauthorized")


# --- the cached metrics path ------------------------------------------------------------------------------------


@pytest.fixture
def cached_client(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(make_settings(database, metrics_cache_seconds=60))) as test_client:
        yield test_client


def test_a_cached_metrics_read_is_never_served_to_a_key_limited_to_another_client(
    cached_client: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(cached_client)
    theirs, mine = create_client(cached_client, agency, "Theirs"), create_client(cached_client, agency, "Mine")
    their_account = create_account(cached_client, agency, theirs["id"], "theirs")
    my_account = create_account(cached_client, agency, mine["id"], "mine")
    for account in (their_account, my_account):
        insert_metric_points(
            database, agency.tenant_id, account["id"], "impressions", "page_impressions", {date(2026, 3, 2): 7}
        )
    key = limited_key(cached_client, agency, mine["id"], ["read"])
    window = {"metric": "impressions", "from": "2026-03-02", "to": "2026-03-02"}
    for parameter, value in (("account_id", their_account["id"]), ("client_id", theirs["id"])):
        params = {parameter: value, **window}
        assert cached_client.get("/v1/metrics", params=params, headers=agency.headers).status_code == 200
        assert cached_client.get("/v1/metrics", params=params, headers=agency.headers).headers["x-cache"] == "hit"
        assert cached_client.get("/v1/tenant", headers=key.headers).status_code == 200  # the key is cached too

        for _ in range(2):
            response = cached_client.get("/v1/metrics", params=params, headers=key.headers)
            assert_problem(response, 404, code="not_found", field=parameter)
            assert "x-cache" not in response.headers

    own = {"account_id": my_account["id"], **window}
    first = cached_client.get("/v1/metrics", params=own, headers=key.headers)
    again = cached_client.get("/v1/metrics", params=own, headers=key.headers)
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert again.content == first.content
