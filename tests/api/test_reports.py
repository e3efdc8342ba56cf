"""Client reports: the same numbers in JSON, CSV and PDF, in the client's language and colours."""

from __future__ import annotations

import csv
import io
import ipaddress
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pypdf
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.sentiment.aspects import ASPECTS_VERSION
from api.webhooks.urls import AddressPolicy, IPAddress
from tests.api.conftest import assert_problem, create_account, create_client, insert_metric_points
from tests.api.test_alerts_api import create_rule, evaluate
from tests.api.test_employer_brand import insert_mention, insert_post
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

WINDOW = {"from": "2026-03-02", "to": "2026-03-15"}  # two ISO weeks; the previous period is 16-01 March.


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def seed(client: TestClient[Litestar], agency: Agency, database: TestDatabase, **fields: Any) -> dict[str, Any]:
    """A client with one owned account: 14 days in the window and 14 days before, with simple numbers."""
    owner = create_client(client, agency, "Maison Rouge", brand_color="#C8102E", **fields)
    account = create_account(client, agency, owner["id"], handle="maison_rouge")
    rival = create_account(client, agency, owner["id"], handle="rival", kind="competitor")
    current, previous = _days(date(2026, 3, 2), 14), _days(date(2026, 2, 16), 14)
    for metric, native, now, before in [
        ("impressions", "page_impressions", 100.0, 50.0),
        ("reach", "page_reach", 80.0, 40.0),
        ("engagements", "page_engagements", 4.0, 4.0),
    ]:
        insert_metric_points(
            database,
            agency.tenant_id,
            account["id"],
            metric,
            native,
            {**{day: now for day in current}, **{day: before for day in previous}},
        )
        insert_metric_points(database, agency.tenant_id, rival["id"], metric, native, {day: 1e6 for day in current})
    insert_metric_points(
        database,
        agency.tenant_id,
        account["id"],
        "followers",
        "page_fans",
        {date(2026, 2, 16): 900, date(2026, 3, 1): 1000, date(2026, 3, 2): 1001, date(2026, 3, 15): 1100},
    )
    from datetime import UTC, datetime

    for day in (3, 10, 12):
        insert_post(database, agency, account["id"], datetime(2026, 3, day, 9, tzinfo=UTC), {"page_reach": 10}, [])
    insert_post(database, agency, account["id"], datetime(2026, 2, 20, 9, tzinfo=UTC), {"page_reach": 10}, [])
    insert_mention(database, agency, owner["id"], datetime(2026, 3, 4, 9, tzinfo=UTC), "Bravo Maison Rouge", "positive")
    return owner


def test_the_json_report_summarises_the_window_against_the_previous_one(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)

    response = client.get(f"/v1/clients/{owner['id']}/report", params=WINDOW, headers=agency.headers)

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["client_name"], report["language"], report["brand"]["color"]) == ("Maison Rouge", "en", "#C8102E")
    summary = report["sections"][0]
    assert summary["key"] == "summary"
    figures = {figure["label"]: figure for figure in summary["figures"]}
    # Competitor numbers never count. Followers: last value of the window (1,100) against 1,000 on 1 March.
    assert (figures["Followers"]["value"], figures["Followers"]["change"]) == (1100, 0.1)
    assert (figures["Impressions"]["value"], figures["Impressions"]["change"]) == (1400, 1.0)
    assert (figures["Reach"]["value"], figures["Reach"]["change"]) == (1120, 1.0)
    assert (figures["Engagements"]["value"], figures["Engagements"]["change"]) == (56, 0.0)
    # 56 / 1120 = 0.05 now; 56 / 560 = 0.1 before: -50 %.
    assert figures["Engagement rate"]["value"] == 0.05
    assert figures["Engagement rate"]["change"] == -0.5
    assert (figures["Posts published"]["value"], figures["Posts published"]["change"]) == (3, 2.0)
    assert (figures["Mentions"]["value"], figures["Mentions"]["change"]) == (1, None)
    chart = summary["charts"][0]
    assert chart["categories"] == ["2026-03-02", "2026-03-09"]
    assert chart["series"] == {"Impressions": [700.0, 700.0], "Engagements": [28.0, 28.0]}
    assert any("engagements ÷ reach (reach as reported)" in note for note in summary["notes"])
    assert [section["key"] for section in report["sections"]] == [
        "summary",
        "objectives",
        "presence",
        "sentiment",
        "aspects",
        "alerts",
        "benchmark",
        "employer_brand",
        "roi",
    ]


