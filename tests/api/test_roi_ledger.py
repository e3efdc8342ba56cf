"""The ROI ledger: costs and values recorded exactly, in the client's currency or with a rate into it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Column, MetaData, Table, insert, select

from api.roi.models import CostEntry, ValueEntry
from tenants.models import AuditEntry
from tenants.types import ExactDecimal
from tests.api.conftest import assert_problem, count_rows, create_client, create_key, list_all, owner_connection
from tests.conftest import Agency, TestDatabase


@pytest.fixture
def client_id(client: TestClient[Litestar], agency: Agency) -> str:
    return str(create_client(client, agency, "Boulangerie Martin", currency="EUR")["id"])


def post_cost(client: TestClient[Litestar], agency: Agency, client_id: str, **body: Any) -> Any:
    return client.post(f"/v1/clients/{client_id}/costs", json=body, headers=agency.headers)


def post_value(client: TestClient[Litestar], agency: Agency, client_id: str, **body: Any) -> Any:
    return client.post(f"/v1/clients/{client_id}/values", json=body, headers=agency.headers)


# --- exact storage --------------------------------------------------------------------------------------


def test_exact_decimal_round_trips_without_drift(database: TestDatabase) -> None:
    metadata = MetaData()
    numbers = Table("exact_numbers", metadata, Column("value", ExactDecimal(20, 6)))
    samples = [Decimal("0.1"), Decimal("0.2"), Decimal("12345678901234.123456"), Decimal("0.000001"), Decimal("7")]
    with owner_connection(database) as connection:
        metadata.create_all(connection)
        connection.execute(insert(numbers), [{"value": value} for value in samples])
        stored = [row[0] for row in connection.execute(select(numbers.c.value))]
        metadata.drop_all(connection)

    assert stored == samples
    assert all(isinstance(value, Decimal) for value in stored)
    assert [f"{value:f}" for value in stored] == [
        "0.100000",
        "0.200000",
        "12345678901234.123456",
        "0.000001",
        "7.000000",
    ]


def test_exact_decimal_refuses_to_round(database: TestDatabase) -> None:
    metadata = MetaData()
    numbers = Table("exact_refusals", metadata, Column("value", ExactDecimal(20, 6)))
    with owner_connection(database) as connection:
        metadata.create_all(connection)
        with pytest.raises(Exception, match="does not fit"):
            connection.execute(insert(numbers), [{"value": Decimal("0.0000001")}])


def test_many_small_costs_add_up_exactly(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    for _ in range(30):
        assert post_cost(client, agency, client_id, type="tools", date="2026-03-02", amount="0.1").status_code == 201
    assert post_cost(client, agency, client_id, type="tools", date="2026-03-02", amount=0.2).status_code == 201

    costs = list_all(client, agency, f"/v1/clients/{client_id}/costs")
    roi = client.get(
        f"/v1/clients/{client_id}/roi", params={"from": "2026-03-01", "to": "2026-03-31"}, headers=agency.headers
    ).json()

    assert [c["amount"] for c in costs] == ["0.10"] * 30 + ["0.20"]
    assert roi["totals"]["cost"] == "3.20"  # 30 × 0.1 + 0.2, where floats give 3.2000000000000006
    assert sum(0.1 for _ in range(30)) + 0.2 != 3.2


# --- costs -----------------------------------------------------------------------------------------------


def test_labour_is_hours_times_rate_stored_exactly(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    response = post_cost(
        client,
        agency,
        client_id,
        type="labor",
        date="2026-03-03",
        hours="7.25",
        hourly_rate="65.3333",
        network="linkedin",
        campaign="Spring",
        note="Community management",
    )

    assert response.status_code == 201, response.text
    cost = response.json()
    assert cost["amount"] == "473.666425"  # 7.25 × 65.3333, all six places kept
    assert cost["hours"] == "7.25"
    assert cost["hourly_rate"] == "65.3333"
    assert cost["currency"] == "EUR"
    assert cost["exchange_rate"] is None
    assert cost["amount_in_client_currency"] == "473.666425"
    assert cost["network"] == "linkedin"
    assert cost["campaign"] == "Spring"
    assert cost["date"] == "2026-03-03"
    with owner_connection(database) as connection:
        stored = connection.execute(select(CostEntry.__table__.c.amount)).scalar_one()  # type: ignore[attr-defined]
    assert Decimal(str(stored)) == Decimal("473.666425")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "labor", "date": "2026-03-03", "hours": "2"}, "hourly_rate"),
        ({"type": "labor", "date": "2026-03-03", "hourly_rate": "50"}, "hours"),
        ({"type": "labor", "date": "2026-03-03", "hours": "2", "hourly_rate": "50", "amount": "100"}, "amount"),
        ({"type": "labor", "date": "2026-03-03", "hours": "2.125", "hourly_rate": "50"}, "hours"),
        ({"type": "tools", "date": "2026-03-03"}, "amount"),
        ({"type": "tools", "date": "2026-03-03", "amount": "10", "hours": "1"}, "hours"),
        ({"type": "tools", "date": "2026-03-03", "amount": "-5"}, "amount"),
        ({"type": "tools", "date": "2026-03-03", "amount": "1.23456"}, "amount"),
        ({"type": "tools", "date": "2026-03-03", "amount": "NaN"}, "amount"),
        ({"type": "tools", "date": "2026-03-03", "amount": "1e15"}, "amount"),
        ({"type": "tools", "date": "2026-03-03", "amount": "ten"}, "amount"),
        ({"type": "travel", "date": "2026-03-03", "amount": "10"}, "type"),
        ({"type": "tools", "date": "2026-02-30", "amount": "10"}, "date"),
        ({"type": "tools", "amount": "10"}, "date"),
        ({"type": "tools", "date": "2026-03-03", "amount": "10", "network": "Linked In"}, "network"),
        ({"type": "tools", "date": "2026-03-03", "amount": "10", "colour": "red"}, "colour"),
        ({"type": "tools", "date": "2026-03-03", "amount": "10", "currency": "usd"}, "currency"),
    ],
)
def test_invalid_costs_are_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, client_id: str, body: dict[str, Any], field: str
) -> None:
    response = post_cost(client, agency, client_id, **body)

    assert_problem(response, 422, field=field)
    assert list_all(client, agency, f"/v1/clients/{client_id}/costs") == []


def test_another_currency_is_refused_without_its_exchange_rate(
    client: TestClient[Litestar], agency: Agency, client_id: str
) -> None:
    refused = post_cost(client, agency, client_id, type="ad_spend", date="2026-03-03", amount="100", currency="USD")
    pointless = post_cost(
        client, agency, client_id, type="ad_spend", date="2026-03-03", amount="100", exchange_rate="2"
    )
    zero = post_cost(
        client, agency, client_id, type="ad_spend", date="2026-03-03", amount="100", currency="USD", exchange_rate="0"
    )

    problem = assert_problem(refused, 422, code="validation_error", field="exchange_rate")
    assert "USD" in problem["detail"]
    assert "EUR" in problem["detail"]
    assert_problem(pointless, 422, field="exchange_rate")
    assert_problem(zero, 422, field="exchange_rate")
    assert list_all(client, agency, f"/v1/clients/{client_id}/costs") == []


def test_an_exchange_rate_converts_into_the_clients_currency_exactly(
    client: TestClient[Litestar], agency: Agency, client_id: str
) -> None:
    response = post_cost(
        client,
        agency,
        client_id,
        type="ad_spend",
        date="2026-03-03",
        amount="1234.56",
        currency="USD",
        exchange_rate="0.9215",
    )

    assert response.status_code == 201, response.text
    cost = response.json()
    assert cost["amount"] == "1234.56"
    assert cost["currency"] == "USD"
    assert cost["exchange_rate"] == "0.9215"
    assert cost["amount_in_client_currency"] == "1137.64704"  # 1234.56 × 0.9215


# --- values ----------------------------------------------------------------------------------------------


def test_values_of_each_type(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    conversion = post_value(client, agency, client_id, type="conversion", date="2026-03-04", amount="249.90", count=3)
    single = post_value(client, agency, client_id, type="conversion", date="2026-03-04", amount="19.99")
    lead = post_value(client, agency, client_id, type="lead", date="2026-03-04", count=12, unit_value="35.50")
    application = post_value(client, agency, client_id, type="application", date="2026-03-04", count=4)
    valued = post_value(
        client,
        agency,
        client_id,
        type="application",
        date="2026-03-04",
        count=2,
        unit_value="120",
        currency="CHF",
        exchange_rate="1.0625",
    )

    assert [r.status_code for r in (conversion, single, lead, application, valued)] == [201] * 5
    assert (conversion.json()["amount"], conversion.json()["count"]) == ("249.90", 3)
    assert (single.json()["amount"], single.json()["count"]) == ("19.99", 1)
    assert (lead.json()["amount"], lead.json()["unit_value"]) == ("426.00", "35.50")  # 12 × 35.50
    assert (application.json()["amount"], application.json()["unit_value"]) == ("0.00", None)
    assert valued.json()["amount"] == "240.00"  # 2 × 120 CHF
    assert valued.json()["amount_in_client_currency"] == "255.00"  # × 1.0625


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "conversion", "date": "2026-03-04"}, "amount"),
        ({"type": "conversion", "date": "2026-03-04", "amount": "10", "unit_value": "5"}, "unit_value"),
        ({"type": "lead", "date": "2026-03-04", "unit_value": "5"}, "count"),
        ({"type": "lead", "date": "2026-03-04", "count": 5}, "unit_value"),
        ({"type": "lead", "date": "2026-03-04", "count": 5, "unit_value": "5", "amount": "25"}, "amount"),
        ({"type": "lead", "date": "2026-03-04", "count": -1, "unit_value": "5"}, "count"),
        ({"type": "application", "date": "2026-03-04"}, "count"),
        ({"type": "emv", "date": "2026-03-04", "amount": "5"}, "type"),
        ({"type": "conversion", "date": "2026-03-04", "amount": "5", "currency": "GBP"}, "exchange_rate"),
    ],
)
def test_invalid_values_are_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, client_id: str, body: dict[str, Any], field: str
) -> None:
    response = post_value(client, agency, client_id, **body)

    assert_problem(response, 422, field=field)
    assert list_all(client, agency, f"/v1/clients/{client_id}/values") == []


# --- reading, deleting, idempotency, audit, scopes -------------------------------------------------------


def test_costs_list_filters_and_paginates(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    made = [
        post_cost(client, agency, client_id, type="ad_spend", date=day, amount="10", network=network).json()["id"]
        for day, network in [
            ("2026-03-01", "linkedin"),
            ("2026-03-05", "instagram"),
            ("2026-03-09", "linkedin"),
            ("2026-03-12", None),
        ]
    ]
    path = f"/v1/clients/{client_id}/costs"

    first = client.get(path, params={"limit": 3}, headers=agency.headers).json()
    rest = client.get(path, params={"limit": 3, "cursor": first["next_cursor"]}, headers=agency.headers).json()
    linkedin = list_all(client, agency, path, network="linkedin")
    window = list_all(client, agency, path, **{"from": "2026-03-05", "to": "2026-03-09"})

    assert [c["id"] for c in first["data"] + rest["data"]] == made
    assert rest["next_cursor"] is None
    assert [c["id"] for c in linkedin] == [made[0], made[2]]
    assert [c["id"] for c in window] == [made[1], made[2]]
    assert_problem(
        client.get(path, params={"from": "2026-03-09", "to": "2026-03-01"}, headers=agency.headers), 422, field="from"
    )


def test_delete_a_cost_and_a_value(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    cost = post_cost(client, agency, client_id, type="fees", date="2026-03-01", amount="500").json()
    value = post_value(client, agency, client_id, type="lead", date="2026-03-01", count=1, unit_value="20").json()

    assert client.get(f"/v1/clients/{client_id}/costs/{cost['id']}", headers=agency.headers).json() == cost
    assert client.delete(f"/v1/clients/{client_id}/costs/{cost['id']}", headers=agency.headers).status_code == 204
    assert client.delete(f"/v1/clients/{client_id}/values/{value['id']}", headers=agency.headers).status_code == 204
    assert_problem(
        client.get(f"/v1/clients/{client_id}/costs/{cost['id']}", headers=agency.headers), 404, field="cost_id"
    )
    assert_problem(
        client.delete(f"/v1/clients/{client_id}/values/{value['id']}", headers=agency.headers), 404, field="value_id"
    )
    assert count_rows(database, CostEntry) == 0
    assert count_rows(database, ValueEntry) == 0
    assert _audit_actions(database) == ["cost.created", "value.created", "cost.deleted", "value.deleted"]


def test_a_cost_of_another_client_of_the_same_agency_is_404(
    client: TestClient[Litestar], agency: Agency, client_id: str
) -> None:
    other = create_client(client, agency, "Fromagerie Dupont")["id"]
    cost = post_cost(client, agency, client_id, type="fees", date="2026-03-01", amount="500").json()

    assert_problem(client.get(f"/v1/clients/{other}/costs/{cost['id']}", headers=agency.headers), 404, field="cost_id")
    assert_problem(
        client.delete(f"/v1/clients/{other}/costs/{cost['id']}", headers=agency.headers), 404, field="cost_id"
    )


def test_idempotency_key_replays_the_first_cost(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    headers = {**agency.headers, "Idempotency-Key": "cost-once"}
    body = {"type": "tools", "date": "2026-03-01", "amount": "49.00"}

    first = client.post(f"/v1/clients/{client_id}/costs", json=body, headers=headers)
    second = client.post(f"/v1/clients/{client_id}/costs", json=body, headers=headers)
    other = client.post(f"/v1/clients/{client_id}/costs", json={**body, "amount": "50"}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert_problem(other, 422, code="idempotency_key_reused")
    assert count_rows(database, CostEntry) == 1


def test_reading_needs_read_and_recording_needs_write(
    client: TestClient[Litestar], agency: Agency, client_id: str
) -> None:
    reader = create_key(client, agency, ["read"])
    body = {"type": "tools", "date": "2026-03-01", "amount": "49.00"}

    assert client.get(f"/v1/clients/{client_id}/costs", headers=reader.headers).status_code == 200
    assert_problem(client.post(f"/v1/clients/{client_id}/costs", json=body, headers=reader.headers), 403)
    assert_problem(client.get(f"/v1/clients/{client_id}/values"), 401)


def test_unknown_client_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    missing = uuid.uuid4()
    body = {"type": "tools", "date": "2026-03-01", "amount": "49.00"}

    assert_problem(
        client.post(f"/v1/clients/{missing}/costs", json=body, headers=agency.headers), 404, field="client_id"
    )


def _audit_actions(database: TestDatabase) -> list[str]:
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    with owner_connection(database) as connection:
        rows = connection.execute(select(table.c.action).order_by(table.c.id)).all()
    return [row[0] for row in rows if row[0].startswith(("cost", "value"))]


def test_lists_filter_by_type(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    post_cost(client, agency, client_id, type="tools", date="2026-03-01", amount="1")
    fees = post_cost(client, agency, client_id, type="fees", date="2026-03-01", amount="2").json()

    listed = list_all(client, agency, f"/v1/clients/{client_id}/costs", type="fees")
    wrong = client.get(f"/v1/clients/{client_id}/values", params={"type": "emv"}, headers=agency.headers)

    assert [c["id"] for c in listed] == [fees["id"]]
    assert_problem(wrong, 422, field="type")
