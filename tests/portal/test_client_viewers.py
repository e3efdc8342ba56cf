"""Inviting a client's viewer: the invitation by e-mail, its link, the password chosen, the client's dashboard
only; a duplicate address; who may manage viewers; removing one ends its sessions at once."""

from __future__ import annotations

import asyncio
import email
import re
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tenants.audit import Actor
from tenants.members import DuplicateEmail, invite_viewer
from tenants.models import AuditEntry, Member
from tests.api.conftest import count_rows, create_client
from tests.conftest import Agency, TestDatabase, make_settings, sign_up
from tests.portal.conftest import add_member, csrf_token, form_post, sign_in

LINK = re.compile(r"http://portal\.example(/portal/invitation/[\w-]+)")
NEW_PASSWORD = "a long enough new password"


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def mail_client(database: TestDatabase, mailbox: Path) -> Iterator[TestClient[Litestar]]:
    settings = make_settings(database, mail_url=f"file://{mailbox}", public_url="http://portal.example")
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def agency(mail_client: TestClient[Litestar]) -> Agency:
    return sign_up(mail_client, "Agency Viewers")


def messages(mailbox: Path) -> list[Message]:
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(mailbox.glob("*.eml"))]


def link_in(message: Message) -> str:
    found = LINK.search(message.get_payload(decode=True).decode("utf-8"))  # type: ignore[union-attr]
    assert found, message
    return found.group(1)


