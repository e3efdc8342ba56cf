"""An agency's whole billing life through the API, against the fake Stripe: a quota met on the default plan,
checkout, the webhooks that move it to the bigger plan, usage reported and matching the ledger, a late payment
with its grace period, read-only after it, paying again, and cancellation; another agency never affected."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update
from stripe_fake import FakeStripe

from api.billing.stripe_backend import METER_EVENT_NAMES
from api.billing.subscriptions import Subscription
from tests.api.conftest import assert_problem, create_account, create_client, owner_connection, sync_account, table
from tests.api.stripe_billing import PricedPlans, deliver, event_of, price_plans, stripe_client_app, subscribe
from tests.conftest import Agency, TestDatabase, sign_up

pytest_plugins = ["stripe_fake.plugin"]

TODAY = datetime.now(UTC).date()


def plans_with_quotas(fake: FakeStripe) -> str:
    """The priced test plans, with a one-client starter plan and a three-client agency plan; every meter has a
    Stripe meter, so every fact of the ledger can be reported."""
    plans: dict[str, Any] = json.loads(price_plans(fake).config)
    plans["starter"]["quotas"] = {"clients": 1}
    plans["agency"]["quotas"] = {"clients": 3}
    existing = {meter["event_name"] for meter in fake.meters.values()}
    for name in METER_EVENT_NAMES.values():
        if name not in existing:
            fake.add_meter(name)
    return json.dumps(plans)


def usage_totals(client: TestClient[Litestar], agency: Agency) -> dict[str, int]:
    response = client.get("/v1/usage", headers=agency.headers)
    assert response.status_code == 200, response.text
    return {meter["meter"]: meter["quantity"] for meter in response.json()["meters"] if meter["quantity"]}


def add_client(client: TestClient[Litestar], agency: Agency, name: str) -> Any:
    return client.post("/v1/clients", json={"name": name}, headers=agency.headers)


def overdue_since(database: TestDatabase, agency: Agency, days: int) -> None:
    """Move the start of the late payment `days` back, as if that much time had passed."""
    with owner_connection(database) as connection:
        connection.execute(
            update(table(Subscription))
            .where(table(Subscription).c.tenant_id == uuid.UUID(agency.tenant_id))
            .values(past_due_since=datetime.now(UTC) - timedelta(days=days))
        )


def test_an_agency_outgrows_its_plan_subscribes_is_billed_exactly_falls_behind_and_cancels(
    database: TestDatabase, fake_stripe: FakeStripe
) -> None:
    plans = PricedPlans(base={}, metered={}, config=plans_with_quotas(fake_stripe))
    with stripe_client_app(database, fake_stripe, plans, default_plan="starter") as client:
        client.app.state.services.rate_limits.flush_interval = 3600.0  # the test flushes the api_calls meter itself
        agency, bystander = sign_up(client, "Agency Alpha"), sign_up(client, "Agency Beta")

        # 1. On the default plan (local, never subscribed), the second client is over the quota.
        first = create_client(client, agency, "Maison Dupont")
        refused = assert_problem(add_client(client, agency, "Atelier Roux"), 402, code="quota_exceeded")
        assert (refused["quota"], refused["usage"], refused["limit"], refused["plan"]) == ("clients", 1, 1, "starter")
        assert [plan["id"] for plan in refused["upgrade"]["plans"]] == ["agency", "scale"]
        assert "POST /v1/billing/checkout-session" in refused["upgrade"]["how"]

        # 2. Checkout of the agency plan, paid; Stripe's two webhooks move the agency to it.
        subscription_id = subscribe(client, fake_stripe, agency, "agency")
        for kind in ("customer.subscription.created", "checkout.session.completed"):
            event = (
                event_of(fake_stripe, subscription_id, kind)
                if kind.startswith("customer")
                else next(e for e in fake_stripe.events.values() if e["type"] == kind)
            )
            assert deliver(client, fake_stripe, event).status_code == 200
        standing = client.get("/v1/subscription", headers=agency.headers).json()
        assert (standing["plan"], standing["status"], standing["stripe_subscription_id"]) == (
            "agency",
            "active",
            subscription_id,
        )
        assert standing["quotas"]["clients"] == {
            "limit": 3,
            "usage": 1,
            "remaining": 2,
            "description": standing["quotas"]["clients"]["description"],
        }
        assert add_client(client, agency, "Atelier Roux").status_code == 201

        # 3. Usage: a sync, API calls; reported to Stripe, Stripe's totals equal the ledger's.
        account = create_account(client, agency, first["id"], handle="dupont")
        sync_account(client, agency, account["id"], TODAY - timedelta(days=3), TODAY)
        services = client.app.state.services
        with client.portal() as portal:
            portal.call(services.rate_limits.flush, services.database, time.time() + 120)
            summary = portal.call(services.usage_reporter.report_pending)
        ledger = usage_totals(client, agency)
        assert set(ledger) == {"tracked_accounts", "syncs", "api_calls", "mentions_analysed"}
        assert summary.sent == summary.attempted > 0
        customer = standing["stripe_customer_id"]
        stripe_totals = {name: total for (who, name), total in fake_stripe.meter_totals().items() if who == customer}
        assert stripe_totals == {METER_EVENT_NAMES[meter]: Decimal(quantity) for meter, quantity in ledger.items()}

        # 4. A late payment: full access through the grace period, read-only after it; reads and exports stay.
        assert deliver(client, fake_stripe, fake_stripe.set_subscription_status(subscription_id, "past_due")).is_success
        in_grace = client.get("/v1/subscription", headers=agency.headers).json()
        assert in_grace["access"]["writable"] is True
        assert in_grace["access"]["read_only_from"] is not None
        assert add_client(client, agency, "Studio Blanc").status_code == 201
        overdue_since(database, agency, days=8)
        client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))

        blocked = assert_problem(add_client(client, agency, "Studio Noir"), 402, code="subscription_inactive")
        assert blocked["subscription_status"] == "past_due"
        assert client.get("/v1/clients", headers=agency.headers).status_code == 200
        report = client.get(f"/v1/clients/{first['id']}/report", params={"format": "csv"}, headers=agency.headers)
        assert report.status_code == 200
        portal_session = client.post(
            "/v1/billing/portal-session", json={"return_url": "https://agency.example/back"}, headers=agency.headers
        )
        assert portal_session.status_code == 201  # the way to pay stays open
        assert add_client(client, bystander, "Other agency's client").status_code == 201

        # 5. Paid: writable again at once (the webhook drops the cached standing).
        assert deliver(client, fake_stripe, fake_stripe.set_subscription_status(subscription_id, "active")).is_success
        assert client.delete(f"/v1/clients/{first['id']}", headers=agency.headers).status_code == 204

        # 6. Canceled: read-only, data kept and exportable; nothing of it touches the other agency.
        assert deliver(client, fake_stripe, fake_stripe.set_subscription_status(subscription_id, "canceled")).is_success
        ended = client.get("/v1/subscription", headers=agency.headers).json()
        assert (ended["status"], ended["access"]["writable"]) == ("canceled", False)
        assert_problem(add_client(client, agency, "Studio Noir"), 402, code="subscription_inactive")
        names = sorted(c["name"] for c in client.get("/v1/clients", headers=agency.headers).json()["data"])
        assert names == ["Atelier Roux", "Studio Blanc"]
        assert usage_totals(client, agency)["syncs"] == 1
        assert client.get("/v1/subscription", headers=bystander.headers).json()["status"] == "local"
        assert add_client(client, bystander, "Second client of Beta").status_code == 402  # its own starter quota
