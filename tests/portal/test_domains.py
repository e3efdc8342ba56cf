"""The custom domains page: an admin adds a host, reads the TXT record to publish, verifies it and removes it;
the rules and the audit log are the API's; other members and other agencies' domains are out of reach."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tenants.models import AuditEntry
from tests.api.conftest import count_rows, create_client
from tests.conftest import Agency, TestDatabase
from tests.domain_dns import domain_of, fake_dns
from tests.portal.conftest import add_member, form_post, sign_in

HOST = "portal.alpha.example"


def _admin(client: TestClient[Litestar], agency: Agency) -> None:
    sign_in(client, add_member(client, agency.tenant_id, role="admin", email="adm@alpha.example"))


def test_an_admin_adds_verifies_and_removes_a_domain(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    _admin(client, agency)
    added = form_post(client, "/portal/domains", {"host": " Portal.Alpha.Example. "})
    listing = client.get(added.headers["location"])
    record = domain_of(client, agency, HOST)["verification_record"]

    assert added.status_code == 303
    assert f"The domain {HOST} is added." in listing.text
    assert record["name"] in listing.text
    assert record["value"] in listing.text
    assert "waiting for its DNS record" in listing.text

    early = form_post(client, f"/portal/domains/{HOST}/verify", {}, page="/portal/domains")
    assert early.status_code == 422
    assert "The DNS does not hold the record yet." in early.text
    assert domain_of(client, agency, HOST)["verified"] is False

    fake_dns(client).publish(record)
    verified = form_post(client, f"/portal/domains/{HOST}/verify", {}, page="/portal/domains")
    assert verified.status_code == 303
    page = client.get(verified.headers["location"])
    assert f"The domain {HOST} is verified" in page.text
    assert "verified on" in page.text
    assert record["value"] not in page.text  # nothing left to publish
    assert "Alpha" in client.get("/portal/sign-in", headers={"Host": HOST}).text  # the brand shows at once

    removed = form_post(client, f"/portal/domains/{HOST}/remove", {}, page="/portal/domains")
    assert removed.status_code == 303
    assert f"The domain {HOST} is removed." in client.get(removed.headers["location"]).text
    assert client.get("/v1/tenant/domains", headers=agency.headers).json()["data"] == []
    for action in ("domain.added", "domain.verified", "domain.removed"):
        assert count_rows(database, AuditEntry, action=action, actor="member:adm@alpha.example") == 1


def test_a_wrong_host_is_a_sentence_and_the_form_keeps_it(client: TestClient[Litestar], agency: Agency) -> None:
    _admin(client, agency)
    refused = form_post(client, "/portal/domains", {"host": "https://portal.alpha.example/x"})

    assert refused.status_code == 422
    assert "Write the host name like portal.agency.example" in refused.text
    assert 'value="https://portal.alpha.example/x"' in refused.text
    assert client.get("/v1/tenant/domains", headers=agency.headers).json()["data"] == []


def test_a_notice_only_repeats_a_host_of_the_agency(client: TestClient[Litestar], agency: Agency) -> None:
    _admin(client, agency)
    page = client.get("/portal/domains?added=evil.example&verified=evil.example")

    assert page.status_code == 200
    assert "evil.example" not in page.text


def test_analysts_and_client_viewers_get_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency)
    for member in (
        add_member(client, agency.tenant_id, role="analyst"),
        add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"]),
    ):
        client.cookies.clear()
        sign_in(client, member)
        assert client.get("/portal/domains").status_code == 404
        assert form_post(client, "/portal/domains", {"host": HOST}, page="/portal/").status_code == 404
    assert client.get("/v1/tenant/domains", headers=agency.headers).json()["data"] == []


def test_another_agencys_domain_is_a_404(client: TestClient[Litestar], agency: Agency, other_agency: Agency) -> None:
    assert client.post("/v1/tenant/domains", json={"host": HOST}, headers=other_agency.headers).status_code == 201
    _admin(client, agency)

    assert form_post(client, f"/portal/domains/{HOST}/verify", {}, page="/portal/domains").status_code == 404
    assert form_post(client, f"/portal/domains/{HOST}/remove", {}, page="/portal/domains").status_code == 404
    assert domain_of(client, other_agency, HOST)["host"] == HOST


def test_the_page_in_french(client: TestClient[Litestar], agency: Agency) -> None:
    _admin(client, agency)
    form_post(client, "/portal/domains", {"host": HOST})
    page = client.get("/portal/domains", headers={"accept-language": "fr"})

    assert "Domaines personnalisés" in page.text
    assert "en attente de son enregistrement DNS" in page.text
