"""Accounts cannot aim the sync worker at the service's own network (SSRF through connectors)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from plugins.sdk.testing import FixtureServer, serving
from tests.api.conftest import assert_problem, create_client
from tests.conftest import Agency, TestDatabase, make_settings, run_syncs, sign_up

LOOKUP = "/api/v1/accounts/lookup"


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def instance() -> Iterator[FixtureServer]:
    """A Mastodon instance on loopback: what an internal service looks like from the sync worker."""
    with serving([]) as running:
        yield running


def accounts(client: TestClient[Litestar], agency: Agency, client_id: str) -> list[Any]:
    response = client.get(f"/v1/clients/{client_id}/accounts", headers=agency.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


@pytest.mark.parametrize(
    ("network", "fields", "field", "host"),
    [
        ("mastodon", {"handle": "@alice@127.0.0.1:9443"}, "handle", "127.0.0.1"),
        ("mastodon", {"handle": "https://localhost/@alice"}, "handle", "localhost"),
        ("mastodon", {"handle": "@alice@[::1]"}, "handle", "::1"),
        ("mastodon", {"settings": {"instance_url": "https://10.0.0.5"}}, "settings.instance_url", "10.0.0.5"),
        (
            "mastodon",
            {"credentials": {"instance_url": "https://169.254.169.254"}},
            "credentials.instance_url",
            "169.254.169.254",
        ),
        (
            "bluesky",
            {"credentials": {"identifier": "brand", "app_password": "app-pass", "pds_url": "https://[::ffff:7f00:1]"}},
            "credentials.pds_url",
            "::ffff:7f00:1",
        ),
        ("bluesky", {"settings": {"pds_url": "https://192.168.0.10"}}, "settings.pds_url", "192.168.0.10"),
        ("mastodon", {"settings": {"instance_url": "https://mastodon.invalid"}}, "settings.instance_url", None),
    ],
)
def test_an_account_naming_a_host_that_is_not_public_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, network: str, fields: dict[str, Any], field: str, host: str | None
) -> None:
    made = create_client(client, agency)
    body = {"network": network, "handle": "alice", **fields}
    response = client.post(f"/v1/clients/{made['id']}/accounts", json=body, headers=agency.headers)
    problem = assert_problem(response, 422, code="validation_error", field=field)
    # One sentence for every cause (private, loopback, a name that does not resolve): nothing about our network.
    named = host if host is not None else "mastodon.invalid"
    assert problem["detail"] == (
        f"{field} names the host {named!r}, which is not a public internet host that Resonance may connect to. "
        "Check the host name and use the address of a public server; an operator can allow a self-hosted one "
        "on a private network with RESONANCE_EGRESS_ALLOW."
    )
    assert accounts(client, agency, made["id"]) == []


def test_a_public_instance_is_accepted(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency)
    body = {"network": "mastodon", "handle": "@alice@93.184.216.34"}
    response = client.post(f"/v1/clients/{made['id']}/accounts", json=body, headers=agency.headers)
    assert response.status_code == 201, response.text


def test_changing_an_accounts_instance_to_a_private_host_is_refused_and_keeps_the_old_one(
    client: TestClient[Litestar], agency: Agency
) -> None:
    made = create_client(client, agency)
    settings = {"instance_url": "https://93.184.216.34"}
    body = {"network": "mastodon", "handle": "alice", "settings": settings}
    account = client.post(f"/v1/clients/{made['id']}/accounts", json=body, headers=agency.headers).json()
    for change in ({"settings": {"instance_url": "https://127.0.0.1"}}, {"credentials": {"instance_url": "::1"}}):
        response = client.patch(f"/v1/accounts/{account['id']}", json=change, headers=agency.headers)
        assert_problem(response, 422, field=f"{next(iter(change))}.instance_url")
    stored = client.get(f"/v1/accounts/{account['id']}", headers=agency.headers).json()
    assert stored["settings"] == settings
    assert stored["has_credentials"] is False


def test_an_operator_can_allow_a_self_hosted_instance(database: TestDatabase) -> None:
    app = create_app(make_settings(database, egress_allow="mastodon.corp.test, 127.0.0.0/8"))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)
        made = create_client(client, agency)
        body = {"network": "mastodon", "handle": "@alice@127.0.0.1:9443"}
        response = client.post(f"/v1/clients/{made['id']}/accounts", json=body, headers=agency.headers)
        assert response.status_code == 201, response.text


def test_a_bad_allow_list_stops_the_service_with_a_sentence(database: TestDatabase) -> None:
    with pytest.raises(ValueError, match=r"RESONANCE_EGRESS_ALLOW has 'https://x/' is neither a host name"):
        create_app(make_settings(database, egress_allow="ok.example, https://x/"))


def sync_error(client: TestClient[Litestar], agency: Agency, account_id: str) -> str:
    response = client.post(
        f"/v1/accounts/{account_id}/syncs", json={"since": "2026-11-01", "until": "2026-11-02"}, headers=agency.headers
    )
    assert response.status_code == 202, response.text
    run_syncs(client)
    finished = client.get(f"/v1/syncs/{response.json()['id']}", headers=agency.headers).json()
    assert finished["status"] == "failed", finished
    return str(finished["error"])


def test_a_sync_never_connects_to_a_host_that_is_not_allowed_and_says_no_more_than_for_a_closed_port(
    database: TestDatabase, instance: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account stored while its host was allowed (or whose name now resolves to loopback) is refused
    at connection time, and its sync's error reads exactly like that of an instance whose port is closed."""
    monkeypatch.setattr("resonance_sdk._http.sleep_for", no_sleep)  # the retries, at once
    port = instance.base_url.rsplit(":", 1)[1]
    allowing = create_app(make_settings(database, egress_allow="127.0.0.0/8"))
    with TestClient(allowing, raise_server_exceptions=False) as client:
        agency = sign_up(client)
        made = create_client(client, agency)
        handles = {"open": f"@alice@127.0.0.1:{port}", "closed": "@bob@127.0.0.1:9"}
        ids = {}
        for name, handle in handles.items():
            body = {"network": "mastodon", "handle": handle, "sync_enabled": False}
            response = client.post(f"/v1/clients/{made['id']}/accounts", json=body, headers=agency.headers)
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        closed = sync_error(client, agency, ids["closed"])
    with TestClient(create_app(make_settings(database)), raise_server_exceptions=False) as client:
        refused = sync_error(client, agency, ids["open"])
    assert instance.log == []  # not one byte reached the internal service
    assert refused == closed
    assert f"{LOOKUP}: no answer (the connection failed or timed out)" in refused
    assert port not in refused
