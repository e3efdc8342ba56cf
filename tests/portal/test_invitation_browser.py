"""In Chromium: an admin invites a client's viewer, who follows the e-mailed link, chooses a password and sees
that client's dashboard, and only that client's."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Browser, expect

from tests.api.conftest import create_client
from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, LiveServerFactory, add_member
from tests.portal.test_client_viewers import link_in, messages


def test_an_invited_viewer_signs_up_from_the_e_mail_and_sees_its_client_only(
    client: TestClient[Litestar],
    agency: Agency,
    browser: Browser,
    live_server_factory: LiveServerFactory,
    tmp_path: Path,
) -> None:
    mailbox = tmp_path / "mail"
    server = live_server_factory(mail_url=f"file://{mailbox}", public_url="http://portal.example")
    durand = create_client(client, agency, name="Maison Durand")
    roux = create_client(client, agency, name="Atelier Roux")
    admin = add_member(client, agency.tenant_id, role="admin", email="ada@invite.example")

    agency_tab = browser.new_context(base_url=server.url, locale="en-GB").new_page()
    agency_tab.goto("/portal/sign-in")
    agency_tab.get_by_label("E-mail address").fill(admin.email)
    agency_tab.get_by_label("Password").fill(PASSWORD)
    agency_tab.get_by_role("button", name="Sign in").click()
    expect(agency_tab.get_by_role("heading", name="Clients")).to_be_visible()
    agency_tab.goto(f"/portal/clients/{durand['id']}/viewers")
    expect(agency_tab.get_by_role("heading", name="Maison Durand")).to_be_visible()
    agency_tab.get_by_label("E-mail address").fill("paul@durand.example")
    agency_tab.get_by_role("button", name="Send the invitation", exact=True).click()
    expect(agency_tab.get_by_text("paul@durand.example").first).to_be_visible()

    [invitation] = messages(mailbox)
    assert invitation["To"] == "paul@durand.example"
    invitee = browser.new_context(base_url=server.url, locale="en-GB").new_page()
    invitee.goto(link_in(invitation))
    invitee.get_by_label("New password (at least 10 characters)").fill("paul's long password")
    invitee.get_by_label("The same password again").fill("paul's long password")
    invitee.get_by_role("button", name="Save the password").click()
    expect(invitee.get_by_role("heading", name="Maison Durand")).to_be_visible()  # signed in, on its dashboard
    assert invitee.url.endswith(f"/portal/clients/{durand['id']}")
    refused = invitee.goto(f"/portal/clients/{roux['id']}")
    assert refused is not None
    assert refused.status == 404
    invitee.context.close()
    agency_tab.context.close()
