"""In Chromium: a form sent after the session ended keeps what was typed through signing in again."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.api.conftest import create_client
from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member


def test_what_was_typed_is_back_in_the_form_after_signing_in_again(
    client: TestClient[Litestar], agency: Agency, page: Page
) -> None:
    made = create_client(client, agency, name="Maison Durand")
    member = add_member(client, agency.tenant_id, email="lea@kept.example")
    dashboard = f"/portal/clients/{made['id']}"
    page.goto(dashboard)
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Maison Durand")).to_be_visible()

    page.get_by_label("Language").select_option("fr")
    page.context.clear_cookies(name="rsn_portal")  # the session ends while the page is open
    page.get_by_role("button", name="Change").click()

    expect(page.locator("#session-ended")).to_contain_text("Your session has ended")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill("a wrong password")  # a mistyped password on the way loses nothing
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The e-mail address or the password is wrong.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Maison Durand")).to_be_visible()  # back on the page it was sent from
    expect(page.locator("#form-kept")).to_contain_text("what you had typed is back in the form")
    expect(page.get_by_label("Language")).to_have_value("fr")  # as typed, not yet sent
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.reload()
    expect(page.locator("#form-kept")).to_have_count(0)  # put back once, then forgotten
    expect(page.get_by_label("Langue")).to_have_value("fr")
