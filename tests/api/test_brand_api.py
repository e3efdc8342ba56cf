"""White-label through the API: the agency's colours, its logo and its custom domains."""

from __future__ import annotations

import io
import uuid

from litestar import Litestar
from litestar.testing import TestClient
from PIL import Image
from sqlmodel import col, select

from tenants.models import AuditEntry
from tests.api.conftest import assert_problem
from tests.conftest import Agency
from tests.domain_dns import domain_of, fake_dns, verify


def png(width: int = 64, height: int = 32, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def test_an_admin_sets_the_agencys_colours_and_reads_them_back(client: TestClient[Litestar], agency: Agency) -> None:
    before = client.get("/v1/tenant/brand", headers=agency.headers).json()
    response = client.put(
        "/v1/tenant/brand",
        json={"primary_color": "#FFCC00", "accent_color": "#123456", "display_name": "Alpha Studio"},
        headers=agency.headers,
    )

    assert before["logo"] is None
    assert response.status_code == 200, response.text
    assert response.json() == client.get("/v1/tenant/brand", headers=agency.headers).json()
    assert response.json()["primary_color"] == "#ffcc00"
    assert response.json()["display_name"] == "Alpha Studio"


def test_a_colour_that_is_not_rrggbb_is_a_422_with_a_sentence(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.put(
        "/v1/tenant/brand", json={"primary_color": "red", "accent_color": "#123456"}, headers=agency.headers
    )
    body = assert_problem(response, 422, field="primary_color")
    assert "six hexadecimal digits" in body["detail"]


def test_a_png_logo_is_kept_as_png(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.put(
        "/v1/tenant/brand/logo", content=png(), headers={**agency.headers, "content-type": "image/png"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["logo"]["content_type"] == "image/png"
    assert (response.json()["logo"]["width"], response.json()["logo"]["height"]) == (64, 32)
    assert client.delete("/v1/tenant/brand/logo", headers=agency.headers).status_code == 204
    assert client.get("/v1/tenant/brand", headers=agency.headers).json()["logo"] is None


def test_a_jpeg_logo_is_re_encoded_as_png(client: TestClient[Litestar], agency: Agency) -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 120, 0)).save(out, format="JPEG")
    response = client.put(
        "/v1/tenant/brand/logo", content=out.getvalue(), headers={**agency.headers, "content-type": "image/jpeg"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["logo"]["content_type"] == "image/png"


def test_a_text_file_or_a_too_big_file_is_not_a_logo(client: TestClient[Litestar], agency: Agency) -> None:
    text = client.put(
        "/v1/tenant/brand/logo",
        content=b"hello, not a picture",
        headers={**agency.headers, "content-type": "image/png"},
    )
    big = client.put(
        "/v1/tenant/brand/logo",
        content=png() + b"\0" * (1024 * 1024 + 10),
        headers={**agency.headers, "content-type": "image/png"},
    )
    assert "PNG, JPEG or WebP" in assert_problem(text, 422, field="logo")["detail"]
    assert "at most 1 MB" in assert_problem(big, 422, field="logo")["detail"]


def test_custom_domains_are_normalised_listed_and_removed(client: TestClient[Litestar], agency: Agency) -> None:
    added = client.post("/v1/tenant/domains", json={"host": " Portal.Alpha.Example. "}, headers=agency.headers)
    unicode = client.post("/v1/tenant/domains", json={"host": "café.alpha.example"}, headers=agency.headers)
    bad = client.post("/v1/tenant/domains", json={"host": "https://x.example/path"}, headers=agency.headers)

    assert added.status_code == 201, added.text
    assert added.json()["host"] == "portal.alpha.example"
    assert unicode.json()["host"] == "xn--caf-dma.alpha.example"
    assert_problem(bad, 422, field="host")
    listed = client.get("/v1/tenant/domains", headers=agency.headers).json()["data"]
    assert [row["host"] for row in listed] == ["portal.alpha.example", "xn--caf-dma.alpha.example"]
    assert client.delete("/v1/tenant/domains/portal.alpha.example", headers=agency.headers).status_code == 204
    assert len(client.get("/v1/tenant/domains", headers=agency.headers).json()["data"]) == 1


def test_a_host_verified_by_another_agency_is_a_409_that_does_not_name_it(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    verify(client, agency, "portal.alpha.example")
    taken = client.post("/v1/tenant/domains", json={"host": "PORTAL.alpha.example"}, headers=other_agency.headers)

    body = assert_problem(taken, 409, field="host")
    assert "another agency" in body["detail"]
    assert agency.tenant_id not in taken.text


def test_another_agency_cannot_see_or_remove_my_domain(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)

    assert client.get("/v1/tenant/domains", headers=other_agency.headers).json()["data"] == []
    gone = client.delete("/v1/tenant/domains/portal.alpha.example", headers=other_agency.headers)
    assert_problem(gone, 404)
    assert len(client.get("/v1/tenant/domains", headers=agency.headers).json()["data"]) == 1


def test_a_new_domain_is_unverified_and_shows_the_txt_record_to_publish(
    client: TestClient[Litestar], agency: Agency
) -> None:
    added = client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers).json()
    listed = domain_of(client, agency, "portal.alpha.example")

    assert listed == added
    assert (listed["verified"], listed["verified_at"]) == (False, None)
    record = listed["verification_record"]
    assert record["type"] == "TXT"
    assert record["name"] == "_resonance-challenge.portal.alpha.example"
    assert record["value"].startswith("resonance-verification=")
    assert len(record["value"]) > len("resonance-verification=") + 20


def test_the_right_txt_record_verifies_the_domain(client: TestClient[Litestar], agency: Agency) -> None:
    client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    verified = verify(client, agency, "portal.alpha.example")
    again = client.post("/v1/tenant/domains/portal.alpha.example/verify", headers=agency.headers)

    assert verified["verified"] is True
    assert verified["verified_at"] is not None
    assert verified["verification_record"] is None
    assert domain_of(client, agency, "portal.alpha.example") == verified
    assert again.status_code == 200
    assert again.json() == verified
    assert fake_dns(client).asked == ["_resonance-challenge.portal.alpha.example"]  # verified: not asked again
    assert [entry.action for entry in _audit(client, agency) if entry.action.startswith("domain.")] == [
        "domain.added",
        "domain.verified",
    ]


def test_a_missing_or_wrong_record_is_a_422_with_a_sentence_and_the_domain_stays_unverified(
    client: TestClient[Litestar], agency: Agency
) -> None:
    client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    record = domain_of(client, agency, "portal.alpha.example")["verification_record"]
    dns = fake_dns(client)
    url = "/v1/tenant/domains/portal.alpha.example/verify"

    missing = assert_problem(client.post(url, headers=agency.headers), 422, field="host")
    dns.records[record["name"]] = []
    empty = assert_problem(client.post(url, headers=agency.headers), 422, field="host")
    dns.records[record["name"]] = ["resonance-verification=someone-elses-token", "v=spf1 -all"]
    wrong = assert_problem(client.post(url, headers=agency.headers), 422, field="host")
    dns.timeouts.add(record["name"])
    slow = assert_problem(client.post(url, headers=agency.headers), 422, field="host")

    for body in (missing, empty, wrong, slow):
        assert f"Publish a DNS TXT record named {record['name']} with the value {record['value']}" in body["detail"]
    assert "NXDOMAIN" in missing["detail"]
    assert "no TXT record" in empty["detail"]
    assert "someone-elses-token" in wrong["detail"]
    assert "did not answer" in slow["detail"]
    assert domain_of(client, agency, "portal.alpha.example")["verified"] is False


def test_another_agencys_unverified_claim_does_not_block_the_owner_and_goes_when_the_owner_verifies(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    squat = client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=other_agency.headers)
    mine = client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    assert (squat.status_code, mine.status_code) == (201, 201)
    assert squat.json()["verification_record"]["value"] != mine.json()["verification_record"]["value"]

    verify(client, agency, "portal.alpha.example")

    assert client.get("/v1/tenant/domains", headers=other_agency.headers).json()["data"] == []
    late = client.post("/v1/tenant/domains/portal.alpha.example/verify", headers=other_agency.headers)
    assert_problem(late, 404)


def test_another_agency_cannot_verify_my_domain(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    client.post("/v1/tenant/domains", json={"host": "portal.alpha.example"}, headers=agency.headers)
    fake_dns(client).publish(domain_of(client, agency, "portal.alpha.example")["verification_record"])

    theirs = client.post("/v1/tenant/domains/portal.alpha.example/verify", headers=other_agency.headers)

    assert_problem(theirs, 404, field="host")
    assert domain_of(client, agency, "portal.alpha.example")["verified"] is False


def _audit(client: TestClient[Litestar], agency: Agency) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        async with client.app.state.services.database.tenant_session(uuid.UUID(agency.tenant_id)) as session:
            return list((await session.scalars(select(AuditEntry).order_by(col(AuditEntry.at)))).all())

    with client.portal() as portal:
        return portal.call(read)
