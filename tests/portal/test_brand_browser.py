"""The agency's brand in a real headless Chromium: the header wears its colour and its logo loads."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from tests.api.test_brand_api import png
from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member


def test_the_header_wears_the_brand_colour_and_the_logo_loads(
    client: TestClient[Litestar], agency: Agency, page: Page
) -> None:
    body = {"primary_color": "#7a1f5c", "accent_color": "#123456", "display_name": "Alpha Studio"}
    assert client.put("/v1/tenant/brand", json=body, headers=agency.headers).status_code == 200
    logo = client.put("/v1/tenant/brand/logo", content=png(), headers={**agency.headers, "content-type": "image/png"})
    assert logo.status_code == 200
    member = add_member(client, agency.tenant_id, email="lea@alpha.example")

    page.goto("/portal/sign-in")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Alpha Studio")).to_be_visible()

    header = page.locator("header.top")
    assert header.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(122, 31, 92)"
    assert header.locator(".brand").evaluate("element => getComputedStyle(element).color") == "rgb(255, 255, 255)"
    image = page.locator("header.top img.logo")
    expect(image).to_be_visible()
    image.evaluate("element => element.decode()")
    assert image.evaluate("element => element.complete && element.naturalWidth") == 64
