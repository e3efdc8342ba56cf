"""An agency's verified custom domain: the sign-in page shows its brand, and only its members sign in there.

An unverified one maps to nothing: the portal's own sign-in page, open to everyone's members."""

from __future__ import annotations

import email
import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.api.conftest import create_client
from tests.conftest import Agency, TestDatabase, make_settings, sign_up
from tests.domain_dns import verify
from tests.portal.conftest import CSRF_FIELD, add_member, form_post, sign_in

HOST = {"Host": "portal.alpha.example"}


def _sign_in(client: TestClient[Litestar], email: str, password: str) -> int:
    page = client.get("/portal/sign-in", headers=HOST)
    token = CSRF_FIELD.search(page.text)
    assert token
    response = client.post(
        "/portal/sign-in",
        data={"email": email, "password": password, "next": "", "_csrf_token": token.group(1)},
        headers=HOST,
        follow_redirects=False,
    )
    return response.status_code


def _domain(client: TestClient[Litestar], agency: Agency, *, verified: bool = True) -> None:
    added = client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    assert added.status_code == 201
    body = {"primary_color": "#7a1f5c", "accent_color": "#123456", "display_name": "Alpha Studio"}
    assert client.put("/v1/tenant/brand", json=body, headers=agency.headers).status_code == 200
    if verified:
        verify(client, agency, "portal.alpha.example")


