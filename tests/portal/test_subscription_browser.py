"""The plan page in a real headless Chromium, with the fake Stripe: an admin reads the invoices and subscribes."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect
from stripe_fake import FakeStripe

from tests.api.stripe_billing import PricedPlans, customer_of
from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, LiveServer, LiveServerFactory, add_member

pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]


@pytest.fixture
def live_server(live_server_factory: LiveServerFactory, fake_stripe: FakeStripe, priced: PricedPlans) -> LiveServer:
    """The browser's server bills through the fake Stripe, as the `billing` test client does."""
    return live_server_factory(
        stripe_api_key=fake_stripe.api_key,
        stripe_api_base=fake_stripe.url,
        stripe_webhook_secret=fake_stripe.webhook_secret,
        plans_config=priced.config,
    )


def test_an_admin_reads_the_invoices_and_subscribes_through_stripe_checkout(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, page: Page
) -> None:
    customer = customer_of(billing, fake_stripe, alpha)
    fake_stripe.add_invoice(customer, 4900, status="paid", number="ALPHA-0001")
    member = add_member(billing, alpha.tenant_id, role="admin", email="lea@alpha.example")

    page.goto("/portal/")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Plan and usage").click()

    expect(page.get_by_role("heading", name="Plan and usage", level=1)).to_be_visible()
    invoice = page.get_by_role("row", name=re.compile("ALPHA-0001"))
    expect(invoice).to_contain_text("€49.00")
    expect(invoice).to_contain_text("Paid")
    expect(invoice.get_by_role("link", name="ALPHA-0001")).to_have_attribute(
        "href", re.compile(re.escape(fake_stripe.url) + "/i/in_")
    )

    page.get_by_role("button", name="Subscribe: Agency").click()

    expect(page).to_have_url(re.compile(re.escape(fake_stripe.url) + "/c/pay/cs_test_"))
    expect(page.get_by_role("heading", name="Fake Stripe page")).to_be_visible()
    [session] = fake_stripe.checkout_sessions.values()
    assert page.url == session["url"]
    assert session["metadata"] == {"tenant_id": alpha.tenant_id, "plan": "agency"}
