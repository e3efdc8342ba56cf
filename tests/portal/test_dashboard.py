"""A client's dashboard: the API's answers for the chosen period, as charts and tables."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from api.portal.dashboard import aspects_chart
from tests.api.conftest import create_account, create_client
from tests.conftest import Agency, run_syncs
from tests.portal.conftest import PASSWORD, add_member, sign_in

FIRST, LAST = "2026-02-02", "2026-03-29"
CHART_DATA = re.compile(
    r'<figure class="chart" id="([\w-]+)" data-chart="(\w+)">.*?<script type="application/json">(.*?)</script>', re.S
)


def client_with_history(client: TestClient[Litestar], agency: Agency, name: str = "Maison Durand") -> Any:
    """A client with an owned and a competitor demo account, synced over the dashboard's period."""
    made = create_client(client, agency, name=name)
    owned = create_account(client, agency, made["id"], handle=f"{name.split()[-1].lower()}_owned")
    rival = create_account(client, agency, made["id"], handle=f"{name.split()[-1].lower()}_rival", kind="competitor")
    for account in (owned, rival):
        response = client.post(
            f"/v1/accounts/{account['id']}/syncs", json={"since": FIRST, "until": LAST}, headers=agency.headers
        )
        assert response.status_code == 202, response.text
    run_syncs(client)
    return made


def charts_of(html: str) -> dict[str, tuple[str, Any]]:
    return {found[0]: (found[1], json.loads(found[2])) for found in CHART_DATA.findall(html)}


def test_the_dashboard_draws_the_apis_answers_for_the_period(client: TestClient[Litestar], agency: Agency) -> None:
    made = client_with_history(client, agency)
    sign_in(client, add_member(client, agency.tenant_id))
    page = client.get(f"/portal/clients/{made['id']}?from={FIRST}&to={LAST}")
    assert page.status_code == 200, page.text
    charts = charts_of(page.text)
    assert set(charts) == {
        "chart-followers",
        "chart-engagements",
        "chart-regularity",
        "chart-sentiment",
        "chart-aspects",
        "chart-voice",
        "chart-employer-brand",
    }

    query = {"client_id": made["id"], "metric": "followers", "granularity": "day", "from": FIRST, "to": LAST}
    api = client.get("/v1/metrics", params=query, headers=agency.headers).json()
    kind, followers = charts["chart-followers"]
    assert kind == "line"
    expected = {
        f"demo · {series['handle']}": [[point["period"], point["value"]] for point in series["points"]]
        for series in api["series"]
    }
    assert {line["name"]: line["points"] for line in followers["series"]} == expected
    assert all(len(points) == 56 for points in expected.values())  # every day of the period

    voice = client.get(
        f"/v1/clients/{made['id']}/benchmark", params={"from": FIRST, "to": LAST}, headers=agency.headers
    ).json()["share_of_voice"]["total"]
    assert charts["chart-voice"][1]["slices"] == [
        {"name": "owned", "value": voice["owned_mentions"]},
        {"name": "competitors", "value": voice["competitor_mentions"]},
    ]
    assert voice["owned_mentions"] + voice["competitor_mentions"] > 0

    sentiment = client.get(
        f"/v1/clients/{made['id']}/sentiment",
        params={"from": FIRST, "to": LAST, "granularity": "week"},
        headers=agency.headers,
    ).json()
    assert charts["chart-sentiment"][1]["series"][0]["values"] == [
        period["positive"] for period in sentiment["periods"]
    ]
    aspects = client.get(
        f"/v1/clients/{made['id']}/sentiment/aspects", params={"from": FIRST, "to": LAST}, headers=agency.headers
    ).json()["aspects"]
    spoken = [counts for counts in aspects if counts["mentions"]]
    assert charts["chart-aspects"][1]["categories"] == [counts["aspect"] for counts in spoken]
    assert charts["chart-aspects"][1]["series"][0] == {
        "name": "negative",
        "values": [counts["negative"] for counts in spoken],
    }
    regularity = charts["chart-regularity"][1]["series"]
    assert [line["name"] for line in regularity] == ["demo · durand_owned"]  # owned accounts only


def test_objectives_show_their_status_in_words_and_their_numbers_as_the_language_writes_them(
    client: TestClient[Litestar], agency: Agency
) -> None:
    made = client_with_history(client, agency)
    body = {"metric": "followers", "target": "1234567", "start": FIRST, "end": "2026-06-30", "name": "A big audience"}
    created = client.post(f"/v1/clients/{made['id']}/objectives", json=body, headers=agency.headers)
    assert created.status_code == 201, created.text
    status = created.json()["progress"]["status"]
    words = {
        "not_started": ("Not started", "Pas commencé"),
        "on_track": ("On track", "En bonne voie"),
        "off_track": ("Off track", "En retard"),
        "achieved": ("Achieved", "Atteint"),
        "missed": ("Missed", "Manqué"),
        "no_data": ("No data", "Pas de données"),
    }

    sign_in(client, add_member(client, agency.tenant_id))
    english = client.get(f"/portal/clients/{made['id']}?from={FIRST}&to={LAST}").text
    assert re.search(r"<td>A big audience</td><td>1,234,567</td>", english)
    assert f'<td class="status-{status}">{words[status][0]}</td>' in english
    french = client.get(f"/portal/clients/{made['id']}?from={FIRST}&to={LAST}", headers={"accept-language": "fr"}).text
    assert "<td>A big audience</td><td>1\u202f234\u202f567</td>" in french  # Babel's narrow no-break spaces
    assert f'<td class="status-{status}">{words[status][1]}</td>' in french


