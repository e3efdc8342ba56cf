"""Correcting a mention's label in a real headless Chromium: htmx swaps the mention's row, the page stays."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member
from tests.portal.test_mentions import client_with_mentions, mentions_of


def test_an_analyst_corrects_a_label_without_a_reload(client: TestClient[Litestar], agency: Agency, page: Page) -> None:
    client_id = client_with_mentions(client, agency)
    sarcasm = mentions_of(client, agency, client_id)["r-1"]
    member = add_member(client, agency.tenant_id, role="analyst", email="ana@alpha.example")

    page.goto(f"/portal/sign-in?next=/portal/clients/{client_id}/mentions")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Mentions · Maison Durand")).to_be_visible()

    page.evaluate("window.notReloaded = true")  # gone if the page reloads
    row = page.locator(f"#mention-{sarcasm['id']}")
    expect(row).not_to_contain_text("Corrected by a person")
    row.get_by_label("Sentiment of this mention").select_option("negative")
    row.get_by_role("button", name="Correct").click()
    expect(row).to_contain_text("Corrected by a person")
    expect(row.get_by_label("Sentiment of this mention")).to_have_value("negative")
    assert page.evaluate("window.notReloaded") is True
    stored = mentions_of(client, agency, client_id)["r-1"]
    assert (stored["sentiment_label"], stored["sentiment_analyzer"]) == ("negative", "person")
