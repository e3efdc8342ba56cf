"""The agency's webhook endpoints in the portal (admins only): list them with their latest delivery, register
one, delete one.

Registering answers with a 303 to `/portal/webhooks/created`, which shows the signing secret once
(`api/portal/shown_once.py`: an encrypted cookie bound to the session, the page sent with
`Cache-Control: no-store`). The rules are the API's (`api/webhooks/service.py`): the same URL checks (public
addresses only, no internal or private ones), the plan's quota, refusal when the subscription makes the agency
read-only, and the audit log with the member as actor. The API has no rotation of a signing secret; to change
one, register a new endpoint and delete the old.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.billing.access import SubscriptionInactive, ensure_writable
from api.errors import ApiError, InvalidInput
from api.portal.collection_page import CollectionPage
from api.portal.i18n import translations
from api.portal.pages import language_of
from api.portal.shown_once import ShownOnce
from api.portal.viewer import CHECKS_WRITABLE, Viewer, actor_of, require_admin
from api.services import Services
from api.webhooks.models import EVENT_TYPES
from api.webhooks.service import create_endpoint, delete_endpoint, last_deliveries, list_endpoints, recent_deliveries

PATH = "/portal/webhooks"
NEW_SECRET = ShownOnce(cookie="rsn_new_webhook", path=PATH, template="webhook_created.html")


class WebhooksController(CollectionPage):
    """The agency's webhook endpoints."""

    path = PATH
    template = "webhooks.html"
    blank_form = {"url": "", "description": "", "event_types": list(EVENT_TYPES)}

    async def listing(self, session: AsyncSession) -> dict[str, Any]:
        endpoints = await list_endpoints(session)
        last = await last_deliveries(session, endpoints)
        recent = await recent_deliveries(session)
        urls = {endpoint.id: endpoint.url for endpoint in endpoints}
        return {"endpoints": endpoints, "last": last, "recent": recent, "urls": urls, "event_types": EVENT_TYPES}

    @get("/")
    async def endpoints(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Template:
        require_admin(viewer)
        return await self._render(request, services, viewer)

    @post("/", status_code=303, opt={CHECKS_WRITABLE: True})
    async def create(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Response[Any]:
        require_admin(viewer)
        submitted = await request.form()
        url = str(submitted.get("url") or "").strip()
        description = str(submitted.get("description") or "").strip()
        event_types = [str(kind) for kind in submitted.getall("event_types", []) if kind in EVENT_TYPES]
        form = {"url": url, "description": description, "event_types": event_types}
        _ = translations(language_of(request, viewer)).gettext
        errors: dict[str, str] = {}
        if not url:
            errors["url"] = _("Give the URL of your receiver, such as https://hooks.example.com/resonance.")
        elif len(url) > 2000:
            errors["url"] = _("The URL is too long: 2000 characters at most.")
        if len(description) > 500:
            errors["description"] = _("The description is too long: 500 characters at most.")
        if not event_types:
            errors["event_types"] = _("Choose at least one event to receive.")
        if errors:
            return await self._render(request, services, viewer, status_code=422, errors=errors, form=form)
        try:
            await ensure_writable(services.standings, viewer.principal.tenant_id)
            async with services.database.tenant_session(viewer.principal.tenant_id) as session:
                endpoint, secret = await create_endpoint(
                    session,
                    services,
                    viewer.principal,
                    actor_of(request, viewer),
                    url=url,
                    event_types=event_types,
                    description=description or None,
                )
                shown = {"secret": secret, "name": endpoint.url}
        except InvalidInput as refused:
            # The policy's sentence says why and what to do (api/webhooks/urls.py); it is written in English.
            errors["url"] = _("This URL cannot receive webhooks.") + " " + refused.detail
            return await self._render(request, services, viewer, status_code=422, errors=errors, form=form)
        except SubscriptionInactive:
            errors["form"] = _("The agency is read-only: its subscription does not allow changes now.")
            return await self._render(request, services, viewer, status_code=402, errors=errors, form=form)
        except ApiError as error:  # the plan's quota of endpoints is full
            errors["form"] = error.detail
            return await self._render(
                request, services, viewer, status_code=error.status_code, errors=errors, form=form
            )
        return NEW_SECRET.redirect(services, viewer, shown)

    @get("/created")
    async def created(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Response[Any]:
        require_admin(viewer)
        return NEW_SECRET.page(request, services, viewer)

    @post("/{endpoint_id:uuid}/delete", status_code=303, opt={CHECKS_WRITABLE: True})
    async def delete(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, endpoint_id: uuid.UUID
    ) -> Response[Any]:
        require_admin(viewer)
        try:
            await ensure_writable(services.standings, viewer.principal.tenant_id)
        except SubscriptionInactive:
            _ = translations(language_of(request, viewer)).gettext
            errors = {"form": _("The agency is read-only: its subscription does not allow changes now.")}
            return await self._render(request, services, viewer, status_code=402, errors=errors)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            await delete_endpoint(session, viewer.principal, actor_of(request, viewer), endpoint_id)
        return Redirect(f"{PATH}?deleted=1", status_code=303)
