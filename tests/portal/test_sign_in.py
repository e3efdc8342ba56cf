"""Signing in to the portal: passwords, the session cookie, CSRF, sign-out, and who sees what."""

from __future__ import annotations

import logging

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import create_client
from tests.conftest import Agency
from tests.portal.conftest import PASSWORD, add_member, csrf_token, form_post, sign_in


def test_sign_in_sets_a_protected_session_cookie_and_shows_the_agency(
    client: TestClient[Litestar], agency: Agency
) -> None:
    create_client(client, agency, name="Maison Durand")
    member = add_member(client, agency.tenant_id)

    page = client.get("/portal/sign-in")
    assert page.status_code == 200
    assert '<label for="email">' in page.text
    assert '<label for="password">' in page.text
    response = client.post(
        "/portal/sign-in",
        data={"email": member.email.upper(), "password": PASSWORD, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("rsn_portal=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/portal" in cookie

    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Maison Durand" in home.text
    assert "Agency Alpha" in home.text  # the agency's name heads every page


def test_a_wrong_password_or_unknown_address_gets_the_same_answer_and_no_session(
    client: TestClient[Litestar], agency: Agency, caplog: pytest.LogCaptureFixture
) -> None:
    member = add_member(client, agency.tenant_id)
    caplog.set_level(logging.DEBUG)
    answers = []
    for email, password in [(member.email, "not the password"), ("nobody@example.com", PASSWORD)]:
        response = client.post(
            "/portal/sign-in",
            data={"email": email, "password": password, "_csrf_token": csrf_token(client)},
            follow_redirects=False,
        )
        assert response.status_code == 401
        assert "rsn_portal" not in response.headers.get("set-cookie", "")
        answers.append(response.text.replace(email, "EMAIL"))
    assert answers[0] == answers[1]
    assert "The e-mail address or the password is wrong." in answers[0]
    assert "not the password" not in caplog.text
    assert PASSWORD not in caplog.text


def test_a_form_without_its_csrf_token_is_refused(client: TestClient[Litestar], agency: Agency) -> None:
    member = add_member(client, agency.tenant_id)
    csrf_token(client)  # the cookie alone is not enough: the form must carry the token
    response = client.post(
        "/portal/sign-in", data={"email": member.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "rsn_portal" not in response.headers.get("set-cookie", "")
    sign_in(client, member)
    client.cookies.delete("rsn_csrf", path="/portal")
    refused = client.post("/portal/sign-out", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/portal/", follow_redirects=False).status_code == 200  # still signed in


def test_pages_need_a_session_and_come_back_after_sign_in(client: TestClient[Litestar], agency: Agency) -> None:
    created = create_client(client, agency, name="Client One")
    member = add_member(client, agency.tenant_id)
    path = f"/portal/clients/{created['id']}"
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/portal/sign-in?next={path}"
    htmx = client.get(path, headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == f"/portal/sign-in?next={path}"

    token = csrf_token(client, f"/portal/sign-in?next={path}")
    signed = client.post(
        "/portal/sign-in",
        data={"email": member.email, "password": PASSWORD, "next": path, "_csrf_token": token},
        follow_redirects=False,
    )
    assert signed.headers["location"] == path


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/v1/clients", "/portal\\@evil"])
def test_after_sign_in_only_portal_paths_are_followed(
    client: TestClient[Litestar], agency: Agency, target: str
) -> None:
    member = add_member(client, agency.tenant_id)
    response = client.post(
        "/portal/sign-in",
        data={"email": member.email, "password": PASSWORD, "next": target, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/portal/"


def test_sign_out_ends_the_session_for_good(client: TestClient[Litestar], agency: Agency) -> None:
    member = add_member(client, agency.tenant_id)
    sign_in(client, member)
    session_cookie = client.cookies.get("rsn_portal")
    assert session_cookie
    response = form_post(client, "/portal/sign-out", {}, page="/portal/")
    assert response.status_code == 303
    client.cookies.set("rsn_portal", session_cookie, path="/portal")  # a copy of the old cookie
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_a_client_viewer_sees_its_client_only(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    own = create_client(client, agency, name="Own Brand")
    sibling = create_client(client, agency, name="Sibling Brand")
    foreign = create_client(client, other_agency, name="Foreign Brand")
    viewer = add_member(client, agency.tenant_id, role="client_viewer", client_id=own["id"])
    sign_in(client, viewer)

    home = client.get("/portal/", follow_redirects=False)
    assert home.status_code == 307 or home.status_code == 302
    assert home.headers["location"] == f"/portal/clients/{own['id']}"
    assert "Own Brand" in client.get(f"/portal/clients/{own['id']}").text
    for other in (sibling, foreign):
        page = client.get(f"/portal/clients/{other['id']}")
        assert page.status_code == 404
        assert other["name"] not in page.text


def test_an_agency_member_never_sees_another_agency(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    foreign = create_client(client, other_agency, name="Foreign Brand")
    sign_in(client, add_member(client, agency.tenant_id, role="analyst"))
    assert "Foreign Brand" not in client.get("/portal/").text
    assert client.get(f"/portal/clients/{foreign['id']}").status_code == 404


def test_the_language_follows_the_browser_then_the_member_choice(client: TestClient[Litestar], agency: Agency) -> None:
    assert "Connexion" in client.get("/portal/sign-in", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert "Sign in" in client.get("/portal/sign-in", headers={"Accept-Language": "de-DE"}).text
    member = add_member(client, agency.tenant_id)
    sign_in(client, member)
    assert '<html lang="en">' in client.get("/portal/").text
    form_post(client, "/portal/language", {"language": "fr", "next": "/portal/"}, page="/portal/")
    home = client.get("/portal/", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in home.text
    assert "Déconnexion" in home.text
