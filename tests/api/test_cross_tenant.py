"""Tenant isolation through the API: another agency's object is a 404, never its data, never changed.

The walk covers every route with a path parameter, whatever its method, so a new route is covered
the day it is added; a route with a path parameter this file does not know fails the suite.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from api.sync.models import SyncRun
from tests.api.conftest import (
    assert_problem,
    count_rows,
    create_account,
    create_client,
    create_key,
    list_all,
    sync_account,
)
from tests.api.subscription_rows import set_subscription
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

TENANT_ID_PARAMETERS = (
    "client_id",
    "account_id",
    "sync_id",
    "key_id",
    "cost_id",
    "value_id",
    "objective_id",
    "endpoint_id",
    "delivery_id",
    "rule_id",
    "alert_id",
    "report_id",
    "mention_id",
    "host",
)
"""Path parameters naming a tenant's own object: filled with agency A's real ids."""

GLOBAL_PARAMETERS = {"connector_id": "demo"}
"""Path parameters naming something every tenant shares (installed connectors)."""

UNTENANTED_PREFIXES = ("/docs", "/v1/oauth/callback", "/portal/")
"""Routes that serve no tenant data at all (the OpenAPI document and its UI), or that take no API key and
find their tenant otherwise (the OAuth callback, by its state: see test_oauth.py; the portal's pages, by the
signed-in member's session: see tests/portal/test_sign_in.py)."""

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/clients/{client_id:uuid}/reports"): {"format": "json"},
    ("PATCH", "/v1/clients/{client_id:uuid}"): {"name": "Hijacked", "industry": "piracy"},
    ("POST", "/v1/clients/{client_id:uuid}/accounts"): {"network": "demo", "handle": "intruder"},
    ("PATCH", "/v1/accounts/{account_id:uuid}"): {"status": "paused", "display_name": "Hijacked", "credentials": {}},
    ("POST", "/v1/accounts/{account_id:uuid}/syncs"): {"since": "2026-01-01", "until": "2026-01-02"},
    ("POST", "/v1/clients/{client_id:uuid}/oauth/authorizations"): {"network": "demo", "handle": "intruder"},
    ("PUT", "/v1/clients/{client_id:uuid}/mentions/{mention_id:uuid}/sentiment"): {"label": "negative"},
    ("POST", "/v1/clients/{client_id:uuid}/mentions"): [
        {"source": "intruder", "external_id": "x-1", "published_at": "2026-01-06T10:00:00Z", "text": "Hijacked"}
    ],
    ("POST", "/v1/clients/{client_id:uuid}/costs"): {"type": "tools", "date": "2026-01-05", "amount": "1"},
    ("POST", "/v1/clients/{client_id:uuid}/values"): {"type": "conversion", "date": "2026-01-05", "amount": "1"},
    ("PUT", "/v1/clients/{client_id:uuid}/emv-rates"): {"cpm": {"demo": "99"}},
    ("POST", "/v1/clients/{client_id:uuid}/objectives"): {
        "metric": "followers",
        "target": "1",
        "start": "2026-01-01",
        "end": "2026-01-31",
    },
    ("PATCH", "/v1/clients/{client_id:uuid}/objectives/{objective_id:uuid}"): {"target": "1", "name": "Hijacked"},
    ("PATCH", "/v1/alert-rules/{rule_id:uuid}"): {"enabled": False, "name": "Hijacked", "cooldown_hours": 0},
    ("POST", "/v1/alerts/{alert_id:uuid}/resolve"): {"note": "Hijacked"},
    ("POST", "/v1/clients/{client_id:uuid}/alerts/evaluate"): {},
}
"""A valid body for each route that takes one, so the call reaches the tenant check."""

