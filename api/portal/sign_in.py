"""Signing in and out of the portal: password, a one-time link by e-mail, and choosing a new password.

Every answer to "is there such a member?" is the same whatever the truth (the same page, the same e-mail-sent
message), so the portal never tells a stranger which addresses have an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from api.portal.host import brand_of_request, tenant_of_request
from api.portal.i18n import negotiate, translations
from api.portal.links import portal_base_url
from api.portal.pages import cleared_session_cookie, page, session_cookie
from api.portal.throttle import ACCOUNT, ADDRESS, throttle_keys
from api.portal.viewer import current_viewer, safe_next
from api.services import Services
from tenants.member_sessions import (
    Purpose,
    authenticate,
    end_session,
    find_link,
    issue_link,
    member_by_email,
    open_session,
    set_password,
    use_link,
)
from tenants.passwords import password_problem

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class SignInForm:
    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class EmailForm:
    email: str = ""


@dataclass
class PasswordForm:
    password: str = ""
    confirm: str = ""


class SignInController(Controller):
    """The pages a person sees before being signed in."""

    path = "/portal"
    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get("/sign-in")
    async def sign_in_form(
        self, request: Request[Any, Any, Any], services: Services, next: str = "", expired: bool = False
    ) -> Template:
        return await _page(
            request, services, "sign_in.html", next=safe_next(next), email="", error=None, expired=expired
        )

    @post("/sign-in", status_code=303)
    async def sign_in(
        self, request: Request[Any, Any, Any], services: Services, data: Annotated[SignInForm, FORM]
    ) -> Response[Any]:
        throttle = services.sign_in_throttle
        keys = throttle_keys(data.email, request.client.host if request.client else None)
        wait = await throttle.wait(keys)
        if wait > 0:
            # Checked before the password, so guessing on during the wait learns nothing.
            return await _page(
                request,
                services,
                "sign_in.html",
                status_code=429,
                headers={"Retry-After": str(wait)},
                next=safe_next(data.next),
                email=data.email,
                error="too_many",
                minutes=max(1, -(-wait // 60)),
            )
        # On an agency's custom domain only its members sign in; anyone else gets the same wrong-password answer.
        only = await tenant_of_request(request, services)
        member = await authenticate(services.database, data.email, data.password, tenant_id=only)
        if member is None:
            await throttle.failed(keys)
            return await _page(
                request,
                services,
                "sign_in.html",
                status_code=401,
                next=safe_next(data.next),
                email=data.email,
                error="wrong_credentials",
            )
        await throttle.succeeded(keys)
        token = await open_session(services.database, member)
        secure = services.settings.production
        return Redirect(safe_next(data.next), status_code=303, cookies=[session_cookie(token, secure=secure)])

    @post("/sign-out", status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any], services: Services) -> Redirect:
        viewer = await current_viewer(request, services)
        if viewer is not None:
            await end_session(services.database, viewer.signed_in)
        secure = services.settings.production
        return Redirect("/portal/sign-in", status_code=303, cookies=[cleared_session_cookie(secure=secure)])

    @get("/sign-in/link")
    async def link_form(self, request: Request[Any, Any, Any], services: Services) -> Template:
        return await _page(request, services, "email_link.html", purpose="sign_in", sent=False)

    @post("/sign-in/link", status_code=200)
    async def send_link(
        self, request: Request[Any, Any, Any], services: Services, data: Annotated[EmailForm, FORM]
    ) -> Template:
        return await _send_link(request, services, data.email, "sign_in")

    @get("/sign-in/link/{token:str}")
    async def link_landing(self, request: Request[Any, Any, Any], services: Services, token: str) -> Template:
        # A GET never uses the link up: mail scanners open links; the person confirms with the button.
        member = await find_link(services.database, token, "sign_in")
        return await _page(
            request, services, "link_landing.html", status_code=200 if member else 404, valid=member is not None
        )

    @post("/sign-in/link/{token:str}", status_code=303)
    async def use_sign_in_link(self, request: Request[Any, Any, Any], services: Services, token: str) -> Response[Any]:
        member = await use_link(services.database, token, "sign_in")
        if member is None:
            return await _page(request, services, "link_landing.html", status_code=404, valid=False)
        session_token = await open_session(services.database, member)
        secure = services.settings.production
        return Redirect("/portal/", status_code=303, cookies=[session_cookie(session_token, secure=secure)])

    @get("/password/forgotten")
    async def password_request_form(self, request: Request[Any, Any, Any], services: Services) -> Template:
        return await _page(request, services, "email_link.html", purpose="password", sent=False)

    @post("/password/forgotten", status_code=200)
    async def send_password_link(
        self, request: Request[Any, Any, Any], services: Services, data: Annotated[EmailForm, FORM]
    ) -> Template:
        return await _send_link(request, services, data.email, "password")

    @get("/password/{token:str}")
    async def password_form(self, request: Request[Any, Any, Any], services: Services, token: str) -> Template:
        member = await find_link(services.database, token, "password")
        return await _page(
            request,
            services,
            "password.html",
            status_code=200 if member else 404,
            valid=member is not None,
            problem=None,
        )

    @post("/password/{token:str}", status_code=303)
    async def choose_password(
        self, request: Request[Any, Any, Any], services: Services, token: str, data: Annotated[PasswordForm, FORM]
    ) -> Response[Any]:
        return await _choose_password(request, services, token, data, "password", "password.html")

    @get("/invitation/{token:str}")
    async def invitation_form(self, request: Request[Any, Any, Any], services: Services, token: str) -> Template:
        """An invited client viewer's link: choose a password (opening the link does not use it up)."""
        member = await find_link(services.database, token, "invite")
        return await _page(
            request,
            services,
            "invitation.html",
            status_code=200 if member else 404,
            valid=member is not None,
            problem=None,
        )

    @post("/invitation/{token:str}", status_code=303)
    async def accept_invitation(
        self, request: Request[Any, Any, Any], services: Services, token: str, data: Annotated[PasswordForm, FORM]
    ) -> Response[Any]:
        """The invitee's password is set and the invitee signed in, on the client's dashboard."""
        return await _choose_password(request, services, token, data, "invite", "invitation.html")


