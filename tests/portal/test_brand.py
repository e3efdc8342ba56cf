"""The agency's brand in the portal: its admins set colours and logo; every page its members and clients see
draws them."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import create_client
from tests.api.test_brand_api import png
from tests.conftest import Agency
from tests.portal.conftest import add_member, csrf_token, form_post, sign_in


def _brand(client: TestClient[Litestar], agency: Agency, primary: str = "#ffcc00") -> None:
    body = {"primary_color": primary, "accent_color": "#123456", "display_name": "Alpha Studio"}
    assert client.put("/v1/tenant/brand", json=body, headers=agency.headers).status_code == 200
    logo = client.put("/v1/tenant/brand/logo", content=png(), headers={**agency.headers, "content-type": "image/png"})
    assert logo.status_code == 200


def test_a_client_viewer_sees_the_agencys_colours_name_and_logo(client: TestClient[Litestar], agency: Agency) -> None:
    _brand(client, agency)
    made = create_client(client, agency, name="Maison Durand")
    sign_in(client, add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"]))

    dashboard = client.get(f"/portal/clients/{made['id']}")
    logo = client.get("/portal/brand/logo")

    assert "--brand-primary: #ffcc00" in dashboard.text
    assert "--brand-primary-ink: #000000" in dashboard.text  # black reads better than white on yellow
    assert "Alpha Studio" in dashboard.text
    assert 'src="/portal/brand/logo?v=' in dashboard.text
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert logo.content.startswith(b"\x89PNG")
    assert "private" in logo.headers["cache-control"]
    assert client.get("/portal/brand/logo", headers={"If-None-Match": logo.headers["etag"]}).status_code == 304


def test_white_ink_on_a_dark_brand_colour(client: TestClient[Litestar], agency: Agency) -> None:
    _brand(client, agency, primary="#102030")
    sign_in(client, add_member(client, agency.tenant_id, role="analyst"))
    assert "--brand-primary-ink: #ffffff" in client.get("/portal/").text


def test_an_admin_sets_the_colours_and_uploads_a_logo_through_the_forms(
    client: TestClient[Litestar], agency: Agency
) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    saved = form_post(client, "/portal/brand", {"primary_color": "#AA0000", "accent_color": "#00aa00"})
    token = csrf_token(client, "/portal/brand")
    uploaded = client.post(
        "/portal/brand/logo",
        data={"_csrf_token": token},
        files={"logo": ("logo.png", png(), "image/png")},
        follow_redirects=False,
    )

    assert saved.status_code == 303, saved.text
    assert uploaded.status_code == 303, uploaded.text
    api = client.get("/v1/tenant/brand", headers=agency.headers).json()
    assert api["primary_color"] == "#aa0000"
    assert api["logo"]["content_type"] == "image/png"
    assert "--brand-primary: #aa0000" in client.get("/portal/").text


def test_bad_colour_and_bad_logo_are_sentences_on_the_page(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin", locale="fr"))
    bad = form_post(client, "/portal/brand", {"primary_color": "red", "accent_color": "#00aa00"})
    token = csrf_token(client, "/portal/brand")
    text = client.post(
        "/portal/brand/logo",
        data={"_csrf_token": token},
        files={"logo": ("notes.txt", b"not a picture", "text/plain")},
        follow_redirects=False,
    )

    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    assert "six chiffres hexadécimaux" in bad.text
    assert 'value="red"' in bad.text  # what was typed is kept
    assert text.status_code == 422
    assert "PNG, JPEG ou WebP" in text.text


def test_csrf_is_required(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    response = client.post("/portal/brand", data={"primary_color": "#000000", "accent_color": "#000000"})
    assert response.status_code == 403


def test_analysts_and_client_viewers_cannot_open_the_brand_page(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency, name="Maison Durand")
    for member in (
        add_member(client, agency.tenant_id, role="analyst"),
        add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"]),
    ):
        client.cookies.clear()
        sign_in(client, member)
        assert client.get("/portal/brand").status_code == 404
        assert form_post(client, "/portal/brand", {"primary_color": "#000000"}, page="/portal/").status_code == 404
        assert 'href="/portal/brand"' not in client.get(f"/portal/clients/{made['id']}").text


def test_the_logo_is_the_viewers_own_agencys(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    _brand(client, agency)
    sign_in(client, add_member(client, other_agency.tenant_id, role="admin"))
    assert client.get("/portal/brand/logo").status_code == 404