CLIENT_NAME = "Alpha Confidential Client"
HANDLE = "alpha_private_handle"
DISPLAY_NAME = "Alpha Display Name"
KEY_NAME = "alpha-reporting-key"
RULE_NAME = "Alpha silence watch"
ACCOUNT_TOKEN = "alpha-token-0451"
COST_NOTE = "alpha secret retainer"
VALUE_CAMPAIGN = "alpha-secret-campaign"
OBJECTIVE_NAME = "alpha secret objective"
WEBHOOK_URL = "http://93.184.215.14/alpha-private-hook"
"""A literal public address (accepted without DNS); nothing is delivered in these tests."""
WEBHOOK_DESCRIPTION = "Alpha on-call channel"


def _handlers(route: HTTPRoute) -> list[tuple[str, HTTPRouteHandler]]:
    return [
        (method, handler)
        for handler in route.route_handlers
        for method in sorted(handler.http_methods)
        if method not in {"OPTIONS", "HEAD"}
    ]


def tenant_routes(app: Litestar) -> list[HTTPRoute]:
    """Every HTTP route with a path parameter that serves tenant data."""
    return [
        route
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path_parameters and not route.path.startswith(UNTENANTED_PREFIXES)
    ]


def _fill(route: HTTPRoute, ids: dict[str, str]) -> str:
    path = route.path
    for name, parameter in route.path_parameters.items():
        path = path.replace(f"{{{parameter.full}}}", ids.get(name, GLOBAL_PARAMETERS.get(name, "")))
    return path


@pytest.fixture
def alpha(client: TestClient[Litestar], agency: Agency) -> dict[str, Any]:
    """Agency A with one of everything: a client, a synced account with credentials, a sync run, a key,
    a webhook endpoint and a delivery to it, an alert rule and the alert it opened (a silence: the account's
    last post is in January 2026)."""

    owner = create_client(client, agency, CLIENT_NAME, industry="secret industry")
    account = create_account(
        client, agency, owner["id"], HANDLE, display_name=DISPLAY_NAME, credentials={"api_token": ACCOUNT_TOKEN}
    )
    run = sync_account(client, agency, account["id"], date(2026, 1, 5), date(2026, 1, 11))
    key = create_key(client, agency, ["read"], name=KEY_NAME)
    posts = list_all(client, agency, f"/v1/accounts/{account['id']}/posts")
    mentions = list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")
    assert posts
    assert mentions
    base = f"/v1/clients/{owner['id']}"
    cost = client.post(
        f"{base}/costs",
        json={"type": "fees", "date": "2026-01-06", "amount": "4321.09", "note": COST_NOTE},
        headers=agency.headers,
    ).json()
    value = client.post(
        f"{base}/values",
        json={"type": "lead", "date": "2026-01-06", "count": 7, "unit_value": "13", "campaign": VALUE_CAMPAIGN},
        headers=agency.headers,
    ).json()
    objective = client.post(
        f"{base}/objectives",
        json={
            "metric": "impressions",
            "target": "5000",
            "start": "2026-01-05",
            "end": "2026-01-31",
            "name": OBJECTIVE_NAME,
        },
        headers=agency.headers,
    ).json()
    rates = client.put(f"{base}/emv-rates", json={"cpm": {"demo": "7.77"}}, headers=agency.headers)
    assert rates.status_code == 200, rates.text
    endpoint = client.post(
        "/v1/webhook-endpoints",
        json={"url": WEBHOOK_URL, "event_types": ["sync.failed"], "description": WEBHOOK_DESCRIPTION},
        headers=agency.headers,
    )
    assert endpoint.status_code == 201, endpoint.text
    delivery = client.post(f"/v1/webhook-endpoints/{endpoint.json()['id']}/test", headers=agency.headers)
    assert delivery.status_code == 202, delivery.text
    rule = client.post(
        "/v1/alert-rules",
        json={"client_id": owner["id"], "kind": "silence", "name": RULE_NAME, "params": {"days": 1}},
        headers=agency.headers,
    )
    assert rule.status_code == 201, rule.text
    evaluation = client.post(f"/v1/clients/{owner['id']}/alerts/evaluate", json={}, headers=agency.headers)
    assert evaluation.status_code == 200, evaluation.text
    [alert] = evaluation.json()["opened"]
    domain = client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    assert domain.status_code == 201, domain.text
    report = client.post(f"{base}/reports", json={"format": "json"}, headers=agency.headers)
    assert report.status_code == 202, report.text
    generator = client.app.state.services.background.reports  # rendered, as a worker would: its file is readable
    with client.portal() as portal:
        rendered = portal.call(generator.generate, uuid.UUID(agency.tenant_id), uuid.UUID(report.json()["id"]))
    assert rendered == "succeeded"
    ids = {
        "client_id": owner["id"],
        "account_id": account["id"],
        "sync_id": run["id"],
        "key_id": key.id,
        "cost_id": cost["id"],
        "value_id": value["id"],
        "objective_id": objective["id"],
        "endpoint_id": endpoint.json()["id"],
        "delivery_id": delivery.json()["id"],
        "rule_id": rule.json()["id"],
        "alert_id": alert["id"],
        "mention_id": mentions[0]["id"],
        "report_id": report.json()["id"],
        "host": domain.json()["host"],
    }
    markers = {
        COST_NOTE,
        VALUE_CAMPAIGN,
        OBJECTIVE_NAME,
        agency.tenant_id,
        agency.key_id,
        CLIENT_NAME,
        HANDLE,
        DISPLAY_NAME,
        KEY_NAME,
        RULE_NAME,
        ACCOUNT_TOKEN,
        "alpha-private-hook",
        WEBHOOK_DESCRIPTION,
        endpoint.json()["secret"],
        delivery.json()["event_id"],
        key.prefix,
        *ids.values(),
        *(p["id"] for p in posts),
        *(p["text"] for p in posts),
        *(m["id"] for m in mentions),
        *(m["text"] for m in mentions),
    }
    return {"ids": ids, "markers": markers, "key": key}


