"""API keys in a real headless Chromium: an admin creates a key, sees it once, reloads and it is gone, revokes it."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, LiveServer, add_member


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(
    client: TestClient[Litestar], agency: Agency, page: Page, live_server: LiveServer
) -> None:
    def api_status(secret: str) -> int:
        # Asked of the live server itself: each process keeps its own cache of keys (for seconds).
        return httpx.get(f"{live_server.url}/v1/clients", headers={"Authorization": f"Bearer {secret}"}).status_code

    member = add_member(client, agency.tenant_id, role="admin", email="lea@alpha.example")
    page.goto("/portal/api-keys")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="API keys", exact=True)).to_be_visible()

    page.get_by_role("button", name="Create the key").click()
    expect(page.get_by_role("alert").first).to_have_text(
        "Give the key a name, so that you know later where it is used."
    )
    page.get_by_label("Name").fill("Browser key")
    page.get_by_role("button", name="Create the key").click()
    expect(page).to_have_url("/portal/api-keys/created")
    secret = page.locator("#new-secret").inner_text().strip()
    assert re.fullmatch(r"rsn_live_[A-Za-z0-9]{38}", secret)
    page.get_by_role("button", name="Copy the key").click()
    assert api_status(secret) == 200

    page.reload()
    expect(page).to_have_url("/portal/api-keys")
    assert secret not in page.content()
    row = page.get_by_role("row", name=re.compile("Browser key"))
    expect(row).to_contain_text(secret[:15])

    revoke = row.locator("details.confirm")
    revoke.locator("summary", has_text="Revoke key “Browser key”").press("Enter")  # by keyboard: asks first
    expect(revoke.get_by_text("Programs using this key will be refused at once.")).to_be_visible()
    assert api_status(secret) == 200
    revoke.get_by_role("button", name="Yes, revoke the key").click()
    expect(page.get_by_role("status").first).to_have_text(
        "The key is revoked: requests made with it are refused from now on."
    )
    expect(page.get_by_role("row", name=re.compile("Browser key"))).to_contain_text("revoked")
    assert api_status(secret) == 401
