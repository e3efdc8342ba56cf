"""A read-only agency (its subscription lapsed) gets the API's 402 for the portal's changes too, and nothing
changes; paying, signing out, the language and taking access away stay open, as in the API."""

from __future__ import annotations

import uuid
from datetime import date

from litestar import Litestar
from litestar.testing import TestClient

from api.alerts.models import Alert
from tests.api.conftest import count_rows, create_client
from tests.api.subscription_rows import set_subscription
from tests.conftest import Agency, TestDatabase
from tests.portal.conftest import add_member, form_post, sign_in
from tests.portal.test_alerts import open_alert


def _lapse(client: TestClient[Litestar], database: TestDatabase, agency: Agency) -> None:
    set_subscription(database, agency, plan="scale", status="canceled")
    client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))


def test_a_read_only_agencys_changes_are_refused_with_a_sentence_and_nothing_changes(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency
) -> None:
    durand = create_client(client, agency, name="Maison Durand")
    alert_id = open_alert(client, database, agency, durand["id"], date(2026, 3, 2))
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    _lapse(client, database, agency)

    acknowledged = form_post(client, f"/portal/alerts/{alert_id}/acknowledge", {}, page="/portal/alerts")
    assert acknowledged.status_code == 402
    assert "The agency is read-only" in acknowledged.text
    assert "Nothing was changed. An admin can renew the subscription" in acknowledged.text
    assert count_rows(database, Alert, status="open") == 1

    viewers = f"/portal/clients/{durand['id']}/viewers"
    invited = form_post(client, viewers, {"email": "paul@durand.example"})
    assert invited.status_code == 402
    assert "paul@durand.example" not in client.get(viewers).text

    branded = form_post(client, "/portal/brand", {"primary_color": "#aa0000"})
    assert branded.status_code == 402

    french = form_post(client, "/portal/language", {"language": "fr", "next": "/portal/"}, page="/portal/")
    assert french.status_code == 303  # the language is the member's, not the agency's data
    refused = form_post(client, f"/portal/alerts/{alert_id}/acknowledge", {}, page="/portal/alerts")
    assert "L'agence est en lecture seule" in refused.text.replace("&#39;", "'")


def test_a_role_refusal_is_not_mistaken_for_an_expired_form(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency
) -> None:
    durand = create_client(client, agency, name="Maison Durand")
    alert_id = open_alert(client, database, agency, durand["id"], date(2026, 3, 2))
    sign_in(client, add_member(client, agency.tenant_id, role="client_viewer", client_id=durand["id"]))
    refused = form_post(client, f"/portal/alerts/{alert_id}/acknowledge", {}, page=f"/portal/clients/{durand['id']}")
    assert refused.status_code == 403
    assert "Your role does not allow this change" in refused.text
    assert "The form had expired" not in refused.text
    no_token = client.post(f"/portal/alerts/{alert_id}/acknowledge", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    assert "The form had expired" in no_token.text
