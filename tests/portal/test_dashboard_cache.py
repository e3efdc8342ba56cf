"""The dashboard cache: viewers of one dashboard share a computation, a sync in this process shows at once, and a
client viewer never meets an answer computed for the whole agency."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import api.portal.dashboard as dashboard_module
from tests.api.conftest import create_account, create_client
from tests.conftest import Agency, run_syncs
from tests.portal.conftest import add_member, sign_in
from tests.portal.test_dashboard import FIRST, LAST, charts_of, client_with_history


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The client of every dashboard computed (not answered from the cache)."""
    calls: list[Any] = []
    load = dashboard_module.load_dashboard

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[3])
        return await load(*args, **kwargs)

    monkeypatch.setattr(dashboard_module, "load_dashboard", counting)
    return calls


def test_two_views_of_a_dashboard_share_one_computation(
    client: TestClient[Litestar], agency: Agency, computed: list[Any]
) -> None:
    made = client_with_history(client, agency)
    sign_in(client, add_member(client, agency.tenant_id, role="analyst"))
    path = f"/portal/clients/{made['id']}?from={FIRST}&to={LAST}"
    first, second = client.get(path), client.get(path)
    assert first.status_code == second.status_code == 200
    assert charts_of(first.text) == charts_of(second.text)
    assert len(computed) == 1
    assert client.get(f"/portal/clients/{made['id']}?from={FIRST}&to=2026-03-28").status_code == 200
    assert len(computed) == 2  # another period is another dashboard


def test_a_sync_in_this_process_shows_on_the_next_view(
    client: TestClient[Litestar], agency: Agency, computed: list[Any]
) -> None:
    made = create_client(client, agency, name="Atelier Roux")
    account = create_account(client, agency, made["id"], handle="roux_owned")
    sign_in(client, add_member(client, agency.tenant_id))
    path = f"/portal/clients/{made['id']}?from={FIRST}&to={LAST}"
    before = charts_of(client.get(path).text)["chart-followers"][1]["series"]
    assert not any(series["points"] for series in before)
    response = client.post(
        f"/v1/accounts/{account['id']}/syncs", json={"since": FIRST, "until": LAST}, headers=agency.headers
    )
    assert response.status_code == 202, response.text
    run_syncs(client)
    followers = charts_of(client.get(path).text)["chart-followers"][1]["series"]
    assert [len(series["points"]) for series in followers] == [56]
    assert len(computed) == 2  # before the sync, then once after it


def test_a_client_viewer_never_meets_the_agencys_cached_answer(
    client: TestClient[Litestar], agency: Agency, computed: list[Any]
) -> None:
    own = create_client(client, agency, name="Maison Blanche")
    other = client_with_history(client, agency, name="Maison Noire")
    admin = TestClient(client.app)
    with admin:
        sign_in(admin, add_member(admin, agency.tenant_id))
        assert admin.get(f"/portal/clients/{other['id']}").status_code == 200  # now cached for the agency
    sign_in(client, add_member(client, agency.tenant_id, role="client_viewer", client_id=own["id"]))
    refused = client.get(f"/portal/clients/{other['id']}")
    assert refused.status_code == 404
    assert "Maison Noire" not in refused.text
    assert client.get(f"/portal/clients/{own['id']}").status_code == 200
    assert client.get(f"/portal/clients/{other['id']}").status_code == 404  # an error is never kept either
    assert [str(client_id) for client_id in computed] == [other["id"], other["id"], own["id"], other["id"]]
