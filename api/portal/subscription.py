"""The agency's plan page: plan, status, quota use, invoices, and for its admins the buttons that subscribe or change
plan (Stripe Checkout) and manage payment (Stripe's Customer Portal).

The Stripe work is `api/billing/self_service.py`, as for the REST API. Each plan's button carries a nonce made when
the page is rendered; the Stripe idempotency key derives from it, so a double click (or a resent form) gives the same
Checkout Session instead of two. In local mode (no Stripe key) there are no buttons and the POSTs answer 409.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from babel.numbers import format_currency
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from api.billing.access import WRITABLE_WHEN_READ_ONLY
from api.billing.plans import by_price
from api.billing.self_service import (
    BillingLocalMode,
    Invoice,
    StripeUnavailable,
    live_subscription,
    open_customer_portal,
    recent_invoices,
    start_checkout,
)
from api.billing.subscription_status import read_subscription
from api.portal.i18n import translations
from api.portal.pages import language_of, page
from api.portal.viewer import Viewer, provide_viewer, require_admin
from api.services import Services

PATH = "/portal/subscription"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass
class CheckoutForm:
    plan: str = ""
    nonce: str = ""


@dataclass(frozen=True)
class InvoiceRow:
    """An invoice as the page shows it: its amount written in the page's language."""

    invoice: Invoice
    amount: str


def _stripe_key(tenant_id: uuid.UUID, kind: str, nonce: str, *parts: str) -> str:
    """The Stripe idempotency key of one rendered form: account-wide at Stripe, so the agency is part of it."""
    digest = hashlib.sha256("\n".join((str(tenant_id), kind, nonce, *parts)).encode()).hexdigest()
    return f"resonance-portal-{kind}-{digest}"


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    request_id: str | None = request.scope.get("state", {}).get("request_id")
    return request_id


def _refusal(request: Request[Any, Any, Any], viewer: Viewer, error: BillingLocalMode | StripeUnavailable) -> Template:
    """A page saying in plain words why nothing was bought (409 local mode, 502 Stripe down)."""
    _ = translations(language_of(request, viewer)).gettext
    if isinstance(error, BillingLocalMode):
        detail = _(
            "Billing runs in local mode on this installation, so nothing can be paid online. The operator enables "
            "Stripe by setting RESONANCE_STRIPE_API_KEY and RESONANCE_STRIPE_WEBHOOK_SECRET and restarting Resonance."
        )
    else:
        detail = _("Stripe cannot be reached right now, so nothing was changed. Try again in a few minutes.")
    return page(request, "error.html", viewer, status_code=error.status_code, status=error.status_code, detail=detail)


class SubscriptionController(Controller):
    """The plan page and its two buttons, for the agency's admins."""

    path = PATH
    include_in_schema = False
    opt = {"exclude_from_auth": True, WRITABLE_WHEN_READ_ONLY: True}  # paying is how a read-only agency gets out
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/")
    async def subscription(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        checkout: str | None = None,
    ) -> Template:
        """The agency's plan, its status and access, its use of each quota, its invoices and the plans on sale."""
        require_admin(viewer)
        tenant_id = viewer.principal.tenant_id
        async with services.database.tenant_session(tenant_id) as session:
            subscription = await read_subscription(session, services.quotas, tenant_id, None)
        local_mode = not services.billing.online
        invoices: list[InvoiceRow] = []
        invoices_failed = False
        subscribed = False
        if not local_mode:
            subscribed = await live_subscription(services.database, tenant_id) is not None
            language = language_of(request, viewer)
            try:
                found = await recent_invoices(
                    services.database, services.billing, tenant_id, request_id=_request_id(request)
                )
            except StripeUnavailable:
                invoices_failed = True  # the rest of the page still helps; the sentence says what is missing
            else:
                invoices = [
                    InvoiceRow(invoice, format_currency(invoice.amount, invoice.currency, locale=language))
                    for invoice in found
                ]
        return page(
            request,
            "subscription.html",
            viewer,
            subscription=subscription,
            plans=by_price(services.plans),
            local_mode=local_mode,
            subscribed=subscribed,
            invoices=invoices,
            invoices_failed=invoices_failed,
            nonce=secrets.token_urlsafe(24),
            returned=checkout if checkout in ("done", "cancelled") else None,
        )

    @post("/checkout", status_code=303)
    async def start_checkout(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        data: Annotated[CheckoutForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """To Stripe Checkout for the plan; an agency already subscribed goes to the Customer Portal's plan change
        (Checkout would start a second subscription). The form's nonce makes the Stripe idempotency key, so a double
        click gives the same Checkout Session."""
        require_admin(viewer)
        tenant_id = viewer.principal.tenant_id
        back = services.settings.public_url.rstrip("/") + PATH
        if not _NONCE.match(data.nonce):
            _ = translations(language_of(request, viewer)).gettext
            detail = _("The form is incomplete: reload the page and press the button again.")
            return page(request, "error.html", viewer, status_code=422, status=422, detail=detail)
        try:
            services.billing.ensure_online()
            key = _stripe_key(tenant_id, "checkout", data.nonce, data.plan)
            subscription_id = await live_subscription(services.database, tenant_id)
            if subscription_id is not None:
                portal = await open_customer_portal(
                    services.database,
                    services.billing,
                    services.standings.default_plan,
                    tenant_id,
                    return_url=back,
                    request_id=_request_id(request),
                    change_subscription=subscription_id,
                )
                return Redirect(portal.url, status_code=303)
            session = await start_checkout(
                services.database,
                services.billing,
                services.plans,
                services.standings.default_plan,
                tenant_id,
                data.plan,
                success_url=f"{back}?checkout=done",
                cancel_url=f"{back}?checkout=cancelled",
                idempotency_key=key,
                request_id=_request_id(request),
            )
        except (BillingLocalMode, StripeUnavailable) as error:
            return _refusal(request, viewer, error)
        return Redirect(session.url, status_code=303)

    @post("/payment", status_code=303)
    async def manage_payment(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
    ) -> Response[Any]:
        """To Stripe's Customer Portal: payment method, invoices, cancellation. No idempotency key: a portal session
        expires within minutes, so a replayed one could be dead, and a double click only opens two."""
        require_admin(viewer)
        tenant_id = viewer.principal.tenant_id
        try:
            services.billing.ensure_online()
            portal = await open_customer_portal(
                services.database,
                services.billing,
                services.standings.default_plan,
                tenant_id,
                return_url=services.settings.public_url.rstrip("/") + PATH,
                request_id=_request_id(request),
            )
        except (BillingLocalMode, StripeUnavailable) as error:
            return _refusal(request, viewer, error)
        return Redirect(portal.url, status_code=303)