def _snapshot(client: TestClient[Litestar], agency: Agency, ids: dict[str, str]) -> dict[str, Any]:
    """Everything agency A can read about its objects (less the key use times its own reads change)."""
    headers = agency.headers
    keys = [
        {name: value for name, value in key.items() if name != "last_used_at"}
        for key in client.get("/v1/api-keys", headers=headers).json()["data"]
    ]
    return {
        "client": client.get(f"/v1/clients/{ids['client_id']}", headers=headers).json(),
        "account": client.get(f"/v1/accounts/{ids['account_id']}", headers=headers).json(),
        "sync": client.get(f"/v1/syncs/{ids['sync_id']}", headers=headers).json(),
        "domains": client.get("/v1/tenant/domains", headers=headers).json(),
        "syncs": list_all(client, agency, f"/v1/accounts/{ids['account_id']}/syncs"),
        "accounts": list_all(client, agency, f"/v1/clients/{ids['client_id']}/accounts"),
        "posts": list_all(client, agency, f"/v1/accounts/{ids['account_id']}/posts"),
        "mentions": list_all(client, agency, f"/v1/clients/{ids['client_id']}/mentions"),
        "metrics": client.get(
            "/v1/metrics",
            params={"account_id": ids["account_id"], "from": "2026-01-01", "to": "2026-01-31"},
            headers=headers,
        ).json(),
        "keys": keys,
        "costs": list_all(client, agency, f"/v1/clients/{ids['client_id']}/costs"),
        "values": list_all(client, agency, f"/v1/clients/{ids['client_id']}/values"),
        "objectives": list_all(client, agency, f"/v1/clients/{ids['client_id']}/objectives", as_of="2026-01-20"),
        "emv_rates": client.get(f"/v1/clients/{ids['client_id']}/emv-rates", headers=headers).json(),
        "roi": client.get(
            f"/v1/clients/{ids['client_id']}/roi", params={"from": "2026-01-01", "to": "2026-01-31"}, headers=headers
        ).json(),
        "endpoint": client.get(f"/v1/webhook-endpoints/{ids['endpoint_id']}", headers=headers).json(),
        "endpoints": list_all(client, agency, "/v1/webhook-endpoints"),
        "deliveries": list_all(client, agency, f"/v1/webhook-endpoints/{ids['endpoint_id']}/deliveries"),
        "rules": list_all(client, agency, "/v1/alert-rules"),
        "alerts": list_all(client, agency, "/v1/alerts"),
    }


