"""The plan page in Chromium when Stripe is not configured (local mode): the plan and its use, said to be local,
and no button that would try to take a payment."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member


def test_an_admin_sees_local_mode_and_no_payment_button(
    client: TestClient[Litestar], agency: Agency, page: Page
) -> None:
    admin = add_member(client, agency.tenant_id, role="admin", email="ada@local.example")
    page.goto("/portal/subscription")
    page.get_by_label("E-mail address").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Plan and usage")).to_be_visible()
    expect(page.locator("#local-mode")).to_contain_text("Billing runs in local mode on this installation")
    expect(page.get_by_role("button", name="Manage payment")).to_have_count(0)
    expect(page.get_by_role("button", name="Subscribe")).to_have_count(0)
    expect(page.locator("meter").first).to_be_visible()  # each quota's use is still drawn
