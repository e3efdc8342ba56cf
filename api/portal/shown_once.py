"""A new secret (an API key, a webhook signing secret) shown once, on the page the creating POST redirects to.

The POST that creates answers with a 303 to a `…/created` page, so that reloading that page never creates
again. The secret travels to it in a cookie encrypted with the credential vault, bound to the member's session,
valid two minutes, HttpOnly and limited to the page's path; the page clears it and is sent with
`Cache-Control: no-store`, so a reload, the back button or another browser shows nothing. The secret is never
stored server-side nor logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

from api.portal.pages import page
from api.portal.viewer import Viewer
from api.services import Services
from tenants.credentials import CredentialVault

LIFETIME_SECONDS = 120
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class ShownOnce:
    """The shown-once flow of one kind of secret: the cookie's name, the list page's path, the page's template."""

    cookie: str
    path: str  # the list page; the secret is shown at `{path}/created`
    template: str

    def redirect(self, services: Services, viewer: Viewer, shown: dict[str, str]) -> Redirect:
        """The creating POST's answer: a 303 to the page that shows `shown` (the secret and what to say about it)."""
        value = services.vault.encrypt({**shown, "session": str(viewer.principal.key_id), "at": str(int(time.time()))})
        cookie = Cookie(
            key=self.cookie,
            value=value,
            path=self.path,
            max_age=LIFETIME_SECONDS,
            httponly=True,
            secure=services.settings.production,
            samesite="strict",
        )
        return Redirect(f"{self.path}/created", status_code=303, cookies=[cookie])

    def page(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Response[Any]:
        """The page showing the secret, once; without a fresh cookie of this session, back to the list page."""
        shown = _read(request, services.vault, viewer, self.cookie)
        gone = _cleared(self.cookie, self.path, secure=services.settings.production)
        if shown is None:
            return Redirect(self.path, status_code=303, cookies=[gone])
        response = page(request, self.template, viewer, headers=NO_STORE, shown=shown)
        response.set_cookie(gone)
        return response


def _cleared(name: str, path: str, *, secure: bool) -> Cookie:
    return Cookie(key=name, value="", path=path, max_age=0, httponly=True, secure=secure, samesite="strict")


def _read(request: Request[Any, Any, Any], vault: CredentialVault, viewer: Viewer, name: str) -> dict[str, str] | None:
    """What the cookie carries, when it is this session's and still fresh; else None."""
    token = request.cookies.get(name)
    if not token or len(token) > 4000:
        return None
    try:
        shown = vault.decrypt(token)
    except Exception:  # a cookie we did not make, or made with a retired key: nothing to show
        return None
    if shown.get("session") != str(viewer.principal.key_id):
        return None
    if not str(shown.get("at", "")).isdigit() or time.time() - int(shown["at"]) > LIFETIME_SECONDS:
        return None
    return {str(key): str(value) for key, value in shown.items()}