def _assert_no_leak(text: str, markers: set[str], allowed: set[str], where: str) -> None:
    leaked = sorted(marker for marker in markers - allowed if marker in text)
    assert not leaked, f"{where} leaked {leaked}"


def test_every_path_parameter_is_known_to_the_walk(app: Litestar) -> None:
    routes = tenant_routes(app)
    assert routes

    for route in routes:
        unknown = set(route.path_parameters) - set(TENANT_ID_PARAMETERS) - set(GLOBAL_PARAMETERS)
        assert not unknown, f"{route.path} has path parameter(s) {sorted(unknown)}: add them to this walk"
        for method, handler in _handlers(route):
            if "data" in handler.parsed_fn_signature.parameters:
                assert (method, route.path) in BODIES, f"{method} {route.path} takes a body: add one to BODIES"


def test_another_agencys_objects_are_404_on_every_route_and_nothing_changes(
    client: TestClient[Litestar],
    agency: Agency,
    other_agency: Agency,
    alpha: dict[str, Any],
    database: TestDatabase,
) -> None:
    ids, markers = alpha["ids"], alpha["markers"]
    before = _snapshot(client, agency, ids)
    runs_before = count_rows(database, SyncRun, account_id=ids["account_id"])
    calls = 0

    for route in tenant_routes(client.app):
        if not set(route.path_parameters) & set(TENANT_ID_PARAMETERS):
            continue  # only shared objects in the path (connectors)
        path = _fill(route, ids)
        in_path = {value for value in ids.values() if value in path}
        for method, _ in _handlers(route):
            if method == "GET":
                own = client.get(path, headers=agency.headers)
                assert own.status_code == 200, f"agency A cannot read its own {path}: {own.text}"
            body = BODIES.get((method, route.path))
            response = client.request(method, path, json=body, headers=other_agency.headers)
            where = f"{method} {route.path} by another agency"
            problem = assert_problem(response, 404, code="not_found")
            assert problem.get("field") in {*route.path_parameters, None}, where
            _assert_no_leak(response.text, markers, in_path, where)
            calls += 1

    assert calls >= 12
    assert _snapshot(client, agency, ids) == before
    assert count_rows(database, SyncRun, account_id=ids["account_id"]) == runs_before
    assert client.get("/v1/tenant", headers=alpha["key"].headers).status_code == 200


def test_shared_objects_are_readable_by_every_agency(client: TestClient[Litestar], other_agency: Agency) -> None:
    for route in tenant_routes(client.app):
        if set(route.path_parameters) & set(TENANT_ID_PARAMETERS):
            continue
        for method, _ in _handlers(route):
            assert method == "GET", f"{method} {route.path} changes a shared object"
            assert client.get(_fill(route, {}), headers=other_agency.headers).status_code == 200


