"""A client's viewers, for the agency's admins: who may see the client's dashboard, inviting one by e-mail,
sending the invitation again, removing a viewer. Anyone else gets the 404 the API gives for what it may not see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from api.billing.access import WRITABLE_WHEN_READ_ONLY
from api.clients.models import Client
from api.clients.service import get_client
from api.portal.i18n import translations
from api.portal.links import portal_base_url
from api.portal.pages import language_of, page
from api.portal.viewer import Viewer, provide_viewer
from api.services import Services
from tenants.members import (
    DuplicateEmail,
    InvalidEmail,
    SendInvitation,
    find_viewer,
    invite_viewer,
    remove_viewer,
    resend_invitation,
    viewers_of,
)
from tenants.models import Member

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class InviteForm:
    email: str = ""


class ClientViewersController(Controller):
    """The viewers page of one client."""

    path = "/portal/clients/{client_id:uuid}/viewers"
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/")
    async def viewers(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, client_id: uuid.UUID
    ) -> Template:
        client = await _client(services, viewer, client_id)
        return await _page(request, services, viewer, client, sent=request.query_params.get("sent"))

    @post("/", status_code=303)
    async def invite(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        client_id: uuid.UUID,
        data: Annotated[InviteForm, FORM],
    ) -> Redirect | Template:
        client = await _client(services, viewer, client_id)
        send = _sender(request, services, viewer, client)
        try:
            member = await invite_viewer(
                services.database, viewer.principal.actor(), viewer.principal.tenant_id, client.id, data.email, send
            )
        except InvalidEmail:
            return await _page(request, services, viewer, client, email=data.email, problem="invalid", status_code=422)
        except DuplicateEmail:
            return await _page(
                request, services, viewer, client, email=data.email, problem="duplicate", status_code=422
            )
        return Redirect(f"/portal/clients/{client.id}/viewers?sent={member.email}", status_code=303)

    @post("/{member_id:uuid}/resend", status_code=303)
    async def resend(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        client_id: uuid.UUID,
        member_id: uuid.UUID,
    ) -> Redirect:
        client = await _client(services, viewer, client_id)
        member = await _viewer_of(services, viewer, client, member_id)
        await resend_invitation(
            services.database, viewer.principal.actor(), member, _sender(request, services, viewer, client)
        )
        return Redirect(f"/portal/clients/{client.id}/viewers?sent={member.email}", status_code=303)

    @post("/{member_id:uuid}/remove", status_code=303, opt={WRITABLE_WHEN_READ_ONLY: True})  # taking access away
    async def remove(self, services: Services, viewer: Viewer, client_id: uuid.UUID, member_id: uuid.UUID) -> Redirect:
        client = await _client(services, viewer, client_id)
        member = await _viewer_of(services, viewer, client, member_id)
        await remove_viewer(services.database, viewer.principal.actor(), member)
        return Redirect(f"/portal/clients/{client.id}/viewers", status_code=303)


async def _client(services: Services, viewer: Viewer, client_id: uuid.UUID) -> Client:
    """The agency's client, for an admin; a 404 for anyone else and for another agency's client."""
    if not viewer.may("admin"):
        raise NotFoundException()
    async with services.database.tenant_session(viewer.principal.tenant_id) as session:
        return await get_client(session, viewer.principal, client_id)


async def _viewer_of(services: Services, viewer: Viewer, client: Client, member_id: uuid.UUID) -> Member:
    member = await find_viewer(services.database, viewer.principal.tenant_id, client.id, member_id)
    if member is None:
        raise NotFoundException()
    return member


async def _page(
    request: Request[Any, Any, Any],
    services: Services,
    viewer: Viewer,
    client: Client,
    *,
    email: str = "",
    problem: str | None = None,
    sent: str | None = None,
    status_code: int = 200,
) -> Template:
    viewers = await viewers_of(services.database, viewer.principal.tenant_id, client.id)
    return page(
        request,
        "client_viewers.html",
        viewer,
        status_code=status_code,
        client=client,
        viewers=viewers,
        email=email,
        problem=problem,
        sent=sent,
    )


def _sender(request: Request[Any, Any, Any], services: Services, viewer: Viewer, client: Client) -> SendInvitation:
    """E-mails the invitation in the inviting admin's language (the invitee has none yet)."""
    _ = translations(language_of(request, viewer)).gettext

    async def send(member: Member, token: str) -> None:
        base = await portal_base_url(services, viewer.agency.id)
        subject = _("Your invitation to the portal of %(agency)s") % {"agency": viewer.agency.name}
        intro = _("%(agency)s invites you to follow %(client)s on its portal.") % {
            "agency": viewer.agency.name,
            "client": client.name,
        }
        step = _("Follow this link within 7 days to choose your password:")
        body = f"{intro}\n\n{step}\n\n{base}/portal/invitation/{token}\n"
        body += "\n" + _("If you did not expect it, ignore this e-mail: nothing changes.") + "\n"
        await services.mailer.send(member.email, subject, body)

    return send
