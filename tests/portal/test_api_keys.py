"""The agency's API keys page: admins create a key (shown once), see keys by prefix only, and revoke them."""

from __future__ import annotations

import re
import uuid

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from tenants.models import AuditEntry
from tests.api.conftest import create_client
from tests.api.subscription_rows import set_subscription
from tests.conftest import Agency, TestDatabase, sign_up
from tests.portal.conftest import add_member, csrf_token, form_post, sign_in

SECRET = re.compile(r'<code id="new-secret">(rsn_live_[A-Za-z0-9]+)</code>')


def _create(client: TestClient[Litestar], **fields: str) -> str:
    """Create a key through the form and return its secret, read from the page shown once."""
    response = form_post(client, "/portal/api-keys", {"name": "Reporting tool", "scopes": "read", **fields})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/portal/api-keys/created"
    shown = client.get("/portal/api-keys/created", follow_redirects=False)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    found = SECRET.search(shown.text)
    assert found, shown.text
    return found.group(1)


def _audit(client: TestClient[Litestar], agency: Agency) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        async with client.app.state.services.database.tenant_session(uuid.UUID(agency.tenant_id)) as session:
            return list((await session.scalars(select(AuditEntry))).all())

    with client.portal() as portal:
        return portal.call(read)


def _key_id(client: TestClient[Litestar], agency: Agency, name: str) -> str:
    keys = client.get("/v1/api-keys", headers=agency.headers).json()["data"]
    return next(key["id"] for key in keys if key["name"] == name)


def test_a_new_key_is_shown_once_works_and_is_then_listed_by_prefix_only(
    client: TestClient[Litestar], agency: Agency
) -> None:
    create_client(client, agency, name="Maison Durand")
    admin = add_member(client, agency.tenant_id, role="admin", email="lea@alpha.example")
    sign_in(client, admin)
    assert 'href="/portal/api-keys"' in client.get("/portal/").text

    secret = _create(client)
    answer = client.get("/v1/clients", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert [item["name"] for item in answer.json()["data"]] == ["Maison Durand"]

    again = client.get("/portal/api-keys/created", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/portal/api-keys"
    listing = client.get("/portal/api-keys")
    assert secret not in listing.text
    assert f"<code>{secret[:15]}…</code>" in listing.text
    assert "Reporting tool" in listing.text
    created = [entry for entry in _audit(client, agency) if entry.action == "api_key.created"]
    assert created[-1].actor == "member:lea@alpha.example"


def test_a_revoked_key_is_refused_by_the_api(client: TestClient[Litestar], agency: Agency) -> None:
    admin = add_member(client, agency.tenant_id, role="owner", email="max@alpha.example")
    sign_in(client, admin)
    secret = _create(client)
    key_id = _key_id(client, agency, "Reporting tool")
    response = form_post(client, f"/portal/api-keys/{key_id}/revoke", {}, page="/portal/api-keys")
    assert response.status_code == 303
    assert client.get("/v1/clients", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    page = client.get("/portal/api-keys")
    assert 'id="revoked-notice"' in client.get(response.headers["location"]).text
    assert "revoked" in page.text
    revoked = [entry for entry in _audit(client, agency) if entry.action == "api_key.revoked"]
    assert revoked
    assert revoked[0].actor == "member:max@alpha.example"
    assert revoked[0].entity_id == key_id


def test_another_agencys_key_is_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    other = sign_up(client, "Agency Beta")
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    response = form_post(client, f"/portal/api-keys/{other.key_id}/revoke", {}, page="/portal/api-keys")
    assert response.status_code == 404
    assert client.get("/v1/tenant", headers=other.headers).status_code == 200  # still works


def test_analysts_and_client_viewers_get_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency, name="Maison Durand")
    for member in (
        add_member(client, agency.tenant_id, role="analyst"),
        add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"]),
    ):
        client.cookies.clear()
        sign_in(client, member)
        assert client.get("/portal/api-keys").status_code == 404
        token = csrf_token(client, f"/portal/clients/{made['id']}")
        posted = client.post("/portal/api-keys", data={"name": "x", "scopes": "read", "_csrf_token": token})
        assert posted.status_code == 404
        revoke = client.post(f"/portal/api-keys/{agency.key_id}/revoke", data={"_csrf_token": token})
        assert revoke.status_code == 404
        assert 'href="/portal/api-keys"' not in client.get(f"/portal/clients/{made['id']}").text
    assert client.get("/v1/tenant", headers=agency.headers).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    client.get("/portal/api-keys")
    response = client.post("/portal/api-keys", data={"name": "Sneaky", "scopes": "admin"}, follow_redirects=False)
    assert response.status_code == 403
    revoke = client.post(f"/portal/api-keys/{agency.key_id}/revoke", data={}, follow_redirects=False)
    assert revoke.status_code == 403
    names = [key["name"] for key in client.get("/v1/api-keys", headers=agency.headers).json()["data"]]
    assert names == ["owner key"]
    assert client.get("/v1/tenant", headers=agency.headers).status_code == 200


def test_bad_input_is_a_sentence_next_to_the_field_and_the_input_is_kept(
    client: TestClient[Litestar], agency: Agency
) -> None:
    made = create_client(client, agency, name="Maison Durand")
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    response = form_post(client, "/portal/api-keys", {"name": "  "})
    assert response.status_code == 422
    assert 'id="key-name-error">Give the key a name' in response.text
    assert 'id="key-scopes-error">Choose at least one permission.' in response.text

    limited = form_post(
        client, "/portal/api-keys", {"name": "Brand dashboard", "scopes": "admin", "client_id": made["id"]}
    )
    assert limited.status_code == 422
    assert "A key limited to one client can only read and write" in limited.text
    assert 'value="Brand dashboard"' in limited.text
    assert f'<option value="{made["id"]}" selected>' in limited.text
    names = [key["name"] for key in client.get("/v1/api-keys", headers=agency.headers).json()["data"]]
    assert names == ["owner key"]


def test_a_key_limited_to_a_client_sees_that_client_only(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency, name="Maison Durand")
    create_client(client, agency, name="Atelier Roux")
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    secret = _create(client, client_id=made["id"])
    answer = client.get("/v1/clients", headers={"Authorization": f"Bearer {secret}"})
    assert [item["name"] for item in answer.json()["data"]] == ["Maison Durand"]


def test_a_read_only_agency_cannot_create_keys_but_can_revoke_them(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    secret = _create(client)
    set_subscription(database, agency, plan="scale", status="canceled")
    client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))
    refused = form_post(client, "/portal/api-keys", {"name": "Another", "scopes": "read"})
    assert refused.status_code == 402
    assert "The agency is read-only" in refused.text
    key_id = _key_id(client, agency, "Reporting tool")
    revoked = form_post(client, f"/portal/api-keys/{key_id}/revoke", {}, page="/portal/api-keys")
    assert revoked.status_code == 303
    assert client.get("/v1/clients", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_the_page_renders_in_french(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="owner", locale="fr"))
    page = client.get("/portal/api-keys")
    assert page.status_code == 200
    assert "<h1>Clés d&#39;API</h1>" in page.text
    assert "Créer la clé" in page.text
    assert "Révoquer la clé" in page.text
