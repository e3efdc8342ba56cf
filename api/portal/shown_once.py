"""A new secret (an API key, a webhook signing secret) shown once, on the page the creating POST redirects to.

The POST that creates answers with a 303 to a `…/created` page, so that reloading that page never creates
again. The secret travels to it in a cookie encrypted with the credential vault, bound to the member's session,
valid two minutes, HttpOnly and limited to the page's path; the page clears it and is sent with
`Cache-Control: no-store`, so a reload, the back button or another browser shows nothing. The secret is never
stored server-side nor logged.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from api.portal.viewer import Viewer
from tenants.credentials import CredentialVault

LIFETIME_SECONDS = 120
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def shown_once_cookie(
    vault: CredentialVault, viewer: Viewer, name: str, path: str, shown: dict[str, str], *, secure: bool
) -> Cookie:
    """The cookie carrying `shown` (the secret and what to say about it) to the page at `path`."""
    value = vault.encrypt({**shown, "session": str(viewer.principal.key_id), "at": str(int(time.time()))})
    return Cookie(
        key=name, value=value, path=path, max_age=LIFETIME_SECONDS, httponly=True, secure=secure, samesite="strict"
    )


def cleared(name: str, path: str, *, secure: bool) -> Cookie:
    return Cookie(key=name, value="", path=path, max_age=0, httponly=True, secure=secure, samesite="strict")


def read_shown_once(
    request: Request[Any, Any, Any], vault: CredentialVault, viewer: Viewer, name: str
) -> dict[str, str] | None:
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
