"""The walkthrough of the README, end to end through the API."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import Agency, run_syncs


def test_signup_client_account_sync_and_read_metrics(client: TestClient[Litestar], agency: Agency) -> None:
    created = client.post(
        "/v1/clients", json={"name": "Boulangerie Martin", "timezone": "Europe/Paris"}, headers=agency.headers
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    account = client.post(
        f"/v1/clients/{client_id}/accounts", json={"network": "demo", "handle": "martin"}, headers=agency.headers
    )
    assert account.status_code == 201, account.text
    account_id = account.json()["id"]
    sync = client.post(
        f"/v1/accounts/{account_id}/syncs", json={"since": "2026-01-01", "until": "2026-01-14"}, headers=agency.headers
    )
    assert sync.status_code == 202
    assert sync.json()["status"] == "queued"
    assert run_syncs(client) == 1
    finished = client.get(f"/v1/syncs/{sync.json()['id']}", headers=agency.headers).json()
    assert finished["status"] == "succeeded", finished
    assert finished["metrics_count"] == 14 * 14  # 14 days, 14 demo metrics a day
    metrics = client.get(
        "/v1/metrics",
        params={
            "account_id": account_id,
            "metric": ["followers", "impressions"],
            "from": "2026-01-01",
            "to": "2026-01-14",
        },
        headers=agency.headers,
    ).json()
    assert {series["metric"] for series in metrics["series"]} == {"followers", "impressions"}
    followers = next(series for series in metrics["series"] if series["metric"] == "followers")
    assert followers["aggregation"] == "last"
    assert len(followers["points"]) == 14
