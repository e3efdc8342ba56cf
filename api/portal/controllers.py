"""The portal's pages once signed in: the agency's clients, a client's dashboard, the language; the routers of the
other pages (alerts, a client's mentions and viewers, the agency's settings)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import col, select

from api.alerts.service import open_counts
from api.billing.access import WRITABLE_WHEN_READ_ONLY
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import ApiError
from api.metrics.window import AskedDays
from api.portal.alerts import AlertsController
from api.portal.api_keys import ApiKeysController
from api.portal.brand import BrandController
from api.portal.client_viewers import ClientViewersController
from api.portal.dashboard import DEFAULT_DAYS, cached_dashboard
from api.portal.domains import DomainsController
from api.portal.i18n import LANGUAGES
from api.portal.mentions import MentionsController
from api.portal.pages import language_cookie, language_of, page
from api.portal.sign_in import SignInController
from api.portal.subscription import SubscriptionController
from api.portal.viewer import SignInRequired, Viewer, provide_viewer, safe_next, sign_in_url
from api.portal.webhooks import WebhooksController
from api.reports.service import render_report
from api.services import Services
from tenants.models import Member
from tenants.settings import Settings


@dataclass
class LanguageForm:
    language: str = "en"
    next: str = "/portal/"


class PortalController(Controller):
    """Pages for a signed-in member."""

    path = "/portal"
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/")
    async def home(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Response[Any]:
        if viewer.is_client_viewer and viewer.member.client_id is not None:
            return Redirect(f"/portal/clients/{viewer.member.client_id}")
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            clients = list((await session.scalars(select(Client).order_by(col(Client.name)))).all())
            open_alerts = await open_counts(session, viewer.principal)
        return page(request, "clients.html", viewer, clients=clients, open_alerts=open_alerts)

    @get("/clients/{client_id:uuid}")
    async def client_dashboard(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        client_id: uuid.UUID,
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Template:
        dashboard = await cached_dashboard(services, viewer.principal, client_id, first, last)
        return page(request, "dashboard.html", viewer, dashboard=dashboard, client=dashboard.client)

    @get("/clients/{client_id:uuid}/report")
    async def client_report(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        client_id: uuid.UUID,
        format: Literal["pdf", "csv"] = "pdf",
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Response[bytes]:
        """The report of the dashboard's period, in the viewer's language, as the API makes it."""
        days = AskedDays(first=first, last=last, default_days=DEFAULT_DAYS)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            client = await get_client(session, viewer.principal, client_id)
            file = await render_report(session, services, client, days, format, language_of(request, viewer))
        return Response(file.body, media_type=file.media_type, headers={"Content-Disposition": file.disposition})

    @post("/language", status_code=303, opt={WRITABLE_WHEN_READ_ONLY: True})
    async def choose_language(
        self,
        services: Services,
        viewer: Viewer,
        data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        language = next((known for known in LANGUAGES if known == data.language), None)
        if language is None:
            return Redirect(safe_next(data.next), status_code=303)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            member = await session.get(Member, (viewer.member.tenant_id, viewer.member.id))
            if member is not None:
                member.locale = language
        cookie = language_cookie(language, secure=services.settings.production)
        return Redirect(safe_next(data.next), status_code=303, cookies=[cookie])


def _sign_in_required(request: Request[Any, Any, Any], error: SignInRequired) -> Response[Any]:
    target = sign_in_url(error.next_path, expired=error.expired)
    if request.headers.get("hx-request"):
        return Response(content=None, status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _error_page(request: Request[Any, Any, Any], error: Exception) -> Template:
    """An error as a page (a 404 for another agency's or another client's object, as in the API)."""
    status = error.status_code if isinstance(error, ApiError | HTTPException) else 500
    # An ApiError's detail is written for the caller (what was wrong and what to do), as in the API's problems.
    detail = error.detail if isinstance(error, ApiError) and status in (400, 402, 422) else None
    # Litestar's CSRF middleware refuses with a 403 naming the token; any other 403 is the member's role.
    csrf = status == 403 and isinstance(error, HTTPException) and "csrf" in str(error.detail).lower()
    return page(request, "error.html", status_code=status, status=status, detail=detail, csrf=csrf)


def portal_router(settings: Settings) -> Router:
    """The portal's routes under /portal, with CSRF protection on every form (Litestar's double-submit cookie,
    keyed by the service's secret) and errors shown as pages."""
    secret = hmac.new(settings.secret_keys[0].encode("utf-8"), b"resonance portal csrf", hashlib.sha256).hexdigest()
    csrf = CSRFConfig(
        secret=secret,
        cookie_name="rsn_csrf",
        cookie_path="/portal",
        cookie_secure=settings.production,
        cookie_httponly=True,
        cookie_samesite="lax",
    )
    return Router(
        path="/",
        route_handlers=[
            SignInController,
            PortalController,
            SubscriptionController,
            AlertsController,
            MentionsController,
            ClientViewersController,
            ApiKeysController,
            WebhooksController,
            BrandController,
            DomainsController,
        ],
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)],
        exception_handlers={SignInRequired: _sign_in_required, ApiError: _error_page, HTTPException: _error_page},
        include_in_schema=False,
    )