def test_a_period_the_api_refuses_is_a_page_saying_why(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency, name="Maison Durand")
    sign_in(client, add_member(client, agency.tenant_id))
    page = client.get(f"/portal/clients/{made['id']}?from=2026-03-01&to=2026-02-01")
    assert page.status_code == 422
    assert "is after" in page.text


def test_charts_are_drawn_in_the_browser(client: TestClient[Litestar], agency: Agency, page: Page) -> None:
    made = client_with_history(client, agency)
    member = add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"])
    page.goto("/portal/sign-in")
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Maison Durand", level=1)).to_be_visible()  # a viewer lands on its client

    page.get_by_label("From", exact=True).fill(FIRST)
    page.get_by_label("To", exact=True).fill(LAST)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"from={FIRST}&to={LAST}"))
    drawn = page.evaluate(
        """() => Object.fromEntries([...window.resonanceCharts].map(([id, chart]) => {
            const option = chart.getOption();
            return [id, {series: option.series.map(s => s.data.length), width: chart.getWidth()}];
        }))"""
    )
    assert set(drawn) == {
        "chart-followers",
        "chart-engagements",
        "chart-regularity",
        "chart-sentiment",
        "chart-aspects",
        "chart-voice",
        "chart-employer-brand",
    }
    assert drawn["chart-followers"]["series"] == [56, 56]  # two accounts, a point a day
    assert drawn["chart-voice"]["series"] == [2]
    assert all(chart["width"] > 100 for chart in drawn.values())
    canvas = page.locator("#chart-followers canvas")
    expect(canvas).to_have_count(1)
    box = canvas.bounding_box()
    assert box is not None
    assert box["height"] > 100

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"maison-durand-report-{FIRST}-{LAST}.pdf"
    path = download.path()
    assert path.read_bytes().startswith(b"%PDF")


def test_the_report_downloads_in_the_viewers_language_and_only_for_its_own_client(
    client: TestClient[Litestar], agency: Agency
) -> None:
    made = client_with_history(client, agency)
    other = create_client(client, agency, name="Garage Lefèvre")
    member = add_member(client, agency.tenant_id, role="client_viewer", client_id=made["id"], locale="fr")
    sign_in(client, member)
    dashboard = client.get(f"/portal/clients/{made['id']}", params={"from": FIRST, "to": LAST})
    assert f'href="/portal/clients/{made["id"]}/report?format=csv&amp;from={FIRST}&amp;to={LAST}"' in dashboard.text

    csv = client.get(f"/portal/clients/{made['id']}/report", params={"format": "csv", "from": FIRST, "to": LAST})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == f'attachment; filename="maison-durand-report-{FIRST}-{LAST}.csv"'
    api = client.get(
        f"/v1/clients/{made['id']}/report",
        params={"format": "csv", "from": FIRST, "to": LAST, "language": "fr"},
        headers=agency.headers,
    )
    assert csv.content == api.content  # the API's report, in the viewer's language

    refused = client.get(f"/portal/clients/{other['id']}/report", params={"format": "pdf"})
    assert refused.status_code == 404
    assert "%PDF" not in refused.text
    wrong = client.get(f"/portal/clients/{made['id']}/report", params={"format": "docx"})
    assert wrong.status_code == 422
    assert "format" in wrong.text


def test_the_topics_chart_leaves_out_topics_no_mention_speaks_of_and_keeps_the_answers_order() -> None:
    from api.sentiment.aspect_schemas import AspectCounts

    def counts(aspect: str, positive: int, negative: int, neutral: int) -> AspectCounts:
        total = positive + negative + neutral
        return AspectCounts(aspect, total, positive, negative, neutral, None, None)

    answer = SimpleNamespace(aspects=[counts("delivery", 1, 5, 2), counts("price", 0, 3, 0), counts("app", 0, 0, 0)])

    chart = aspects_chart(answer)  # type: ignore[arg-type]

    assert chart["categories"] == ["delivery", "price"]
    assert chart["series"] == [
        {"name": "negative", "values": [5, 3]},
        {"name": "neutral", "values": [2, 0]},
        {"name": "positive", "values": [1, 0]},
    ]
