"""The portal as a person uses it, in a real headless Chromium: sign in, find a client, sign out."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.api.conftest import create_client
from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member


def test_an_agency_member_signs_in_opens_a_client_and_signs_out(
    client: TestClient[Litestar], agency: Agency, page: Page
) -> None:
    create_client(client, agency, name="Maison Durand")
    create_client(client, agency, name="Atelier Roux")
    member = add_member(client, agency.tenant_id, email="lea@alpha.example")

    page.goto("/portal/")
    expect(page).to_have_url("/portal/sign-in?next=/portal/")  # nobody signed in yet
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill("a wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The e-mail address or the password is wrong.")

    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    expect(page.get_by_role("link", name="Agency Alpha")).to_be_visible()
    page.get_by_role("link", name="Maison Durand").click()
    expect(page.get_by_role("heading", name="Maison Durand")).to_be_visible()

    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="Déconnexion").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.goto("/portal/")
    expect(page).to_have_url("/portal/sign-in?next=/portal/")
