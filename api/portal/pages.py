"""What every portal page shares: the template context (language, agency, member) and the session cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from api.portal.i18n import Formats, Language, negotiate, translations
from api.portal.viewer import SESSION_COOKIE, Viewer
from tenants.member_sessions import SESSION_LIFETIME

LANGUAGE_COOKIE = "rsn_lang"
"""The language last chosen in this browser, so that the sign-in page after signing out keeps it."""


def language_of(request: Request[Any, Any, Any], viewer: Viewer | None) -> Language:
    """The page's language: the member's choice, else this browser's last choice, else the browser's languages."""
    chosen = viewer.member.locale if viewer and viewer.member.locale else request.cookies.get(LANGUAGE_COOKIE)
    return negotiate(chosen, request.headers.get("accept-language"))


def language_cookie(language: Language, *, secure: bool) -> Cookie:
    return Cookie(
        key=LANGUAGE_COOKIE, value=language, path="/portal", max_age=365 * 86400, httponly=True, secure=secure
    )


def page(
    request: Request[Any, Any, Any],
    template: str,
    viewer: Viewer | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render a portal page in the viewer's language."""
    language = language_of(request, viewer)
    catalog = translations(language)
    return Template(
        template_name=template,
        status_code=status_code,
        headers=headers,
        context={
            "_": catalog.gettext,
            "lang": language,
            "fmt": Formats(language),
            "viewer": viewer,
            "agency": viewer.agency if viewer else None,
            "brand": viewer.brand if viewer else None,
            **context,
        },
    )


def session_cookie(token: str, *, secure: bool) -> Cookie:
    """The session cookie: unreadable by scripts, not sent by other sites' forms, valid under /portal only."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/portal",
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="lax",
    )


def cleared_session_cookie(*, secure: bool) -> Cookie:
    """The session cookie, removed."""
    return Cookie(key=SESSION_COOKIE, value="", path="/portal", max_age=0, httponly=True, secure=secure, samesite="lax")
