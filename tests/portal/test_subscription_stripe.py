"""The plan page with Stripe configured (the fake Stripe server): subscribe through Checkout, manage payment in the
Customer Portal, read the invoices; and what local mode, a Stripe outage and a non-admin get."""

from __future__ import annotations

import asyncio
import re
import socket
import time
import uuid
from types import SimpleNamespace

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from stripe_fake import FakeStripe

from api.billing.self_service import StripeUnavailable, recent_invoices
from tests.api.stripe_billing import PricedPlans, customer_of, deliver, event_of, stripe_client_app, subscribe
from tests.conftest import Agency, TestDatabase, sign_up
from tests.portal.conftest import CSRF_FIELD, add_member, csrf_token, sign_in

pytest_plugins = ["stripe_fake.plugin", "tests.api.stripe_fixtures"]

PAGE = "/portal/subscription"
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def _form(client: TestClient[Litestar]) -> tuple[str, str]:
    """The CSRF token and the plan buttons' nonce of a fresh render of the page."""
    html = client.get(PAGE).text
    csrf, nonce = CSRF_FIELD.search(html), NONCE.search(html)
    assert csrf is not None
    assert nonce is not None, html
    return csrf.group(1), nonce.group(1)


def _choose(client: TestClient[Litestar], plan: str, csrf: str, nonce: str) -> httpx.Response:
    return client.post(
        f"{PAGE}/checkout", data={"plan": plan, "nonce": nonce, "_csrf_token": csrf}, follow_redirects=False
    )


def _admin(client: TestClient[Litestar], agency: Agency, **fields: str) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin", **fields))


