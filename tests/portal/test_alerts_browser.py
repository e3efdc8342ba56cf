"""Acknowledging an alert in a real headless Chromium: htmx swaps the alert's row, the page stays."""

from __future__ import annotations

from datetime import date

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.api.conftest import create_client
from tests.conftest import Agency, TestDatabase
from tests.portal.conftest import PASSWORD, add_member
from tests.portal.test_alerts import open_alert


def test_an_analyst_acknowledges_an_alert_without_a_reload(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency, page: Page
) -> None:
    durand = create_client(client, agency, name="Maison Durand")
    alert_id = open_alert(client, database, agency, durand["id"], date(2026, 3, 2))
    member = add_member(client, agency.tenant_id, role="analyst", email="ana@alpha.example")

    page.goto("/portal/sign-in?next=/portal/alerts")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()

    page.evaluate("window.notReloaded = true")  # gone if the page reloads
    row = page.locator(f"#alert-{alert_id}")
    row.get_by_role("button", name="Acknowledge").click()
    expect(row).to_contain_text("Acknowledged by member:ana@alpha.example")
    expect(row.get_by_role("button")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    assert client.get(f"/v1/alerts/{alert_id}", headers=agency.headers).json()["status"] == "acknowledged"