async def _choose_password(
    request: Request[Any, Any, Any],
    services: Services,
    token: str,
    data: PasswordForm,
    purpose: Purpose,
    template: str,
) -> Response[Any]:
    """Use up a password or invitation link: set the password, sign in, go home (a client viewer's home is its
    client's dashboard)."""
    problem = password_problem(data.password)
    if problem is None and data.password != data.confirm:
        problem = "mismatch"
    if problem is not None:
        valid = await find_link(services.database, token, purpose) is not None
        return await _page(request, services, template, status_code=422 if valid else 404, valid=valid, problem=problem)
    member = await use_link(services.database, token, purpose)
    if member is None:
        return await _page(request, services, template, status_code=404, valid=False, problem=None)
    await set_password(services.database, member, data.password)
    session_token = await open_session(services.database, member)
    secure = services.settings.production
    return Redirect("/portal/", status_code=303, cookies=[session_cookie(session_token, secure=secure)])


async def _send_link(request: Request[Any, Any, Any], services: Services, email: str, purpose: str) -> Template:
    """E-mail a link to the member with this address, if there is one (the page says the same either way), within
    the e-mail limits: too many asked from this client address is said (429); too many to one address is not (the
    page says "sent", nothing is sent), so neither answer tells whether the address has an account."""
    throttle = services.email_link_throttle
    keys = throttle_keys(email, request.client.host if request.client else None)
    if ADDRESS in keys and (wait := await throttle.wait({ADDRESS: keys[ADDRESS]})) > 0:
        minutes = max(1, -(-wait // 60))
        headers = {"Retry-After": str(wait)}
        return await _page(
            request,
            services,
            "email_link.html",
            status_code=429,
            headers=headers,
            purpose=purpose,
            sent=False,
            minutes=minutes,
        )
    sent = await _page(request, services, "email_link.html", purpose=purpose, sent=True)
    if await throttle.wait({ACCOUNT: keys[ACCOUNT]}) > 0:
        await throttle.failed({ADDRESS: keys[ADDRESS]} if ADDRESS in keys else {})
        return sent
    await throttle.failed(keys)
    # On an agency's custom domain, only its members get a link.
    member = await member_by_email(services.database, email, tenant_id=await tenant_of_request(request, services))
    if member is None:
        return sent
    language = negotiate(member.locale, request.headers.get("accept-language"))
    _ = translations(language).gettext
    token = await issue_link(services.database, member, "sign_in" if purpose == "sign_in" else "password")
    base = await portal_base_url(services, member.tenant_id)
    if purpose == "sign_in":
        subject = _("Your sign-in link")
        intro = _("Follow this link within 20 minutes to sign in to the portal:")
        link = f"{base}/portal/sign-in/link/{token}"
    else:
        subject = _("Choose a new password")
        intro = _("Follow this link within an hour to choose a new password:")
        link = f"{base}/portal/password/{token}"
    body = f"{intro}\n\n{link}\n"
    body += "\n" + _("If you did not ask for it, ignore this e-mail: nothing changes.") + "\n"
    await services.mailer.send(member.email, subject, body)
    return sent


async def _page(request: Request[Any, Any, Any], services: Services, template: str, **context: Any) -> Template:
    """A page for someone not signed in: on an agency's custom domain, in the agency's brand."""
    return page(request, template, brand=await brand_of_request(request, services), **context)
