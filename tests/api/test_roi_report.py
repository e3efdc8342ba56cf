"""GET /roi: every number checked against a hand computation, EMV on its own line, competitors left out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import assert_problem, create_account, create_client, insert_metric_points
from tests.conftest import Agency, TestDatabase

WINDOW = {"from": "2026-03-01", "to": "2026-03-31"}


def _post(client: TestClient[Litestar], agency: Agency, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=agency.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _points(database: TestDatabase, agency: Agency, account: str, metric: str, values: dict[date, float]) -> None:
    insert_metric_points(database, agency.tenant_id, account, metric, f"native_{metric}", values)


@pytest.fixture
def ledger(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> str:
    """A client in EUR with two owned accounts, a competitor, a month of costs and values, and its own rates."""
    owner = create_client(client, agency, "Boulangerie Martin", currency="EUR")["id"]
    token = {"access_token": "token"}
    linkedin = create_account(client, agency, owner, "martin_li", network="linkedin", credentials=token)["id"]
    instagram = create_account(
        client, agency, owner, "martin_ig", network="instagram", credentials={**token, "ig_user_id": "1"}
    )["id"]
    rival = create_account(
        client,
        agency,
        owner,
        "rival_ig",
        network="instagram",
        kind="competitor",
        credentials={**token, "ig_user_id": "1"},
    )["id"]

    _points(
        database,
        agency,
        linkedin,
        "impressions",
        {date(2026, 2, 28): 99999, date(2026, 3, 1): 12000, date(2026, 3, 2): 8000},
    )
    _points(database, agency, linkedin, "reactions", {date(2026, 3, 1): 150, date(2026, 3, 2): 50})
    _points(database, agency, linkedin, "shares", {date(2026, 3, 2): 10})
    _points(database, agency, linkedin, "clicks", {date(2026, 3, 2): 40, date(2026, 4, 1): 1000})
    _points(database, agency, instagram, "impressions", {date(2026, 3, 10): 5000})
    _points(database, agency, instagram, "comments", {date(2026, 3, 10): 30})
    _points(database, agency, instagram, "video_views", {date(2026, 3, 11): 1000})
    _points(database, agency, instagram, "engagements", {date(2026, 3, 10): 999})  # not valued: sums the others
    _points(database, agency, rival, "impressions", {date(2026, 3, 1): 1_000_000})
    _points(database, agency, rival, "reactions", {date(2026, 3, 1): 5000})

    rates = client.put(
        f"/v1/clients/{owner}/emv-rates",
        json={"cpm": {"linkedin": "32.50"}, "action_values": {"shares": "1.25"}},
        headers=agency.headers,
    )
    assert rates.status_code == 200, rates.text

    costs = f"/v1/clients/{owner}/costs"
    _post(client, agency, costs, {"type": "ad_spend", "date": "2026-03-05", "amount": "1000.00", "network": "linkedin"})
    _post(
        client,
        agency,
        costs,
        {
            "type": "ad_spend",
            "date": "2026-03-06",
            "amount": "300",
            "currency": "USD",
            "exchange_rate": "0.92",
            "network": "instagram",
        },
    )
    _post(
        client,
        agency,
        costs,
        {"type": "labor", "date": "2026-03-07", "hours": "10.5", "hourly_rate": "40", "network": "linkedin"},
    )
    _post(client, agency, costs, {"type": "tools", "date": "2026-03-08", "amount": "49.99"})
    _post(client, agency, costs, {"type": "fees", "date": "2026-03-31", "amount": "800"})
    _post(client, agency, costs, {"type": "ad_spend", "date": "2026-04-01", "amount": "500", "network": "linkedin"})

    values = f"/v1/clients/{owner}/values"
    _post(
        client,
        agency,
        values,
        {"type": "conversion", "date": "2026-03-10", "amount": "2500.00", "count": 5, "network": "linkedin"},
    )
    _post(client, agency, values, {"type": "conversion", "date": "2026-03-11", "amount": "150", "network": "instagram"})
    _post(
        client,
        agency,
        values,
        {"type": "lead", "date": "2026-03-12", "count": 20, "unit_value": "45", "network": "linkedin"},
    )
    _post(client, agency, values, {"type": "application", "date": "2026-03-13", "count": 3, "unit_value": "100"})
    _post(client, agency, values, {"type": "application", "date": "2026-03-14", "count": 2})
    _post(client, agency, values, {"type": "conversion", "date": "2026-02-28", "amount": "7777", "network": "linkedin"})
    return str(owner)


def _roi(client: TestClient[Litestar], agency: Agency, owner: str, **params: str) -> Any:
    response = client.get(f"/v1/clients/{owner}/roi", params={**WINDOW, **params}, headers=agency.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_totals_roi_and_roas_match_the_hand_computation(
    client: TestClient[Litestar], agency: Agency, ledger: str
) -> None:
    report = _roi(client, agency, ledger)

    # cost = 1000 + 300 × 0.92 + 10.5 × 40 + 49.99 + 800 = 2545.99 (the April ad spend is outside the window)
    # value = 2500 + 150 + 20 × 45 + 3 × 100 + 2 × nothing = 3850 (the February conversion is outside)
    assert report["totals"] == {
        "cost": "2545.99",
        "value": "3850.00",
        "net": "1304.01",
        "revenue": "2650.00",
        "ad_spend": "1276.00",
        "roi": "0.5122",  # 1304.01 ÷ 2545.99 = 0.512181…
        "roi_note": None,
        "roas": "2.0768",  # 2650 ÷ 1276 = 2.076802…
        "roas_note": None,
    }
    assert report["currency"] == "EUR"
    assert (report["from"], report["to"], report["network"]) == ("2026-03-01", "2026-03-31", None)
    assert report["costs"] == [
        {"type": "ad_spend", "amount": "1276.00", "entries": 2, "hours": None},
        {"type": "labor", "amount": "420.00", "entries": 1, "hours": "10.5"},
        {"type": "tools", "amount": "49.99", "entries": 1, "hours": None},
        {"type": "fees", "amount": "800.00", "entries": 1, "hours": None},
    ]
    assert report["values"] == [
        {"type": "conversion", "amount": "2650.00", "count": 6, "entries": 2},
        {"type": "lead", "amount": "900.00", "count": 20, "entries": 1},
        {"type": "application", "amount": "300.00", "count": 5, "entries": 2},
    ]
    assert report["excluded"] == []


def test_breakdown_per_network_puts_entries_without_one_under_unattributed(
    client: TestClient[Litestar], agency: Agency, ledger: str
) -> None:
    report = _roi(client, agency, ledger)

    assert report["by_network"] == [
        {
            "network": "instagram",
            "cost": "276.00",
            "value": "150.00",
            "revenue": "150.00",
            "ad_spend": "276.00",
            "roi": "-0.4565",
            "roas": "0.5435",
            "emv": "75.00",
        },  # (150 − 276) ÷ 276; 150 ÷ 276
        {
            "network": "linkedin",
            "cost": "1420.00",
            "value": "3400.00",
            "revenue": "2500.00",
            "ad_spend": "1000.00",
            "roi": "1.3944",
            "roas": "2.5000",
            "emv": "712.50",
        },  # (3400 − 1420) ÷ 1420
        {
            "network": "unattributed",
            "cost": "849.99",
            "value": "300.00",
            "revenue": "0.00",
            "ad_spend": "0.00",
            "roi": "-0.6471",
            "roas": None,
            "emv": "0.00",
        },  # (300 − 849.99) ÷ 849.99 = −0.647054…
    ]


def test_emv_is_on_its_own_line_from_owned_accounts_only(
    client: TestClient[Litestar], agency: Agency, ledger: str
) -> None:
    emv = _roi(client, agency, ledger)["emv"]

    # linkedin: 20000 ÷ 1000 × 32.50 = 650 + 200 × 0.10 + 10 × 1.25 + 40 × 0.75 = 62.50 → 712.50
    # instagram: 5000 ÷ 1000 × 8.00 = 40 + 30 × 0.50 + 1000 × 0.02 = 35 → 75.00
    # the competitor's 1,000,000 impressions and 5000 reactions count for nothing
    assert emv["total"] == "787.50"
    assert emv["impressions_value"] == "690.00"
    assert emv["actions_value"] == "97.50"
    assert "not revenue" in emv["label"]
    assert emv["customized_rates"] == ["cpm.linkedin", "action_values.shares"]
    assert emv["default_cpm"] == "5.00"
    linkedin, instagram = sorted(emv["networks"], key=lambda n: n["network"], reverse=True)
    assert linkedin == {
        "network": "linkedin",
        "accounts": 1,
        "impressions": "20000",
        "cpm": "32.50",
        "impressions_value": "650.00",
        "actions": {
            "reactions": "200",
            "comments": "0",
            "shares": "10",
            "saves": "0",
            "clicks": "40",
            "video_views": "0",
            "profile_views": "0",
        },
        "actions_value": "62.50",
        "total": "712.50",
    }
    assert (instagram["impressions"], instagram["cpm"], instagram["impressions_value"]) == ("5000", "8.00", "40.00")
    assert (instagram["actions_value"], instagram["total"]) == ("35.00", "75.00")
    actions = {line["metric"]: line for line in emv["actions"]}
    assert actions["shares"] == {"metric": "shares", "count": "10", "value_per_action": "1.25", "amount": "12.50"}
    assert actions["video_views"] == {
        "metric": "video_views",
        "count": "1000",
        "value_per_action": "0.02",
        "amount": "20.00",
    }
    assert actions["reactions"]["amount"] == "20.00"


def test_the_answer_publishes_its_definitions(client: TestClient[Litestar], agency: Agency, ledger: str) -> None:
    definition = _roi(client, agency, ledger)["definition"]

    assert definition["roi"].startswith("ROI = (value − cost) ÷ cost")
    assert definition["roas"].startswith("ROAS = conversion revenue ÷ ad_spend")
    assert "never in value" in definition["emv"]
    assert "half to even" in definition["rounding"]
    assert "EUR" in definition["currency"]


def test_network_filter_applies_to_entries_and_emv(client: TestClient[Litestar], agency: Agency, ledger: str) -> None:
    report = _roi(client, agency, ledger, network="linkedin")

    assert report["network"] == "linkedin"
    assert report["totals"]["cost"] == "1420.00"
    assert report["totals"]["value"] == "3400.00"
    assert report["totals"]["roi"] == "1.3944"
    assert report["totals"]["roas"] == "2.5000"
    assert [line["network"] for line in report["by_network"]] == ["linkedin"]
    assert report["emv"]["total"] == "712.50"
    assert [line["network"] for line in report["emv"]["networks"]] == ["linkedin"]


def test_no_cost_leaves_roi_undefined_and_no_ad_spend_leaves_roas_undefined(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency, "Values Only")["id"]
    _post(client, agency, f"/v1/clients/{owner}/values", {"type": "conversion", "date": "2026-03-10", "amount": "10"})

    empty = _roi(client, agency, owner)["totals"]
    _post(client, agency, f"/v1/clients/{owner}/costs", {"type": "tools", "date": "2026-03-10", "amount": "4"})
    tools_only = _roi(client, agency, owner)["totals"]

    assert (empty["roi"], empty["roas"]) == (None, None)
    assert "ROI is undefined" in empty["roi_note"]
    assert "ROAS is undefined" in empty["roas_note"]
    assert (tools_only["roi"], tools_only["roi_note"]) == ("1.5000", None)  # (10 − 4) ÷ 4
    assert tools_only["roas"] is None


def test_an_empty_window_is_all_zeros(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency, "Nothing Yet")["id"]

    report = _roi(client, agency, owner)

    assert report["totals"]["cost"] == report["totals"]["value"] == report["emv"]["total"] == "0.00"
    assert report["by_network"] == []
    assert report["emv"]["networks"] == []


def test_entries_recorded_before_a_currency_change_are_excluded_and_listed(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency, "Moving Currency", currency="EUR")["id"]
    kept = _post(
        client,
        agency,
        f"/v1/clients/{owner}/costs",
        {"type": "tools", "date": "2026-03-10", "amount": "10", "currency": "USD", "exchange_rate": "1"},
    )
    euros = _post(client, agency, f"/v1/clients/{owner}/costs", {"type": "tools", "date": "2026-03-10", "amount": "4"})
    assert client.patch(f"/v1/clients/{owner}", json={"currency": "USD"}, headers=agency.headers).status_code == 200

    report = _roi(client, agency, owner)
    listed = client.get(f"/v1/clients/{owner}/costs/{euros['id']}", headers=agency.headers).json()

    assert report["currency"] == "USD"
    assert report["totals"]["cost"] == "10.00"  # the USD entry is in the new currency as it stands
    assert [(e["id"], e["kind"], e["currency"]) for e in report["excluded"]] == [(euros["id"], "cost", "EUR")]
    assert listed["amount_in_client_currency"] is None
    assert kept["id"] != euros["id"]


def test_emv_rates_defaults_and_customisation(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency, "Rates", currency="CHF")["id"]
    path = f"/v1/clients/{owner}/emv-rates"

    defaults = client.get(path, headers=agency.headers).json()
    changed = client.put(
        path,
        json={"cpm": {"mastodon": "2.5"}, "default_cpm": "4", "action_values": {"clicks": "1"}},
        headers=agency.headers,
    ).json()
    reset = client.put(path, json={}, headers=agency.headers).json()

    assert defaults["currency"] == "CHF"
    assert defaults["cpm"]["linkedin"] == "30.00"
    assert defaults["default_cpm"] == "5.00"
    assert defaults["action_values"]["reactions"] == "0.1"
    assert defaults["customized"] == []
    assert "defaults" in defaults["note"]
    assert defaults["updated_at"] is None
    assert (changed["cpm"]["mastodon"], changed["default_cpm"], changed["action_values"]["clicks"]) == (
        "2.50",
        "4.00",
        "1",
    )
    assert changed["customized"] == ["cpm.mastodon", "default_cpm", "action_values.clicks"]
    assert reset["customized"] == []
    assert reset["cpm"]["mastodon"] == "3.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action_values": {"engagements": "1"}}, "action_values.engagements"),
        ({"action_values": {"clicks": "-1"}}, "action_values.clicks"),
        ({"cpm": {"linkedin": "1.23456"}}, "cpm.linkedin"),
        ({"default_cpm": "NaN"}, "default_cpm"),
        ({"cpm": {"Linked In": "1"}}, "cpm"),
        ({"rates": {}}, "rates"),
    ],
)
def test_invalid_emv_rates_are_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, body: dict[str, Any], field: str
) -> None:
    owner = create_client(client, agency, "Bad Rates")["id"]

    response = client.put(f"/v1/clients/{owner}/emv-rates", json=body, headers=agency.headers)

    assert_problem(response, 422, field=field)
    assert client.get(f"/v1/clients/{owner}/emv-rates", headers=agency.headers).json()["customized"] == []


def test_an_inverted_window_is_422(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency, "Window")["id"]

    response = client.get(
        f"/v1/clients/{owner}/roi", params={"from": "2026-03-31", "to": "2026-03-01"}, headers=agency.headers
    )

    assert_problem(response, 422, field="from")
