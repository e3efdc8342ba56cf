"""Alerts plugged into the rest: their events go out as webhooks, and objectives answer off-track rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import create_account, create_client, insert_metric_points, list_all
from tests.api.test_alerts_api import create_rule, evaluate
from tests.api.test_employer_brand import insert_post
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

HOOK = "http://93.184.215.14/resonance-hook"
"""A literal public address, accepted outside production; nothing is sent in these tests (no worker runs)."""


def test_opening_and_resolving_an_alert_queue_signed_webhook_deliveries(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency, "Maison Dupont", timezone="Europe/Paris")
    account = create_account(client, agency, owner["id"], handle="dupont")
    insert_post(database, agency, account["id"], datetime(2026, 1, 5, 10, tzinfo=UTC), {}, [])
    endpoint = client.post(
        "/v1/webhook-endpoints",
        json={"url": HOOK, "event_types": ["alert.opened", "alert.resolved"]},
        headers=agency.headers,
    ).json()
    create_rule(client, agency, owner["id"], "silence", params={"days": 21})

    [alert] = evaluate(client, agency, owner["id"], date_from="2026-01-20", date_to="2026-02-10")["opened"]
    resolved = client.post(f"/v1/alerts/{alert['id']}/resolve", json={"note": "posted again"}, headers=agency.headers)

    assert resolved.status_code == 200, resolved.text
    deliveries = list_all(client, agency, f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")
    assert [delivery["event_type"] for delivery in deliveries] == ["alert.resolved", "alert.opened"]
    assert all(delivery["status"] == "pending" for delivery in deliveries)
    opened = deliveries[1]["payload"]
    assert opened["type"] == "alert.opened"
    assert opened["tenant_id"] == agency.tenant_id
    assert opened["data"]["id"] == alert["id"]
    assert opened["data"]["bucket"] == "2026-01-26"  # 21 days after the last post
    assert deliveries[0]["payload"]["data"]["status"] == "resolved"


def _objective(client: TestClient[Litestar], agency: Agency, client_id: str, target: str) -> Any:
    response = client.post(
        f"/v1/clients/{client_id}/objectives",
        json={"metric": "impressions", "target": target, "start": "2026-03-01", "end": "2026-03-31"},
        headers=agency.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_an_objective_behind_its_pace_opens_an_off_track_alert(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency, "Maison Dupont")
    account = create_account(client, agency, owner["id"], handle="dupont")
    days = {date(2026, 3, 1) + timedelta(days=n): 100.0 for n in range(10)}
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", days)
    # 1,000 impressions by 10 March at 100 a day: forecast 3,100 by 31 March.
    behind = _objective(client, agency, owner["id"], "10000")
    ahead = _objective(client, agency, owner["id"], "3000")
    behind_rule = create_rule(client, agency, owner["id"], "objective_off_track", params={"objective_id": behind["id"]})
    create_rule(client, agency, owner["id"], "objective_off_track", params={"objective_id": ahead["id"]})

    [alert] = evaluate(client, agency, owner["id"], date_from="2026-03-10", date_to="2026-03-10")["opened"]

    assert alert["rule_id"] == behind_rule["id"]
    assert alert["evidence"]["observed"] == 3100
    assert alert["evidence"]["threshold"] == 10000
    assert alert["evidence"]["reason"].startswith("impressions at least 10000 by 2026-03-31: 1000 on 2026-03-10")
    assert alert["evidence"]["objective"]["status"] == "off_track"
