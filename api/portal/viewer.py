"""Who is looking at a portal page: the signed-in member, as the same `Principal` the API's lookups take.

A member's role gives the scopes an API key would have (owner and admin: admin; analyst: write; client viewer:
read), and a client viewer's principal is limited to its client, so every lookup the API makes (another
agency's or another client's object is a 404) holds in the portal unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.exceptions import NotFoundException

from api.auth import Principal
from api.billing.access import READ_METHODS, WRITABLE_WHEN_READ_ONLY, ensure_writable
from api.services import Services
from tenants.audit import Actor
from tenants.branding import BrandLook, brand_look
from tenants.member_sessions import SignedIn, find_session
from tenants.models import Member, Tenant

SESSION_COOKIE = "rsn_portal"
"""The session cookie: HttpOnly, SameSite=Lax, Secure in production, valid under /portal only."""

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "owner": frozenset({"read", "write", "admin"}),
    "admin": frozenset({"read", "write", "admin"}),
    "analyst": frozenset({"read", "write"}),
    "client_viewer": frozenset({"read"}),
}


class SignInRequired(Exception):
    """The page needs a signed-in member; the portal answers with a redirect to the sign-in page.

    `expired`: a form was sent without a session (it ended while the page was open); the sign-in page says so,
    and the browser code puts what was typed back in the form once signed in again (`frontend/src/portal.js`)."""

    def __init__(self, next_path: str, *, expired: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


@dataclass(frozen=True)
class MemberPrincipal(Principal):
    """A member signed in to the portal, as the API's lookups see a caller."""

    member_id: uuid.UUID | None = None
    email: str = ""

    def actor(self, request_id: str | None = None) -> Actor:
        return Actor(label=f"member:{self.email}", request_id=request_id)


@dataclass(frozen=True)
class Viewer:
    """The signed-in member, its agency and its session."""

    signed_in: SignedIn
    agency: Tenant
    principal: MemberPrincipal
    brand: BrandLook | None = None
    """The agency's colours, name and logo, drawn on every page the member sees."""

    @property
    def member(self) -> Member:
        return self.signed_in.member

    @property
    def is_client_viewer(self) -> bool:
        return self.member.role == "client_viewer"

    def may(self, scope: str) -> bool:
        """Whether the member's role allows `scope` (read, write, admin)."""
        return self.principal.allows(scope)


def require_admin(viewer: Viewer) -> None:
    """Pages and forms for the agency's admins only: anyone else gets the 404 the API gives for what a caller may
    not see."""
    if not viewer.may("admin"):
        raise NotFoundException()


def actor_of(request: Request[Any, Any, Any], viewer: Viewer) -> Actor:
    """The member as the audit log names it, with the request's id."""
    return viewer.principal.actor(request.scope.get("state", {}).get("request_id"))


def principal_of(member: Member, session_id: uuid.UUID) -> MemberPrincipal:
    """The principal the API's lookups take for this member."""
    return MemberPrincipal(
        tenant_id=member.tenant_id,
        key_id=session_id,
        key_name=f"member:{member.email}",
        scopes=ROLE_SCOPES.get(member.role, frozenset()),
        client_id=member.client_id if member.role == "client_viewer" else None,
        member_id=member.id,
        email=member.email,
    )


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a portal path only, never another site (no open redirect)."""
    if not path or not path.startswith("/portal/") or path.startswith("//") or "\\" in path:
        return "/portal/"
    return path


def sign_in_url(next_path: str, *, expired: bool = False) -> str:
    url = f"/portal/sign-in?next={quote(safe_next(next_path), safe='/')}"
    return f"{url}&expired=1" if expired else url


async def current_viewer(request: Request[Any, Any, Any], services: Services) -> Viewer | None:
    """The signed-in member of this request, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    signed_in = await find_session(services.database, token)
    if signed_in is None:
        return None
    async with services.database.tenant_session(signed_in.member.tenant_id) as session:
        agency = await session.get(Tenant, signed_in.member.tenant_id)
        brand = await brand_look(session, agency.name) if agency else None
    if agency is None:
        return None
    principal = principal_of(signed_in.member, signed_in.session.id)
    return Viewer(signed_in=signed_in, agency=agency, principal=principal, brand=brand)


CHECKS_WRITABLE = "portal_checks_writable"
"""Set `opt={CHECKS_WRITABLE: True}` on a portal write that calls `ensure_writable` itself (to say it next to the
form); `WRITABLE_WHEN_READ_ONLY` (api/billing/access.py) on one a read-only agency may still send."""


async def provide_viewer(request: Request[Any, Any, Any], services: Services) -> Viewer:
    """The `viewer` dependency of the portal's pages: a redirect to sign in when nobody is. A form of a read-only
    agency (its subscription lapsed) is refused with the API's 402, as the API refuses its writes, except where the
    route allows it (paying, signing out, revoking a key, the language)."""
    viewer = await current_viewer(request, services)
    if viewer is None:
        if request.method != "GET":
            # A form sent from a page whose session ended: back to that page once signed in again.
            raise SignInRequired(_referring_page(request) or "/portal/", expired=True)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    opt = request.route_handler.opt
    if request.method not in READ_METHODS and not (opt.get(WRITABLE_WHEN_READ_ONLY) or opt.get(CHECKS_WRITABLE)):
        await ensure_writable(services.standings, viewer.principal.tenant_id)
    return viewer


def _referring_page(request: Request[Any, Any, Any]) -> str | None:
    """The portal page of this service that sent the request (its Referer), if it is one."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/portal/"):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")
