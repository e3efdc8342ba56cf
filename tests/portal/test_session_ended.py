"""A session that ends while a page is open: the form sent goes to sign-in, which says so, and comes back to the
page it was sent from (the browser code puts back what was typed: tests/portal/test_session_ended_browser.py)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import create_client
from tests.conftest import Agency
from tests.portal.conftest import add_member, csrf_token, sign_in


def _signed_out(client: TestClient[Litestar], agency: Agency) -> str:
    """Sign in, then end the session the way sign-out does; the page's CSRF token is still the browser's."""
    sign_in(client, add_member(client, agency.tenant_id))
    token = csrf_token(client, "/portal/")
    client.post("/portal/sign-out", data={"_csrf_token": token}, follow_redirects=False)
    return token


def test_a_form_sent_after_the_session_ended_goes_to_sign_in_and_back_to_its_page(
    client: TestClient[Litestar], agency: Agency
) -> None:
    made = create_client(client, agency, name="Maison Durand")
    token = _signed_out(client, agency)
    page = f"http://testserver.local/portal/clients/{made['id']}?from=2026-01-01&to=2026-01-31"
    sent = client.post(
        "/portal/language",
        data={"language": "fr", "_csrf_token": token},
        headers={"referer": page},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    expected = f"/portal/sign-in?next=/portal/clients/{made['id']}%3Ffrom%3D2026-01-01%26to%3D2026-01-31&expired=1"
    assert sent.headers["location"] == expected
    assert "Your session has ended. Sign in again" in client.get(expected).text
    assert "session has ended" not in client.get("/portal/sign-in").text  # only when a form was sent


def test_another_sites_referer_is_never_followed(client: TestClient[Litestar], agency: Agency) -> None:
    token = _signed_out(client, agency)
    sent = client.post(
        "/portal/language",
        data={"language": "fr", "_csrf_token": token},
        headers={"referer": "https://evil.example/portal/clients"},
        follow_redirects=False,
    )
    assert sent.headers["location"] == "/portal/sign-in?next=/portal/&expired=1"


def test_an_htmx_request_after_the_session_ended_is_told_where_to_go(
    client: TestClient[Litestar], agency: Agency
) -> None:
    token = _signed_out(client, agency)
    sent = client.post(
        "/portal/language",
        data={"language": "fr"},
        headers={"x-csrftoken": token, "hx-request": "true", "referer": "http://testserver.local/portal/"},
        follow_redirects=False,
    )
    assert sent.status_code == 401
    assert sent.headers["hx-redirect"] == "/portal/sign-in?next=/portal/&expired=1"