def test_an_unverified_domain_shows_the_portals_own_sign_in_open_to_every_agency(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    _domain(client, agency, verified=False)
    ours = add_member(client, agency.tenant_id)
    theirs = add_member(client, other_agency.tenant_id)
    page = client.get("/portal/sign-in", headers=HOST)

    assert "--brand-primary" not in page.text
    assert "Alpha Studio" not in page.text
    assert _sign_in(client, theirs.email, theirs.password) == 303
    client.cookies.clear()
    assert _sign_in(client, ours.email, ours.password) == 303


def test_the_domain_maps_as_soon_as_it_is_verified(client: TestClient[Litestar], agency: Agency) -> None:
    _domain(client, agency, verified=False)
    before = client.get("/portal/sign-in", headers=HOST)  # the answer "no agency" is kept a while...
    verify(client, agency, "portal.alpha.example")  # ...but verifying forgets it
    after = client.get("/portal/sign-in", headers=HOST)

    assert "Alpha Studio" not in before.text
    assert "Alpha Studio" in after.text
    assert "--brand-primary: #7a1f5c" in after.text


def test_the_sign_in_page_of_a_custom_domain_shows_the_agencys_brand(
    client: TestClient[Litestar], agency: Agency
) -> None:
    _domain(client, agency)
    branded = client.get("/portal/sign-in", headers=HOST)
    plain = client.get("/portal/sign-in")

    assert "--brand-primary: #7a1f5c" in branded.text
    assert "Alpha Studio" in branded.text
    assert "--brand-primary" not in plain.text


def test_only_the_agencys_members_sign_in_on_its_domain(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    _domain(client, agency)
    ours = add_member(client, agency.tenant_id)
    theirs = add_member(client, other_agency.tenant_id)

    assert _sign_in(client, theirs.email, theirs.password) == 401
    refused = client.post("/portal/sign-in", headers=HOST)  # no CSRF token either
    assert refused.status_code == 403
    client.cookies.clear()
    assert _sign_in(client, ours.email, ours.password) == 303


def test_a_member_of_another_agency_gets_the_wrong_password_sentence(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    _domain(client, agency)
    theirs = add_member(client, other_agency.tenant_id)
    page = client.get("/portal/sign-in", headers=HOST)
    token = CSRF_FIELD.search(page.text)
    assert token
    response = client.post(
        "/portal/sign-in",
        data={"email": theirs.email, "password": theirs.password, "_csrf_token": token.group(1)},
        headers=HOST,
    )
    assert response.status_code == 401
    assert "The e-mail address or the password is wrong." in response.text
    assert "Alpha Studio" in response.text


def test_on_the_domain_only_the_agencys_members_get_a_sign_in_link(database: TestDatabase, tmp_path: Path) -> None:
    mailbox = tmp_path / "mail"
    settings = make_settings(database, mail_url=f"file://{mailbox}")
    with TestClient(create_app(settings)) as client:
        agency, other = sign_up(client, "Agency Alpha"), sign_up(client, "Agency Beta")
        _domain(client, agency)
        ours, theirs = add_member(client, agency.tenant_id), add_member(client, other.tenant_id)
        for member in (theirs, ours):
            page = client.get("/portal/sign-in/link", headers=HOST)
            token = CSRF_FIELD.search(page.text)
            assert token
            data = {"email": member.email, "_csrf_token": token.group(1)}
            assert client.post("/portal/sign-in/link", data=data, headers=HOST).status_code == 200
        sent = [email.message_from_bytes(path.read_bytes())["To"] for path in sorted(mailbox.glob("*.eml"))]
    assert sent == [ours.email]


def _links_mailed(mailbox: Path) -> dict[str, str]:
    """The link in each e-mail, by recipient (the files' names are random, so they have no order)."""
    links = {}
    for path in mailbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        found = re.search(r"https?://\S+", message.get_payload(decode=True).decode("utf-8"))  # type: ignore[union-attr]
        assert found, message
        links[message["To"]] = found.group(0)
    return links


def _ask_link(client: TestClient[Litestar], address: str, headers: dict[str, str] | None = None) -> None:
    page = client.get("/portal/sign-in/link", headers=headers)
    token = CSRF_FIELD.search(page.text)
    assert token
    data = {"email": address, "_csrf_token": token.group(1)}
    assert client.post("/portal/sign-in/link", data=data, headers=headers).status_code == 200


def test_e_mailed_links_lead_to_the_agencys_verified_domain(database: TestDatabase, tmp_path: Path) -> None:
    mailbox = tmp_path / "mail"
    settings = make_settings(database, mail_url=f"file://{mailbox}", public_url="https://app.resonance.example")
    with TestClient(create_app(settings)) as client:
        agency, other = sign_up(client, "Agency Alpha"), sign_up(client, "Agency Beta")
        _domain(client, agency, verified=False)
        early, ours = add_member(client, agency.tenant_id), add_member(client, agency.tenant_id)
        theirs = add_member(client, other.tenant_id)
        _ask_link(client, early.email)  # not verified yet: the service's own address
        verify(client, agency, "portal.alpha.example")
        _ask_link(client, ours.email)  # asked on the service's address, still the agency's domain
        _ask_link(client, theirs.email)  # an agency without a domain
        links = _links_mailed(mailbox)

    assert links[early.email].startswith("https://app.resonance.example/portal/sign-in/link/")
    assert links[ours.email].startswith("https://portal.alpha.example/portal/sign-in/link/")
    assert links[theirs.email].startswith("https://app.resonance.example/portal/sign-in/link/")


def test_an_invitation_leads_to_the_agencys_verified_domain(database: TestDatabase, tmp_path: Path) -> None:
    mailbox = tmp_path / "mail"
    settings = make_settings(database, mail_url=f"file://{mailbox}", public_url="https://app.resonance.example")
    with TestClient(create_app(settings)) as client:
        agency = sign_up(client, "Agency Alpha")
        _domain(client, agency)
        durand = create_client(client, agency, name="Maison Durand")
        admin = add_member(client, agency.tenant_id, role="admin")
        sign_in(client, admin)
        sent = form_post(client, f"/portal/clients/{durand['id']}/viewers", {"email": "claire@durand.example"})
        assert sent.status_code == 303
        [link] = _links_mailed(mailbox).values()
        client.cookies.clear()
        landing = client.get(link.removeprefix("https://portal.alpha.example"), headers=HOST)

    assert link.startswith("https://portal.alpha.example/portal/invitation/")
    assert landing.status_code == 200
    assert "Alpha Studio" in landing.text
