"""The alerts page: the agency's open alerts, acknowledging one with a plain form or with htmx, and what client
viewers and other agencies may not do."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from api.alerts.models import Alert
from tenants.models import AuditEntry
from tests.api.conftest import count_rows, create_client, owner_connection, table
from tests.conftest import Agency, TestDatabase, sign_up
from tests.portal.conftest import add_member, csrf_token, form_post, sign_in


def open_alert(client: TestClient[Litestar], database: TestDatabase, agency: Agency, client_id: str, day: date) -> str:
    """An open mention-spike alert of the client for `day`, with its evidence (its rule made through the API)."""
    response = client.post(
        "/v1/alert-rules", json={"client_id": client_id, "kind": "mention_spike"}, headers=agency.headers
    )
    assert response.status_code == 201, response.text
    alert_id = uuid.uuid4()
    row: dict[str, Any] = {
        "tenant_id": uuid.UUID(agency.tenant_id),
        "id": alert_id,
        "rule_id": uuid.UUID(response.json()["id"]),
        "client_id": uuid.UUID(client_id),
        "kind": "mention_spike",
        "status": "open",
        "bucket": day,
        "opened_at": datetime(day.year, day.month, day.day, 20, tzinfo=UTC),
        "evidence": {"observed": 84.0, "threshold": 31.5, "z_score": 5.2, "reason": "spike"},
    }
    with owner_connection(database) as connection:
        connection.execute(table(Alert).insert(), [row])
    return str(alert_id)


def test_an_analyst_sees_open_alerts_and_acknowledges_one_with_the_form(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency
) -> None:
    durand = create_client(client, agency, name="Maison Durand")
    first = open_alert(client, database, agency, durand["id"], date(2026, 3, 2))
    second = open_alert(client, database, agency, durand["id"], date(2026, 3, 3))
    analyst = add_member(client, agency.tenant_id, role="analyst", email="ana@alpha.example")
    sign_in(client, analyst)

    home = client.get("/portal/")
    assert 'href="/portal/alerts"' in home.text
    assert "Open alerts: 2" in home.text
    listing = client.get("/portal/alerts")
    assert listing.status_code == 200
    assert f'id="alert-{first}"' in listing.text
    assert f'id="alert-{second}"' in listing.text
    assert "Maison Durand" in listing.text
    assert "Mention spike" in listing.text
    assert "observed 84" in listing.text
    assert "Acknowledge<span" in listing.text

    done = form_post(client, f"/portal/alerts/{first}/acknowledge", {}, page="/portal/alerts")
    assert done.status_code == 303
    assert done.headers["location"] == "/portal/alerts"
    api = client.get(f"/v1/alerts/{first}", headers=agency.headers).json()
    assert api["status"] == "acknowledged"
    assert api["acknowledged_by"] == "member:ana@alpha.example"
    assert count_rows(database, AuditEntry, action="alert.acknowledged", actor="member:ana@alpha.example") == 1

    still_open = client.get("/portal/alerts")
    assert f'id="alert-{first}"' not in still_open.text
    assert f'id="alert-{second}"' in still_open.text
    acknowledged = client.get("/portal/alerts?status=acknowledged")
    assert f'id="alert-{first}"' in acknowledged.text
    assert "Acknowledged by member:ana@alpha.example" in acknowledged.text
    # Acknowledging again is no error page: the row shows who did it.
    again = form_post(client, f"/portal/alerts/{first}/acknowledge", {}, page="/portal/alerts")
    assert again.status_code == 303


def test_htmx_acknowledges_and_gets_only_the_row(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency
) -> None:
    durand = create_client(client, agency, name="Maison Durand")
    alert_id = open_alert(client, database, agency, durand["id"], date(2026, 3, 2))
    sign_in(client, add_member(client, agency.tenant_id, role="admin", email="adm@alpha.example"))
    token = csrf_token(client, "/portal/alerts")
    response = client.post(
        f"/portal/alerts/{alert_id}/acknowledge", headers={"HX-Request": "true", "x-csrftoken": token}
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="alert-{alert_id}">')
    assert "<html" not in response.text
    assert "Acknowledged by member:adm@alpha.example" in response.text
    assert "hx-post" not in response.text


def test_a_client_viewer_sees_its_clients_alerts_only_and_cannot_acknowledge(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency
) -> None:
    durand = create_client(client, agency, name="Maison Durand")
    roux = create_client(client, agency, name="Atelier Roux")
    mine = open_alert(client, database, agency, durand["id"], date(2026, 3, 2))
    theirs = open_alert(client, database, agency, roux["id"], date(2026, 3, 2))
    sign_in(client, add_member(client, agency.tenant_id, role="client_viewer", client_id=durand["id"]))

    listing = client.get("/portal/alerts")
    assert f'id="alert-{mine}"' in listing.text
    assert f'id="alert-{theirs}"' not in listing.text
    assert "Atelier Roux" not in listing.text
    assert "Acknowledge<span" not in listing.text
    assert "hx-post" not in listing.text
    for alert_id in (mine, theirs):
        refused = form_post(client, f"/portal/alerts/{alert_id}/acknowledge", {}, page="/portal/alerts")
        assert refused.status_code == 403  # as the API answers a read-only key
    assert client.get(f"/v1/alerts/{mine}", headers=agency.headers).json()["status"] == "open"


def test_another_agencys_alert_is_a_404(client: TestClient[Litestar], database: TestDatabase, agency: Agency) -> None:
    other = sign_up(client, "Agency Beta")
    theirs = open_alert(
        client, database, other, create_client(client, other, name="Beta Client")["id"], date(2026, 3, 2)
    )
    sign_in(client, add_member(client, agency.tenant_id, role="owner"))
    assert theirs not in client.get("/portal/alerts").text
    response = form_post(client, f"/portal/alerts/{theirs}/acknowledge", {}, page="/portal/alerts")
    assert response.status_code == 404
    assert client.get(f"/v1/alerts/{theirs}", headers=other.headers).json()["status"] == "open"


def test_acknowledging_without_the_csrf_token_is_refused(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency
) -> None:
    alert_id = open_alert(client, database, agency, create_client(client, agency)["id"], date(2026, 3, 2))
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    client.get("/portal/alerts")
    response = client.post(f"/portal/alerts/{alert_id}/acknowledge", data={}, follow_redirects=False)
    assert response.status_code == 403
    htmx = client.post(f"/portal/alerts/{alert_id}/acknowledge", headers={"HX-Request": "true"})
    assert htmx.status_code == 403
    assert client.get(f"/v1/alerts/{alert_id}", headers=agency.headers).json()["status"] == "open"


def test_the_alerts_page_in_french(client: TestClient[Litestar], database: TestDatabase, agency: Agency) -> None:
    open_alert(client, database, agency, create_client(client, agency, name="Maison Durand")["id"], date(2026, 3, 2))
    sign_in(client, add_member(client, agency.tenant_id, role="analyst", locale="fr"))
    listing = client.get("/portal/alerts")
    assert "<h1>Alertes</h1>" in listing.text
    assert "Pic de mentions" in listing.text
    assert "Prendre en charge" in listing.text
    assert "Alertes ouvertes: 1" in client.get("/portal/").text