def test_each_analysis_section_carries_the_numbers_of_its_api_route(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)
    base, headers = f"/v1/clients/{owner['id']}", agency.headers
    from datetime import UTC, datetime

    insert_mention(
        database, agency, owner["id"], datetime(2026, 3, 5, 9, tzinfo=UTC), "Service injoignable", "negative"
    )
    for path, body in [
        ("costs", {"type": "tools", "date": "2026-03-05", "amount": "100"}),
        ("values", {"type": "conversion", "date": "2026-03-06", "amount": "150"}),
        ("objectives", {"metric": "impressions", "target": "2000", "start": "2026-03-01", "end": "2026-03-31"}),
    ]:
        assert client.post(f"{base}/{path}", json=body, headers=headers).status_code == 201

    report = client.get(f"{base}/report", params=WINDOW, headers=headers).json()
    sections = {section["key"]: section for section in report["sections"]}

    # Objectives: impressions 1 March (50) + 2-15 March (14 x 100) = 1,450 as of the report's last day.
    objective = client.get(f"{base}/objectives", params={"as_of": "2026-03-15"}, headers=headers).json()["data"][0]
    row = sections["objectives"]["tables"][0]["rows"][0]
    assert row[0] == "impressions"
    assert row[2:5] == [objective["target"], objective["progress"]["value"], objective["progress"]["forecast"]]
    assert objective["progress"]["value"].startswith("1450")
    # Presence: posts on 3, 10 and 12 March in a 14-day window: 1.5 a week, 3 days since the last, 6 silent days.
    presence = sections["presence"]["tables"][0]["rows"]
    assert presence == [["demo · maison_rouge", 3, 1.5, 3, 6, None, pytest.approx(99 / 1001 * 100)]]
    # Sentiment: one positive, one negative -> net 0; the negative one is quoted.
    figures = {figure["label"]: figure["value"] for figure in sections["sentiment"]["figures"]}
    assert (figures["Mentions"], figures["Positive"], figures["Negative"], figures["Net sentiment"]) == (2, 1, 1, 0.0)
    assert sections["sentiment"]["tables"][0]["rows"] == [["2026-03-05", "Service injoignable"]]
    # Alerts: the report lists the very alerts the API lists for days of the window.
    assert sections["alerts"]["tables"] == []
    create_rule(client, agency, owner["id"], "silence", params={"days": 3})
    opened = evaluate(client, agency, owner["id"], date_from="2026-03-02", date_to="2026-03-15")["opened"]
    assert opened
    report = client.get(f"{base}/report", params=WINDOW, headers=headers).json()
    alerts = next(section for section in report["sections"] if section["key"] == "alerts")
    assert alerts["figures"][0]["value"] == len(opened)
    assert [row[:3] for row in alerts["tables"][0]["rows"]] == [
        [alert["bucket"], "Silence", "open"] for alert in sorted(opened, key=lambda alert: alert["bucket"])
    ]
    # Benchmark: the owned side's audience is its last follower count.
    assert sections["benchmark"]["tables"][0]["rows"][0][:3] == ["Client", 1, 1100]
    # ROI: (150 - 100) / 100 = 0.5, the same as the ROI route's.
    roi = client.get(f"{base}/roi", params=WINDOW, headers=headers).json()
    figures = {figure["label"]: figure["value"] for figure in sections["roi"]["figures"]}
    assert (figures["Cost"], figures["Value"]) == (roi["totals"]["cost"], roi["totals"]["value"])
    assert figures["ROI"] == 0.5


