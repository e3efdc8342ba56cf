"""The agency's webhooks page: admins register an endpoint (its signing secret shown once), see its latest
delivery, and delete it; the URL rules are the API's (no internal or private address)."""

from __future__ import annotations

import re
import uuid

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from api.webhooks.models import WebhookEndpoint
from tenants.models import AuditEntry
from tests.api.conftest import count_rows, create_client
from tests.api.subscription_rows import set_subscription
from tests.conftest import Agency, TestDatabase, sign_up
from tests.portal.conftest import add_member, csrf_token, form_post, sign_in

PUBLIC_URL = "http://93.184.215.14/hooks/resonance"
SECRET = re.compile(r'<code id="new-secret">(whsec_[^<]+)</code>')


def _register(client: TestClient[Litestar], url: str = PUBLIC_URL) -> str:
    response = form_post(client, "/portal/webhooks", {"url": url, "event_types": "alert.opened"})
    assert response.status_code == 303, response.text
    shown = client.get(response.headers["location"], follow_redirects=False)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    found = SECRET.search(shown.text)
    assert found, shown.text
    return found.group(1)


def _stored(client: TestClient[Litestar], agency: Agency) -> list[WebhookEndpoint]:
    async def read() -> list[WebhookEndpoint]:
        async with client.app.state.services.database.tenant_session(uuid.UUID(agency.tenant_id)) as session:
            return list((await session.scalars(select(WebhookEndpoint))).all())

    with client.portal() as portal:
        return portal.call(read)


def _audit_actions(client: TestClient[Litestar], agency: Agency) -> list[tuple[str, str | None]]:
    async def read() -> list[tuple[str, str | None]]:
        async with client.app.state.services.database.tenant_session(uuid.UUID(agency.tenant_id)) as session:
            return [(entry.action, entry.actor) for entry in (await session.scalars(select(AuditEntry))).all()]

    with client.portal() as portal:
        return portal.call(read)


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin", email="lea@alpha.example"))
    assert 'href="/portal/webhooks"' in client.get("/portal/").text
    secret = _register(client)
    [endpoint] = _stored(client, agency)
    assert client.app.state.services.vault.decrypt(endpoint.secret_encrypted)["secret"] == secret
    assert endpoint.event_types == ["alert.opened"]
    assert ("webhook_endpoint.created", "member:lea@alpha.example") in _audit_actions(client, agency)

    again = client.get("/portal/webhooks/created", follow_redirects=False)
    assert again.status_code == 303
    listing = client.get("/portal/webhooks")
    assert secret not in listing.text
    assert f"<code>{PUBLIC_URL}</code>" in listing.text
    assert "none yet" in listing.text

    sent = client.post(f"/v1/webhook-endpoints/{endpoint.id}/test", headers=agency.headers)
    assert sent.status_code == 202
    row = re.search(rf'<tr id="endpoint-{endpoint.id}">(.*?)</tr>', client.get("/portal/webhooks").text, re.S)
    assert row is not None
    assert "pending" in row.group(1)


def test_internal_and_private_addresses_are_refused_and_nothing_is_stored(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    for url in ("http://127.0.0.1/", "http://10.0.0.5/hook", "http://[::1]/hook", "http://169.254.169.254/latest"):
        response = form_post(client, "/portal/webhooks", {"url": url, "event_types": "sync.failed"})
        assert response.status_code == 422, url
        error = re.search(r'id="endpoint-url-error">(.*?)</p>', response.text, re.S)
        assert error is not None, url
        assert error.group(1).startswith("This URL cannot receive webhooks.")
        assert "webhooks go only to public addresses" in error.group(1)
        assert f'value="{url}"' in response.text  # the input is kept
    assert count_rows(database, WebhookEndpoint) == 0


def test_missing_fields_are_sentences_next_to_them(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    response = form_post(client, "/portal/webhooks", {"url": "", "description": "On-call"})
    assert response.status_code == 422
    assert 'id="endpoint-url-error">Give the URL of your receiver' in response.text
    assert 'id="endpoint-events-error">Choose at least one event to receive.' in response.text
    assert 'value="On-call"' in response.text


def test_deleting_an_endpoint_and_another_agencys_is_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    other = sign_up(client, "Agency Beta")
    made = client.post(
        "/v1/webhook-endpoints", json={"url": PUBLIC_URL, "event_types": ["sync.failed"]}, headers=other.headers
    )
    assert made.status_code == 201
    sign_in(client, add_member(client, agency.tenant_id, role="owner"))
    _register(client)
    [mine] = _stored(client, agency)
    refused = form_post(client, f"/portal/webhooks/{made.json()['id']}/delete", {}, page="/portal/webhooks")
    assert refused.status_code == 404
    assert len(_stored(client, other)) == 1
    deleted = form_post(client, f"/portal/webhooks/{mine.id}/delete", {}, page="/portal/webhooks")
    assert deleted.status_code == 303
    assert _stored(client, agency) == []
    assert 'id="deleted-notice"' in client.get(deleted.headers["location"]).text


def test_analysts_and_client_viewers_get_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency, name="Maison Durand")
    for member in (
        add_member(client, agency.tenant_id, role="analyst"),
        add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"]),
    ):
        client.cookies.clear()
        sign_in(client, member)
        assert client.get("/portal/webhooks").status_code == 404
        token = csrf_token(client, f"/portal/clients/{made['id']}")
        posted = client.post(
            "/portal/webhooks", data={"url": PUBLIC_URL, "event_types": "sync.failed", "_csrf_token": token}
        )
        assert posted.status_code == 404
        assert 'href="/portal/webhooks"' not in client.get(f"/portal/clients/{made['id']}").text
    assert _stored(client, agency) == []


def test_a_post_without_the_csrf_token_is_refused(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    client.get("/portal/webhooks")
    response = client.post(
        "/portal/webhooks", data={"url": PUBLIC_URL, "event_types": "sync.failed"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert _stored(client, agency) == []


def test_a_read_only_agency_registers_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    set_subscription(database, agency, plan="scale", status="canceled")
    client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))
    response = form_post(client, "/portal/webhooks", {"url": PUBLIC_URL, "event_types": "sync.failed"})
    assert response.status_code == 402
    assert "The agency is read-only" in response.text
    assert _stored(client, agency) == []


def test_the_page_renders_in_french(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin", locale="fr"))
    page = client.get("/portal/webhooks")
    assert page.status_code == 200
    assert "<h1>Webhooks</h1>" in page.text
    assert "Enregistrer le point de terminaison" in page.text
    assert "Événements à recevoir" in page.text
    refused = form_post(client, "/portal/webhooks", {"url": "http://127.0.0.1/", "event_types": "sync.failed"})
    assert "Cette URL ne peut pas recevoir de webhooks." in refused.text