def test_an_invited_viewer_chooses_a_password_and_sees_its_client_only(
    mail_client: TestClient[Litestar], agency: Agency, mailbox: Path, database: TestDatabase
) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    roux = create_client(mail_client, agency, name="Atelier Roux")
    admin = add_member(mail_client, agency.tenant_id, role="admin", email="adm@viewers.example")
    sign_in(mail_client, admin)
    viewers = f"/portal/clients/{durand['id']}/viewers"
    assert f'href="{viewers}"' in mail_client.get("/portal/").text

    sent = form_post(mail_client, viewers, {"email": " Claire@Durand.example "})
    assert sent.status_code == 303
    listing = mail_client.get(sent.headers["location"])
    assert "An invitation was sent to claire@durand.example" in listing.text
    assert "claire@durand.example" in listing.text
    assert "Invited" in listing.text
    [message] = messages(mailbox)
    assert message["To"] == "claire@durand.example"
    assert "Maison Durand" in message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert count_rows(database, AuditEntry, action="member.invited", actor="member:adm@viewers.example") == 1
    path = link_in(message)

    mail_client.cookies.clear()
    assert mail_client.get(path).status_code == 200  # opening the link does not use it up
    short = form_post(mail_client, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    chosen = form_post(mail_client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.status_code == 303
    home = mail_client.get("/portal/", follow_redirects=False)
    assert home.headers["location"] == f"/portal/clients/{durand['id']}"
    dashboard = mail_client.get(home.headers["location"])
    assert dashboard.status_code == 200
    assert "Maison Durand" in dashboard.text
    assert mail_client.get(f"/portal/clients/{roux['id']}").status_code == 404
    assert mail_client.get(viewers).status_code == 404  # a viewer does not manage viewers

    mail_client.cookies.clear()
    used = form_post(mail_client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page="/portal/sign-in")
    assert used.status_code == 404


def test_a_duplicate_address_gets_a_sentence(mail_client: TestClient[Litestar], agency: Agency, mailbox: Path) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    sign_in(mail_client, add_member(mail_client, agency.tenant_id, role="owner", email="own@viewers.example"))
    viewers = f"/portal/clients/{durand['id']}/viewers"
    assert form_post(mail_client, viewers, {"email": "claire@durand.example"}).status_code == 303
    for address in ("CLAIRE@durand.example", "own@viewers.example"):
        again = form_post(mail_client, viewers, {"email": address})
        assert again.status_code == 422
        assert "already has this e-mail address" in again.text
        assert 'role="alert"' in again.text
    invalid = form_post(mail_client, viewers, {"email": "not an address"})
    assert invalid.status_code == 422
    assert "This is not an e-mail address" in invalid.text
    assert "not an address" in invalid.text  # what was typed stays in the field
    assert len(messages(mailbox)) == 1


def test_two_simultaneous_invitations_of_one_address_make_one_viewer(
    mail_client: TestClient[Litestar], agency: Agency, mailbox: Path
) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    database = mail_client.app.state.services.database
    tenant_id = uuid.UUID(agency.tenant_id)
    sent: list[str] = []

    async def send(member: Member, token: str) -> None:
        sent.append(member.email)

    async def both() -> list[object]:
        return await asyncio.gather(
            *(
                invite_viewer(database, Actor(label="test"), tenant_id, uuid.UUID(durand["id"]), "x@d.example", send)
                for _ in range(2)
            ),
            return_exceptions=True,
        )

    with mail_client.portal() as portal:
        results = portal.call(both)
    assert sum(isinstance(result, Member) for result in results) == 1
    assert sum(isinstance(result, DuplicateEmail) for result in results) == 1
    assert sent == ["x@d.example"]


def test_analysts_client_viewers_and_other_agencies_get_a_404(
    mail_client: TestClient[Litestar], agency: Agency
) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    viewers = f"/portal/clients/{durand['id']}/viewers"
    for member in (
        add_member(mail_client, agency.tenant_id, role="analyst"),
        add_member(mail_client, agency.tenant_id, role="client_viewer", client_id=durand["id"]),
    ):
        mail_client.cookies.clear()
        sign_in(mail_client, member)
        assert mail_client.get(viewers).status_code == 404
        token = csrf_token(mail_client, "/portal/")
        refused = mail_client.post(viewers, data={"email": "a@b.example", "_csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 404
    other = sign_up(mail_client, "Agency Other")
    mail_client.cookies.clear()
    sign_in(mail_client, add_member(mail_client, other.tenant_id, role="owner"))
    assert mail_client.get(viewers).status_code == 404


def test_removing_a_viewer_ends_its_session(
    mail_client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    viewer = add_member(mail_client, agency.tenant_id, role="client_viewer", client_id=durand["id"])
    admin = add_member(mail_client, agency.tenant_id, role="admin", email="adm@viewers.example")
    with TestClient(mail_client.app) as viewer_browser:
        sign_in(viewer_browser, viewer)
        assert viewer_browser.get(f"/portal/clients/{durand['id']}").status_code == 200

        sign_in(mail_client, admin)
        viewers = f"/portal/clients/{durand['id']}/viewers"
        assert viewer.email in mail_client.get(viewers).text
        removed = form_post(mail_client, f"{viewers}/{viewer.member_id}/remove", {}, page=viewers)
        assert removed.status_code == 303
        assert viewer.email not in mail_client.get(viewers).text
        assert count_rows(database, AuditEntry, action="member.removed", actor="member:adm@viewers.example") == 1

        after = viewer_browser.get(f"/portal/clients/{durand['id']}", follow_redirects=False)
        assert after.status_code == 303
        assert after.headers["location"].startswith("/portal/sign-in")


def test_removing_without_the_csrf_token_is_refused(mail_client: TestClient[Litestar], agency: Agency) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    viewer = add_member(mail_client, agency.tenant_id, role="client_viewer", client_id=durand["id"])
    sign_in(mail_client, add_member(mail_client, agency.tenant_id, role="admin"))
    viewers = f"/portal/clients/{durand['id']}/viewers"
    mail_client.get(viewers)
    assert mail_client.post(f"{viewers}/{viewer.member_id}/remove", follow_redirects=False).status_code == 403
    assert viewer.email in mail_client.get(viewers).text


def test_the_viewers_page_in_french(mail_client: TestClient[Litestar], agency: Agency) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    sign_in(mail_client, add_member(mail_client, agency.tenant_id, role="admin", locale="fr"))
    listing = mail_client.get(f"/portal/clients/{durand['id']}/viewers")
    assert "Lecteurs du client" in listing.text
    assert "Inviter un lecteur" in listing.text


def test_an_invitation_sent_again_brings_a_new_link(
    mail_client: TestClient[Litestar], agency: Agency, mailbox: Path, database: TestDatabase
) -> None:
    durand = create_client(mail_client, agency, name="Maison Durand")
    roux = create_client(mail_client, agency, name="Atelier Roux")
    sign_in(mail_client, add_member(mail_client, agency.tenant_id, role="admin", email="adm@viewers.example"))
    viewers = f"/portal/clients/{durand['id']}/viewers"
    assert form_post(mail_client, viewers, {"email": "claire@durand.example"}).status_code == 303
    [member_id] = re.findall(r'id="viewer-([0-9a-f-]+)"', mail_client.get(viewers).text)
    # Another client's page does not reach this viewer.
    other = f"/portal/clients/{roux['id']}/viewers"
    assert form_post(mail_client, f"{other}/{member_id}/resend", {}, page=other).status_code == 404
    again = form_post(mail_client, f"{viewers}/{member_id}/resend", {}, page=viewers)
    assert again.status_code == 303
    first, second = messages(mailbox)
    assert link_in(first) != link_in(second)
    assert count_rows(database, AuditEntry, action="member.invitation_resent", actor="member:adm@viewers.example") == 1
    mail_client.cookies.clear()
    landing = mail_client.get(link_in(second))
    assert landing.status_code == 200
    assert "Accept the invitation" in landing.text