def test_another_agencys_lists_never_contain_our_objects(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, alpha: dict[str, Any]
) -> None:
    ids, markers = alpha["ids"], alpha["markers"]
    own_client = create_client(client, other_agency, "Beta Client")
    own_account = create_account(client, other_agency, own_client["id"], "beta_handle")
    sync_account(client, other_agency, own_account["id"], date(2026, 1, 5), date(2026, 1, 11))
    beta = {"client_id": own_client["id"], "account_id": own_account["id"]}
    listed = 0

    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(UNTENANTED_PREFIXES):
            continue
        if "GET" not in route.methods or set(route.path_parameters) - {"client_id", "account_id"}:
            continue
        path = route.path
        for name, parameter in route.path_parameters.items():
            path = path.replace(f"{{{parameter.full}}}", beta[name])
        params = {"client_id": beta["client_id"]} if path == "/v1/metrics" else {}
        response = client.get(path, params=params, headers=other_agency.headers)
        assert response.status_code == 200, f"GET {path}: {response.text}"
        _assert_no_leak(response.text, markers, set(), f"GET {path} by another agency")
        listed += 1

    assert listed >= 8
    mentions = client.get(
        f"/v1/clients/{beta['client_id']}/mentions",
        params={"account_id": ids["account_id"]},
        headers=other_agency.headers,
    )
    assert_problem(mentions, 404, code="not_found", field="account_id")
    _assert_no_leak(mentions.text, markers, {ids["account_id"]}, "GET mentions filtered by another agency's account")


@pytest.mark.parametrize("parameter", ["account_id", "client_id"])
def test_metrics_of_another_agencys_object_are_404(
    client: TestClient[Litestar], other_agency: Agency, alpha: dict[str, Any], parameter: str
) -> None:
    response = client.get(
        "/v1/metrics",
        params={parameter: alpha["ids"][parameter], "from": "2026-01-01", "to": "2026-01-31"},
        headers=other_agency.headers,
    )

    assert_problem(response, 404, code="not_found")
    _assert_no_leak(response.text, alpha["markers"], {alpha["ids"][parameter]}, "GET /v1/metrics")


def test_same_names_in_two_agencies_stay_apart(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, alpha: dict[str, Any]
) -> None:
    twin = create_client(client, other_agency, CLIENT_NAME)
    create_account(client, other_agency, twin["id"], HANDLE)

    renamed = client.patch(f"/v1/clients/{twin['id']}", json={"name": "Beta Renamed"}, headers=other_agency.headers)

    assert renamed.status_code == 200
    assert client.get(f"/v1/clients/{alpha['ids']['client_id']}", headers=agency.headers).json()["name"] == CLIENT_NAME
    assert client.delete(f"/v1/clients/{twin['id']}", headers=other_agency.headers).status_code == 204
    assert [c["name"] for c in client.get("/v1/clients", headers=agency.headers).json()["data"]] == [CLIENT_NAME]
    accounts = client.get(f"/v1/clients/{alpha['ids']['client_id']}/accounts", headers=agency.headers).json()["data"]
    assert [a["handle"] for a in accounts] == [HANDLE]


def test_another_agencys_subscription_plan_and_standing_are_never_visible_nor_shared(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase
) -> None:
    create_client(client, agency, CLIENT_NAME)
    set_subscription(
        database,
        agency,
        plan="agency",
        status="past_due",
        past_due_since=datetime.now(UTC) - timedelta(days=30),
        stripe_customer_id="cus_alpha_private",
        stripe_subscription_id="sub_alpha_private",
    )
    client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))

    subscription = client.get("/v1/subscription", headers=other_agency.headers)
    plans = client.get("/v1/plans", headers=other_agency.headers)

    body = subscription.json()
    assert (body["plan"], body["status"], body["stripe_customer_id"]) == ("scale", "local", None)
    assert body["access"]["writable"] is True
    assert body["quotas"]["clients"]["usage"] == 0
    assert [plan["id"] for plan in plans.json()["data"] if plan["current"]] == ["scale"]
    for response in (subscription, plans):
        _assert_no_leak(response.text, {"cus_alpha_private", "sub_alpha_private", agency.tenant_id}, set(), "billing")
    # Agency A is read-only; B is not held to A's standing.
    assert client.post("/v1/clients", json={"name": "Beta"}, headers=other_agency.headers).status_code == 201
    assert client.post("/v1/clients", json={"name": "Alpha 2"}, headers=agency.headers).status_code == 402
    assert client.get("/v1/subscription", headers=agency.headers).json()["stripe_customer_id"] == "cus_alpha_private"
