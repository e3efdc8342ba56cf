"""Links sent by e-mail: signing in without a password, and choosing a new one. Each works once, and the pages
say the same whether or not the address has an account."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.conftest import Agency, TestDatabase, make_settings, sign_up
from tests.portal.conftest import PASSWORD, PortalMember, add_member, csrf_token, form_post, sign_in

LINK = re.compile(r"http://portal\.example/portal/(?:sign-in/link|password)/[\w-]+")


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def mail_client(database: TestDatabase, mailbox: Path) -> Iterator[TestClient[Litestar]]:
    settings = make_settings(database, mail_url=f"file://{mailbox}", public_url="http://portal.example")
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def messages(mailbox: Path) -> list[Message]:
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(mailbox.glob("*.eml"))]


def link_in(message: Message) -> str:
    found = LINK.search(message.get_payload(decode=True).decode("utf-8"))  # type: ignore[union-attr]
    assert found, message
    return found.group(0).removeprefix("http://portal.example")


@pytest.fixture
def member(mail_client: TestClient[Litestar]) -> PortalMember:
    agency: Agency = sign_up(mail_client, "Agency Links")
    return add_member(mail_client, agency.tenant_id, email="ana@links.example")


def test_a_sign_in_link_signs_in_once(mail_client: TestClient[Litestar], member: PortalMember, mailbox: Path) -> None:
    sent = form_post(mail_client, "/portal/sign-in/link", {"email": "ANA@links.example"})
    assert sent.status_code == 200
    [message] = messages(mailbox)
    assert message["To"] == "ana@links.example"
    assert message["Subject"] == "Your sign-in link"
    path = link_in(message)

    landing = mail_client.get(path)  # opening the link (or a mail scanner doing it) does not use it up
    assert landing.status_code == 200
    assert "Sign in now" in landing.text
    assert mail_client.get(path).status_code == 200
    used = form_post(mail_client, path, {})
    assert used.status_code == 303
    assert mail_client.get("/portal/", follow_redirects=False).status_code == 200

    mail_client.cookies.clear()
    again = form_post(mail_client, path, {}, page="/portal/sign-in")
    assert again.status_code == 404
    assert "expired or was already used" in again.text
    assert mail_client.get("/portal/", follow_redirects=False).status_code == 303


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    mail_client: TestClient[Litestar], member: PortalMember, mailbox: Path
) -> None:
    known = form_post(mail_client, "/portal/sign-in/link", {"email": member.email})
    unknown = form_post(mail_client, "/portal/sign-in/link", {"email": "stranger@links.example"})
    assert known.text == unknown.text
    assert len(messages(mailbox)) == 1


def test_a_password_link_sets_a_new_password_and_ends_other_sessions(
    mail_client: TestClient[Litestar], member: PortalMember, mailbox: Path, database: TestDatabase
) -> None:
    with TestClient(create_app(make_settings(database)), raise_server_exceptions=False) as elsewhere:
        sign_in(elsewhere, member)  # a session on another device
        form_post(mail_client, "/portal/password/forgotten", {"email": member.email})
        [message] = messages(mailbox)
        assert message["Subject"] == "Choose a new password"
        path = link_in(message)

        short = form_post(mail_client, path, {"password": "short", "confirm": "short"})
        assert short.status_code == 422
        assert "at least 10 characters" in short.text
        differ = form_post(mail_client, path, {"password": "a new long password", "confirm": "another one!"})
        assert differ.status_code == 422
        done = form_post(mail_client, path, {"password": "a new long password", "confirm": "a new long password"})
        assert done.status_code == 303
        assert mail_client.get("/portal/", follow_redirects=False).status_code == 200

        assert elsewhere.get("/portal/", follow_redirects=False).status_code == 303  # signed out there
        mail_client.cookies.clear()
        old = PortalMember(member.tenant_id, member.member_id, member.email, PASSWORD)
        refused = form_post(mail_client, "/portal/sign-in", {"email": old.email, "password": old.password})
        assert refused.status_code == 401
        sign_in(mail_client, PortalMember(member.tenant_id, member.member_id, member.email, "a new long password"))
        reused = form_post(mail_client, path, {"password": "x" * 12, "confirm": "x" * 12}, page="/portal/sign-in")
        assert reused.status_code == 404


def test_a_fourth_link_within_the_hour_is_not_sent_and_the_page_does_not_say_so(
    mail_client: TestClient[Litestar], member: PortalMember, mailbox: Path
) -> None:
    answers = [form_post(mail_client, "/portal/sign-in/link", {"email": member.email}) for _ in range(3)]
    answers.append(form_post(mail_client, "/portal/password/forgotten", {"email": member.email}))
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert "we have sent it a link" in answers[3].text  # the same page as for an address with no account
    assert len(messages(mailbox)) == 3  # nobody fills a member's inbox through the form


def test_too_many_links_asked_from_one_address_are_refused_with_a_sentence(
    mail_client: TestClient[Litestar], member: PortalMember, mailbox: Path
) -> None:
    for number in range(20):
        sent = form_post(mail_client, "/portal/sign-in/link", {"email": f"someone{number}@links.example"})
        assert sent.status_code == 200
    refused = form_post(mail_client, "/portal/sign-in/link", {"email": member.email})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many e-mails were asked from your network. Try again in 5 minutes." in refused.text
    assert messages(mailbox) == []  # the member's link was not sent either
    token = csrf_token(mail_client, "/portal/sign-in/link")
    form = {"email": member.email, "_csrf_token": token}
    french = mail_client.post("/portal/sign-in/link", data=form, headers={"accept-language": "fr"})
    assert french.status_code == 429
    assert "e-mails ont été demandés depuis votre réseau. Réessayez dans 5 minutes." in french.text