def test_a_plans_button_sends_the_admin_to_stripe_checkout(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    html = billing.get(PAGE).text
    assert 'id="choose-starter"' in html
    assert 'id="choose-agency"' in html
    assert 'id="choose-scale"' not in html  # no Stripe price: not on sale online
    assert 'id="local-mode"' not in html

    response = _choose(billing, "agency", *_form(billing))

    assert response.status_code == 303, response.text
    [session] = fake_stripe.checkout_sessions.values()
    assert response.headers["location"] == session["url"]
    assert session["metadata"] == {"tenant_id": alpha.tenant_id, "plan": "agency"}
    assert session["success_url"].endswith(f"{PAGE}?checkout=done")
    assert session["cancel_url"].endswith(f"{PAGE}?checkout=cancelled")


def test_a_double_click_gives_the_same_checkout_session(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    csrf, nonce = _form(billing)

    first = _choose(billing, "starter", csrf, nonce)
    second = _choose(billing, "starter", csrf, nonce)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(fake_stripe.checkout_sessions) == 1
    keys = [sent.idempotency_key for sent in fake_stripe.requests_to("/v1/checkout/sessions", "POST")]
    assert keys[0] == keys[1]
    assert keys[0]
    assert nonce not in keys[0]

    again = _choose(billing, "starter", *_form(billing))  # the page shown anew: a new purchase
    assert again.headers["location"] != first.headers["location"]
    assert len(fake_stripe.checkout_sessions) == 2


def test_a_form_without_its_nonce_is_refused_with_a_sentence(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    csrf, _nonce = _form(billing)
    response = _choose(billing, "starter", csrf, "")
    assert response.status_code == 422
    assert "reload the page" in response.text
    assert not fake_stripe.checkout_sessions


def test_manage_payment_opens_the_agencys_customer_portal(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    csrf, _nonce = _form(billing)
    response = billing.post(f"{PAGE}/payment", data={"_csrf_token": csrf}, follow_redirects=False)

    assert response.status_code == 303, response.text
    [portal] = fake_stripe.portal_sessions.values()
    assert response.headers["location"] == portal["url"]
    assert portal["return_url"].endswith(PAGE)
    assert fake_stripe.customers[portal["customer"]]["metadata"] == {"tenant_id": alpha.tenant_id}


def test_a_subscribed_agency_changes_plan_in_the_customer_portal(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    subscription = subscribe(billing, fake_stripe, alpha, "starter")
    deliver(billing, fake_stripe, event_of(fake_stripe, subscription, "customer.subscription.created"))
    _admin(billing, alpha)
    html = billing.get(PAGE).text
    assert 'id="choose-starter"' not in html  # the current plan
    assert "Change to this plan" in html

    response = _choose(billing, "agency", *_form(billing))

    assert response.status_code == 303, response.text
    [portal] = fake_stripe.portal_sessions.values()
    assert response.headers["location"] == portal["url"]
    [sent] = fake_stripe.requests_to("/v1/billing_portal/sessions", "POST")
    assert sent.params["flow_data"] == {
        "type": "subscription_update",
        "subscription_update": {"subscription": subscription},
    }
    assert len(fake_stripe.checkout_sessions) == 1  # only the first subscription's


def test_the_invoices_are_listed_with_their_status_in_words(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    customer = customer_of(billing, fake_stripe, alpha)
    paid = fake_stripe.add_invoice(customer, 4900, status="paid", created=1_790_000_000, number="ALPHA-0001")
    fake_stripe.add_invoice(customer, 24900, status="open", created=1_792_000_000)
    fake_stripe.add_invoice(customer, 1250, status="void", created=1_791_000_000)
    fake_stripe.add_invoice(customer, 999, status="uncollectible", created=1_789_000_000)
    other = fake_stripe.add_customer(name="Someone else")
    fake_stripe.add_invoice(other["id"], 777_700)
    _admin(billing, alpha)

    html = billing.get(PAGE).text

    rows = re.findall(r'<tr id="invoice-(in_[^"]+)">(.*?)</tr>', html, re.S)
    assert len(rows) == 4  # the agency's only, newest first
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for _id, row in rows]
    assert "Awaiting payment" in texts[0]
    assert "€249.00" in texts[0]
    assert "Void (cancelled, nothing to pay)" in texts[1]
    assert texts[2].startswith("ALPHA-0001")
    assert "€49.00" in texts[2]
    assert "Paid" in texts[2]
    assert "Uncollectible" in texts[3]
    assert f'href="{paid["hosted_invoice_url"]}"' in html
    assert "7,777.00" not in html
    [listed] = fake_stripe.requests_to("/v1/invoices", "GET")
    assert listed.params["customer"] == customer


def test_the_invoices_follow_the_members_language(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    customer = customer_of(billing, fake_stripe, alpha)
    fake_stripe.add_invoice(customer, 4900, status="paid")
    _admin(billing, alpha, locale="fr")
    html = billing.get(PAGE).text
    assert "<h1>Offre et consommation</h1>" in html
    assert "49,00\xa0€" in html
    assert "Payée" in html
    assert "Gérer le paiement" in html
    assert "S'abonner" in html or "S&#39;abonner" in html


def test_coming_back_from_checkout_says_what_happened(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    assert 'id="checkout-done"' in billing.get(f"{PAGE}?checkout=done").text
    cancelled = billing.get(f"{PAGE}?checkout=cancelled").text
    assert "Nothing changed" in cancelled
    assert 'id="checkout-done"' not in cancelled


def test_stripe_down_is_a_502_page_and_nothing_changes(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    csrf, nonce = _form(billing)
    fake_stripe.fail_next(3, 500, path_prefix="/v1/checkout/sessions")  # the try and the SDK's two retries

    response = _choose(billing, "starter", csrf, nonce)

    assert response.status_code == 502
    assert "Stripe cannot be reached right now, so nothing was changed." in response.text
    assert "injected" not in response.text
    assert not fake_stripe.checkout_sessions
    fake_stripe.fail_next(3, 500, path_prefix="/v1/billing_portal")
    portal = billing.post(f"{PAGE}/payment", data={"_csrf_token": csrf}, follow_redirects=False)
    assert portal.status_code == 502
    assert not fake_stripe.portal_sessions

    fake_stripe.fail_next(3, 500, path_prefix="/v1/invoices")
    page = billing.get(PAGE)  # the page still shows plan and usage, and says the invoices are missing
    assert page.status_code == 200
    assert 'id="invoices-unavailable"' in page.text

    retried = _choose(billing, "starter", csrf, nonce)  # the same form once Stripe is back
    assert retried.status_code == 303


def test_local_mode_has_no_buttons_and_refuses_the_posts(client: TestClient[Litestar], agency: Agency) -> None:
    _admin(client, agency)
    html = client.get(PAGE).text
    assert "RESONANCE_STRIPE_API_KEY" in html
    assert 'id="choose-' not in html
    assert 'id="manage-payment"' not in html
    csrf = csrf_token(client, PAGE)

    for path, data in ((f"{PAGE}/checkout", {"plan": "starter", "nonce": "n" * 32}), (f"{PAGE}/payment", {})):
        response = client.post(path, data={**data, "_csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 409, path
        assert "Billing runs in local mode on this installation, so nothing can be paid online." in response.text
        assert "RESONANCE_STRIPE_API_KEY" in response.text


def test_analysts_and_client_viewers_get_a_404_for_the_page_and_the_buttons(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    made = billing.post("/v1/clients", json={"name": "Maison Durand"}, headers=alpha.headers)
    assert made.status_code == 201, made.text
    for member in (
        add_member(billing, alpha.tenant_id, role="analyst"),
        add_member(billing, alpha.tenant_id, role="client_viewer", client_id=made.json()["id"]),
    ):
        billing.cookies.clear()
        sign_in(billing, member)
        assert billing.get(PAGE).status_code == 404
        csrf = csrf_token(billing, "/portal/")
        for path, data in ((f"{PAGE}/checkout", {"plan": "starter", "nonce": "n" * 32}), (f"{PAGE}/payment", {})):
            response = billing.post(path, data={**data, "_csrf_token": csrf}, follow_redirects=False)
            assert response.status_code == 404, path
    assert not fake_stripe.checkout_sessions
    assert not fake_stripe.portal_sessions


def test_a_button_without_the_csrf_token_is_refused(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency
) -> None:
    _admin(billing, alpha)
    _csrf, nonce = _form(billing)
    response = billing.post(f"{PAGE}/checkout", data={"plan": "starter", "nonce": nonce}, follow_redirects=False)
    assert response.status_code == 403
    assert billing.post(f"{PAGE}/payment", data={}, follow_redirects=False).status_code == 403
    assert not fake_stripe.checkout_sessions
    assert not fake_stripe.portal_sessions


def test_stripe_unreachable_is_a_502_page(database: TestDatabase, fake_stripe: FakeStripe, priced: PricedPlans) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nobody listens on
    address = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with stripe_client_app(database, fake_stripe, priced, stripe_api_base=address) as client:
        agency = sign_up(client, "Agency Gamma")
        _admin(client, agency)
        csrf, nonce = _form(client)
        response = _choose(client, "starter", csrf, nonce)
        payment = client.post(f"{PAGE}/payment", data={"_csrf_token": csrf}, follow_redirects=False)
    closed.close()
    assert response.status_code == payment.status_code == 502
    assert "Stripe cannot be reached right now, so nothing was changed." in response.text
    assert not fake_stripe.requests


def test_a_stripe_that_hangs_does_not_hold_the_invoices_for_long(
    billing: TestClient[Litestar], fake_stripe: FakeStripe, alpha: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_of(billing, fake_stripe, alpha)  # the agency has a Stripe customer, so its invoices are read

    class Hanging:
        async def list_async(self, params: dict[str, object]) -> object:
            await asyncio.sleep(30)  # connected, and no answer ever comes
            raise AssertionError("the read should have given up")

    backend = billing.app.state.services.billing
    monkeypatch.setattr(backend, "client", SimpleNamespace(v1=SimpleNamespace(invoices=Hanging())))
    database = billing.app.state.services.database
    tenant = uuid.UUID(str(alpha.tenant_id))

    async def read() -> float:
        started = time.monotonic()
        with pytest.raises(StripeUnavailable):
            await recent_invoices(database, backend, tenant, give_up_after=0.2)
        return time.monotonic() - started

    with billing.portal() as portal:
        assert portal.call(read) < 5
