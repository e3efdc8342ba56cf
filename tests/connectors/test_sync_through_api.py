"""Every built-in connector syncs through the API, against a local server replaying its recorded responses.

Each conformance suite already holds a connector's recorded responses, account and window (and fixtures
such as a pinned "today"); here each is reused by a subclass whose only test creates the account through
the API, syncs it with the operator's base-URL override, and reads the stored data back.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from plugins.sdk import Checkpoint, MetricPoint, Post
from plugins.sdk.testing import ConnectorConformance, serving
from tests.conftest import TestDatabase, make_settings, run_syncs, sign_up
from tests.connectors.suites import SUITES


def sync_through_the_api(self: ConnectorConformance, database: TestDatabase) -> None:
    expected = [record for record in self.clean_run() if not isinstance(record, Checkpoint)]
    with serving(self.routes()) as server:
        settings = make_settings(database, connector_base_urls=f"{self.connector.id}={server.base_url}{self.base_path}")
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            agency = sign_up(client)
            created = client.post("/v1/clients", json={"name": "Synced through the API"}, headers=agency.headers)
            client_id = created.json()["id"]
            body: dict[str, Any] = {
                "network": self.connector.id,
                "handle": self.account.handle,
                "kind": self.account.kind,
                "credentials": dict(self.account.credentials),
                "settings": dict(self.account.settings),
            }
            if self.account.external_id:
                body["external_id"] = self.account.external_id
            account = client.post(f"/v1/clients/{client_id}/accounts", json=body, headers=agency.headers)
            assert account.status_code == 201, account.text
            account_id = account.json()["id"]
            window = {"since": self.window.since.isoformat(), "until": self.window.until.isoformat()}
            sync = client.post(f"/v1/accounts/{account_id}/syncs", json=window, headers=agency.headers)
            assert sync.status_code == 202, sync.text
            assert run_syncs(client) == 1
            run = client.get(f"/v1/syncs/{sync.json()['id']}", headers=agency.headers).json()
            posts = client.get(
                f"/v1/accounts/{account_id}/posts", params={"limit": 200}, headers=agency.headers
            ).json()["data"]
    assert run["status"] == "succeeded", run
    assert run["rejected_count"] == 0
    stored_points = {(r.native_metric, r.day) for r in expected if isinstance(r, MetricPoint)}
    assert run["metrics_count"] == len({(self.connector.declared()[n].canonical, d) for n, d in stored_points})
    assert run["posts_count"] == len({r.external_id for r in expected if isinstance(r, Post)})
    assert {post["external_id"] for post in posts} == {r.external_id for r in expected if isinstance(r, Post)}


def _api_suite(suite: type[ConnectorConformance]) -> type[ConnectorConformance]:
    # Inherit the suite's fixtures and recorded data, but none of its tests: they run in their own module.
    attributes: dict[str, Any] = {name: None for name in dir(suite) if name.startswith("test_")}
    attributes["test_syncs_through_the_api"] = sync_through_the_api
    return type(f"TestSync{suite.__name__.removeprefix('Test')}", (suite,), attributes)


for _suite in SUITES:
    _class = _api_suite(_suite)
    globals()[_class.__name__] = _class

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestCollectionWarning")
