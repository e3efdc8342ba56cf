"""The agency's plan and usage page: what /v1/subscription answers, for the agency's admins only."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.api.conftest import create_client
from tests.conftest import Agency, TestDatabase, make_settings, sign_up
from tests.portal.conftest import add_member, sign_in


def _cell(html: str, quota: str, column: int) -> str:
    row = re.search(rf'<tr id="quota-{quota}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no row for {quota}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    return re.sub(r"<[^>]+>", "", cells[column]).strip()


def test_an_admin_sees_the_plan_and_the_same_usage_as_the_api(client: TestClient[Litestar], agency: Agency) -> None:
    for name in ("Maison Durand", "Garage Lefèvre"):
        create_client(client, agency, name=name)
    admin = add_member(client, agency.tenant_id, role="admin")
    sign_in(client, admin)

    home = client.get("/portal/")
    assert 'href="/portal/subscription"' in home.text
    page = client.get("/portal/subscription")
    assert page.status_code == 200
    api = client.get("/v1/subscription", headers=agency.headers).json()
    assert f'<span id="plan-name">{api["plan_name"]}</span>' in page.text
    assert f'<strong id="subscription-status">{api["status"]}</strong>' in page.text
    assert _cell(page.text, "clients", 1) == "2" == str(api["quotas"]["clients"]["usage"])
    for quota, use in api["quotas"].items():
        expected = "unlimited" if use["limit"] is None else f"{use['limit']:,}"
        assert _cell(page.text, quota, 2) == expected, quota
    assert 'id="local-mode"' in page.text  # no Stripe key: the operator sets plans
    assert 'id="read-only"' not in page.text
    assert "aria-current" in page.text  # the current plan is marked among the plans on sale


def test_the_page_follows_the_members_language(client: TestClient[Litestar], agency: Agency) -> None:
    create_client(client, agency, name="Maison Durand")
    admin = add_member(client, agency.tenant_id, role="owner", locale="fr")
    sign_in(client, admin)
    page = client.get("/portal/subscription")
    assert "<h1>Offre et consommation</h1>" in page.text
    assert "Entreprises clientes" in page.text
    assert "mode local" in page.text


def test_analysts_and_client_viewers_get_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency, name="Maison Durand")
    for member in (
        add_member(client, agency.tenant_id, role="analyst"),
        add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"]),
    ):
        client.cookies.clear()
        sign_in(client, member)
        assert client.get("/portal/subscription").status_code == 404
        assert 'href="/portal/subscription"' not in client.get(f"/portal/clients/{made['id']}").text


def test_with_stripe_configured_the_local_mode_sentence_is_gone(database: TestDatabase) -> None:
    settings = make_settings(database, stripe_api_key="sk_test_portal", stripe_api_base="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as stripe_client:
        agency = sign_up(stripe_client)
        sign_in(stripe_client, add_member(stripe_client, agency.tenant_id, role="admin"))
        page = stripe_client.get("/portal/subscription")
        assert page.status_code == 200
        assert 'id="local-mode"' not in page.text
