"""The agency's API keys in the portal (admins only): list them by prefix, create one, revoke one.

Creating answers with a 303 to `/portal/api-keys/created`, which shows the new key once (`api/portal/shown_once.py`:
an encrypted cookie bound to the session, the page sent with `Cache-Control: no-store`); reloading that page
shows nothing more. The rules are the API's (`api/tenancy/keys.py`): a key limited to a client cannot have the
`admin` or `webhooks` scope, creating is refused when the subscription makes the agency read-only, revoking is
always possible, both are in the audit log with the member as actor.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.billing.access import WRITABLE_WHEN_READ_ONLY, SubscriptionInactive, ensure_writable
from api.clients.models import Client
from api.errors import ApiError
from api.portal.collection_page import CollectionPage
from api.portal.i18n import translations
from api.portal.pages import language_of
from api.portal.shown_once import ShownOnce
from api.portal.viewer import CHECKS_WRITABLE, Viewer, actor_of, require_admin
from api.services import Services
from api.tenancy.keys import create_key, list_keys, revoke_key

PATH = "/portal/api-keys"
NEW_KEY = ShownOnce(cookie="rsn_new_key", path=PATH, template="api_key_created.html")
SCOPES = ("read", "write", "admin", "webhooks")
CLIENT_SCOPES = ("read", "write")


class ApiKeysController(CollectionPage):
    """The agency's API keys."""

    path = PATH
    template = "api_keys.html"
    blank_form = {"name": "", "scopes": ["read"], "client_id": ""}

    async def listing(self, session: AsyncSession) -> dict[str, Any]:
        keys = await list_keys(session)
        clients = list((await session.scalars(select(Client).order_by(col(Client.name)))).all())
        names = {client.id: client.name for client in clients}
        return {"keys": keys, "clients": clients, "client_names": names, "scopes": SCOPES}

    @get("/")
    async def keys(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Template:
        require_admin(viewer)
        return await self._render(request, services, viewer)

    @post("/", status_code=303, opt={CHECKS_WRITABLE: True})
    async def create(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Response[Any]:
        require_admin(viewer)
        submitted = await request.form()
        name = str(submitted.get("name") or "").strip()
        scopes = [str(scope) for scope in submitted.getall("scopes", []) if scope in SCOPES]
        client_text = str(submitted.get("client_id") or "").strip()
        form = {"name": name, "scopes": scopes, "client_id": client_text}
        _ = translations(language_of(request, viewer)).gettext
        errors: dict[str, str] = {}
        if not name:
            errors["name"] = _("Give the key a name, so that you know later where it is used.")
        elif len(name) > 200:
            errors["name"] = _("The name is too long: 200 characters at most.")
        if not scopes:
            errors["scopes"] = _("Choose at least one permission.")
        client_id: uuid.UUID | None = None
        if client_text:
            try:
                client_id = uuid.UUID(client_text)
            except ValueError:
                errors["client_id"] = _("Choose a client of the agency, or the whole agency.")
        if client_id is not None and any(scope not in CLIENT_SCOPES for scope in scopes):
            errors["scopes"] = _(
                "A key limited to one client can only read and write: administration and webhooks concern the "
                "whole agency."
            )
        if errors:
            return await self._render(request, services, viewer, status_code=422, errors=errors, form=form)
        try:
            await ensure_writable(services.standings, viewer.principal.tenant_id)
            async with services.database.tenant_session(viewer.principal.tenant_id) as session:
                key, secret = await create_key(
                    session, viewer.principal, actor_of(request, viewer), name=name, scopes=scopes, client_id=client_id
                )
                shown = {"secret": secret, "name": key.name, "prefix": key.prefix}
        except SubscriptionInactive:
            errors["form"] = _("The agency is read-only: its subscription does not allow creating keys now.")
            return await self._render(request, services, viewer, status_code=402, errors=errors, form=form)
        except ApiError as error:
            if error.status_code != 404:
                raise
            errors["client_id"] = _("Choose a client of the agency, or the whole agency.")
            return await self._render(request, services, viewer, status_code=422, errors=errors, form=form)
        return NEW_KEY.redirect(services, viewer, shown)

    @get("/created")
    async def created(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Response[Any]:
        require_admin(viewer)
        return NEW_KEY.page(request, services, viewer)

    @post("/{key_id:uuid}/revoke", status_code=303, opt={WRITABLE_WHEN_READ_ONLY: True})  # a leaked key, always
    async def revoke(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, key_id: uuid.UUID
    ) -> Redirect:
        """Revoke at once, whatever the subscription's state (a leaked key must always be revocable)."""
        require_admin(viewer)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            await revoke_key(session, viewer.principal, actor_of(request, viewer), key_id)
            services.key_cache.forget_key(key_id)
        services.key_cache.forget_key(key_id)  # again once committed, as the API does
        return Redirect(f"{PATH}?revoked={key_id}", status_code=303)
