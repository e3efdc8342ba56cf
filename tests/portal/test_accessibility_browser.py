"""Every main page of the portal passes axe-core's WCAG 2.1 A and AA rules in Chromium (labels, contrast, names
of buttons and links, headings, landmarks), as an agency admin and as a client viewer sees it."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page

from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member
from tests.portal.test_dashboard import client_with_history

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page: Page, path: str) -> list[str]:
    """The WCAG rules `path` breaks, each with the elements that break it ([] when it breaks none)."""
    answer = page.goto(path)
    assert answer is not None, path
    assert answer.status == 200, path
    page.wait_for_load_state("networkidle")  # the charts are drawn
    found: list[dict[str, Any]] = Axe().run(page, options=WCAG_AA).response["violations"]
    return [f"{path}: {rule['id']} ({rule['help']}) at {[n['target'] for n in rule['nodes']]}" for rule in found]


def sign_in(page: Page, email: str) -> None:
    page.goto("/portal/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/**")


@pytest.mark.timeout(300)
def test_the_main_pages_break_no_wcag_rule(client: TestClient[Litestar], agency: Agency, page: Page) -> None:
    made = client_with_history(client, agency)
    admin = add_member(client, agency.tenant_id, role="admin", email="ada@a11y.example")
    domain = client.post("/v1/tenant/domains", json={"host": "portal.a11y.example"}, headers=agency.headers)
    assert domain.status_code == 201  # the domains page then shows its DNS record and buttons
    assert violations(page, "/portal/sign-in") == []
    sign_in(page, admin.email)
    pages = [
        "/portal/",
        f"/portal/clients/{made['id']}",
        "/portal/alerts",
        "/portal/subscription",
        "/portal/api-keys",
        "/portal/webhooks",
        "/portal/brand",
        "/portal/domains",
        f"/portal/clients/{made['id']}/viewers",
        f"/portal/clients/{made['id']}/mentions",
    ]
    found = [violation for path in pages for violation in violations(page, path)]
    assert found == []

    for primary, accent in (("#ffeb3b", "#fff3c4"), ("#1a1a40", "#0b3d2e")):  # a light and a dark brand
        branded = client.put(
            "/v1/tenant/brand", json={"primary_color": primary, "accent_color": accent}, headers=agency.headers
        )
        assert branded.status_code == 200, branded.text
        assert violations(page, f"/portal/clients/{made['id']}") == [], primary  # the ink follows the colour


def test_a_client_viewers_pages_break_no_wcag_rule(client: TestClient[Litestar], agency: Agency, page: Page) -> None:
    made = client_with_history(client, agency)
    viewer = add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"], email="cv@a11y.example")
    sign_in(page, viewer.email)
    assert violations(page, f"/portal/clients/{made['id']}") == []
    assert violations(page, f"/portal/clients/{made['id']}/mentions") == []  # the labels as text, no form