def test_the_aspects_section_carries_the_numbers_of_the_aspects_route(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    from datetime import UTC, datetime

    from tests.api.test_sentiment_aspects_api import insert_mentions

    owner = seed(client, agency, database, language="fr")  # one positive mention without aspect, on 4 March
    at = datetime(2026, 3, 6, 9, tzinfo=UTC)
    insert_mentions(
        database,
        agency.tenant_id,
        owner["id"],
        None,
        {
            "a": (at, "negative", "reviews", "fr", False, ["price", "delivery"]),
            "b": (at, "negative", "reviews", "fr", False, ["delivery"]),
            "c": (at, "positive", "reviews", "fr", False, ["delivery"]),
            "d": (at, "negative", "reviews", "fr", False, []),
            "e": (datetime(2026, 3, 20, 9, tzinfo=UTC), "negative", "reviews", "fr", False, ["staff"]),  # after
        },
    )

    report = client.get(f"/v1/clients/{owner['id']}/report", params=WINDOW, headers=agency.headers).json()
    route = client.get(f"/v1/clients/{owner['id']}/sentiment/aspects", params=WINDOW, headers=agency.headers).json()

    section = next(section for section in report["sections"] if section["key"] == "aspects")
    assert section["title"] == "Sujets des mentions"
    figures = {figure["label"]: figure["value"] for figure in section["figures"]}
    assert figures == {"Mentions avec un sujet": 3, "Sujet qui porte le plus de mentions négatives": "Livraison"}
    # Negatives a b d (3): delivery a b c -> 2 negative, net (1 - 2) / 3; price a; no topic: d and the seed's one.
    table = section["tables"][0]
    assert table["columns"] == ["Sujet", "Mentions", "Négatives", "Sentiment net", "Part des mentions négatives"]
    assert table["rows"] == [
        ["Livraison", 3, 2, -0.3333, 0.6667],
        ["Prix", 1, 1, -1.0, 0.3333],
        ["Sans sujet", 2, 1, 0.0, 0.3333],
    ]
    assert table["units"] == ["", "", "", "%", "%"]
    delivery = next(row for row in route["aspects"] if row["aspect"] == "delivery")
    assert table["rows"][0][1:] == [
        delivery["mentions"],
        delivery["negative"],
        delivery["net_sentiment"],
        delivery["share_of_negative"],
    ]
    assert section["charts"][0]["categories"] == ["Livraison", "Prix"]
    assert section["charts"][0]["series"] == {"Négatives": [2.0, 1.0]}
    assert f"version {ASPECTS_VERSION}" in section["notes"][0]
    pdf = client.get(f"/v1/clients/{owner['id']}/report", params={**WINDOW, "format": "pdf"}, headers=agency.headers)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Sujets des mentions" in text
    assert "Livraison" in text


def test_the_report_speaks_the_clients_language_unless_asked_otherwise(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database, language="fr")

    french = client.get(f"/v1/clients/{owner['id']}/report", params=WINDOW, headers=agency.headers).json()
    english = client.get(
        f"/v1/clients/{owner['id']}/report", params={**WINDOW, "language": "en"}, headers=agency.headers
    ).json()

    assert french["title"] == "Rapport réseaux sociaux"
    assert [section["title"] for section in french["sections"]] == [
        "Synthèse",
        "Objectifs",
        "Présence",
        "Sentiment",
        "Sujets des mentions",
        "Alertes",
        "Concurrents",
        "Marque employeur",
        "Retour sur investissement",
    ]
    assert french["sections"][0]["figures"][0]["label"] == "Abonnés"
    assert english["sections"][0]["title"] == "Summary"


def test_the_csv_report_has_one_value_per_row(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database)

    response = client.get(
        f"/v1/clients/{owner['id']}/report", params={**WINDOW, "format": "csv"}, headers=agency.headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="maison-rouge-report-2026-03-02-2026-03-15.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "table", "row", "column", "value"]
    assert ["summary", "figures", "Impressions", "value", "1400.0"] in rows
    assert ["summary", "figures", "Engagement rate", "change", "-0.5"] in rows
    assert ["summary", "Weekly impressions and engagements", "2026-03-09", "Engagements", "28.0"] in rows


def test_the_pdf_report_carries_the_numbers_in_the_clients_language_and_colour(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = seed(client, agency, database, language="fr")

    response = client.get(
        f"/v1/clients/{owner['id']}/report", params={**WINDOW, "format": "pdf"}, headers=agency.headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in pdf.pages).replace("\xa0", " ")
    assert "Maison Rouge" in text
    assert "Synthèse" in text
    assert "Marque employeur" in text
    assert "Période : du 2 mars 2026 au 15 mars 2026" in text
    assert "1 400" in text  # impressions, French thousands separator
    assert "5,0 %" in text  # engagement rate, French decimal comma
    assert "-50,0 %" in text
    content = b"".join(page.get_contents().get_data() for page in pdf.pages)  # type: ignore[union-attr]
    assert b".784314 .062745 .180392 rg" in content  # the header band is painted in #C8102E
    assert pdf.metadata is not None
    assert pdf.metadata.title == "Maison Rouge - Rapport réseaux sociaux"


def test_bad_report_parameters_are_422(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)

    bad_format = client.get(f"/v1/clients/{owner['id']}/report", params={"format": "docx"}, headers=agency.headers)
    reversed_window = client.get(
        f"/v1/clients/{owner['id']}/report", params={"from": "2026-03-10", "to": "2026-03-01"}, headers=agency.headers
    )

    assert_problem(bad_format, 422, code="validation_error", field="format")
    assert_problem(reversed_window, 422, code="validation_error", field="from")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 16, 46)).save(buffer, format="PNG")
    return buffer.getvalue()


def _serve_logo(app: Litestar, address: str, answer: httpx.Response) -> list[httpx.Request]:
    """Make `cdn.example.com` resolve to `address` and answer `answer`; returns the requests it received."""
    received: list[httpx.Request] = []

    async def resolver(_host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(address)]

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return answer

    app.state.services.webhook_policy = AddressPolicy(https_only=True, allow_private=False, resolver=resolver)
    app.state.services.outbound_transport = httpx.MockTransport(handler)
    return received


def _pdf(client: TestClient[Litestar], agency: Agency, client_id: str) -> tuple[pypdf.PdfReader, str]:
    response = client.get(f"/v1/clients/{client_id}/report", params={**WINDOW, "format": "pdf"}, headers=agency.headers)
    assert response.status_code == 200, response.text
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    return pdf, " ".join(page.extract_text() for page in pdf.pages)


def test_the_pdf_shows_the_logo_fetched_from_the_checked_address(
    app: Litestar, client: TestClient[Litestar], agency: Agency
) -> None:
    received = _serve_logo(
        app, "93.184.215.14", httpx.Response(200, content=_png(), headers={"content-type": "image/png"})
    )
    owner = create_client(client, agency, "Logo Co", logo_url="https://cdn.example.com/logo.png")

    pdf, text = _pdf(client, agency, owner["id"])

    assert len(received) == 1
    assert received[0].url.host == "93.184.215.14"  # connected to the address that was checked
    assert received[0].headers["host"] == "cdn.example.com"
    assert len(pdf.pages[0].images) == 1
    assert "logo is not shown" not in text


@pytest.mark.parametrize(
    ("address", "answer", "reason"),
    [
        ("127.0.0.1", httpx.Response(200, content=b"", headers={"content-type": "image/png"}), "loopback"),
        ("10.1.2.3", httpx.Response(200, content=b"", headers={"content-type": "image/png"}), "private"),
        ("93.184.215.14", httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"}), "text/html"),
        ("93.184.215.14", httpx.Response(404), "HTTP 404"),
        ("93.184.215.14", httpx.Response(200, content=b"not a png", headers={"content-type": "image/png"}), "readable"),
    ],
)
def test_a_logo_that_cannot_be_used_is_left_out_and_the_report_says_why(
    app: Litestar, client: TestClient[Litestar], agency: Agency, address: str, answer: httpx.Response, reason: str
) -> None:
    received = _serve_logo(app, address, answer)
    owner = create_client(client, agency, "Logo Co", logo_url="https://cdn.example.com/logo.png")

    pdf, text = _pdf(client, agency, owner["id"])

    assert len(pdf.pages[0].images) == 0
    assert "The client's logo is not shown" in text
    assert reason in text
    if address != "93.184.215.14":
        assert received == []  # a refused address is never contacted
