"""CSV import of the ledger: all rows stored, or none with every bad row reported by line, field and reason."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.roi.models import CostEntry, ValueEntry
from tests.api.conftest import assert_problem, count_rows, create_client, list_all
from tests.conftest import Agency, TestDatabase

CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def client_id(client: TestClient[Litestar], agency: Agency) -> str:
    return str(create_client(client, agency, "Import Client", currency="EUR")["id"])


def _import(client: TestClient[Litestar], agency: Agency, path: str, text: str, **headers: str) -> Any:
    return client.post(path, content=text.encode(), headers={**agency.headers, **CSV, **headers})


def test_costs_import_stores_every_row(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    text = (
        "type,date,network,campaign,amount,hours,hourly_rate,currency,exchange_rate,note\n"
        "ad_spend,2026-03-01,linkedin,Spring,1000.00,,,,,\n"
        'labor,2026-03-02,,,,7.5,60,,,"Copywriting, two posts"\n'
        "tools,2026-03-03,,,0.1,,,,,\n"
        "tools,2026-03-03,,,0.2,,,,,\n"
        "\n"
        "fees,2026-03-04,,,250,,,USD,0.9,\n"
    )

    response = _import(client, agency, f"/v1/clients/{client_id}/costs/import", text)

    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 5
    costs = list_all(client, agency, f"/v1/clients/{client_id}/costs")
    assert [c["id"] for c in costs] == response.json()["ids"]
    assert [(c["type"], c["amount"], c["amount_in_client_currency"]) for c in costs] == [
        ("ad_spend", "1000.00", "1000.00"),
        ("labor", "450.00", "450.00"),  # 7.5 × 60
        ("tools", "0.10", "0.10"),
        ("tools", "0.20", "0.20"),
        ("fees", "250.00", "225.00"),  # 250 USD × 0.9
    ]
    assert costs[1]["note"] == "Copywriting, two posts"
    roi = client.get(
        f"/v1/clients/{client_id}/roi", params={"from": "2026-03-01", "to": "2026-03-31"}, headers=agency.headers
    ).json()
    assert roi["totals"]["cost"] == "1675.30"  # 1000 + 450 + 0.1 + 0.2 + 225


def test_values_import_with_columns_in_any_order(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    text = "date,type,count,unit_value,amount,network\n2026-03-05,lead,4,12.5,,x\n2026-03-06,conversion,,,99.99,\n"

    response = _import(client, agency, f"/v1/clients/{client_id}/values/import", text)

    assert response.status_code == 201, response.text
    values = list_all(client, agency, f"/v1/clients/{client_id}/values")
    assert [(v["type"], v["count"], v["amount"], v["network"]) for v in values] == [
        ("lead", 4, "50.00", "x"),
        ("conversion", 1, "99.99", None),
    ]


def test_bad_rows_are_all_reported_and_nothing_is_stored(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    text = (
        "type,date,network,amount,hours,hourly_rate,currency,exchange_rate\n"
        "ad_spend,2026-03-01,linkedin,100,,,,\n"  # line 2: fine
        "ad_spend,2026-03-32,linkedin,100,,,,\n"  # line 3: no such day
        "labor,2026-03-02,,,8,,,\n"  # line 4: no hourly rate
        "tools,2026-03-03,,12.34567,,,,\n"  # line 5: too many decimals
        "fees,2026-03-04,,250,,,USD,\n"  # line 6: no exchange rate
        "travel,2026-03-04,,250,,,,\n"  # line 7: unknown type
        "tools,2026-03-04,,abc,,,,\n"  # line 8: not a number
        "tools,2026-03-04\n"  # line 9: short row
    )

    response = _import(client, agency, f"/v1/clients/{client_id}/costs/import", text)

    problem = assert_problem(response, 422, code="validation_error", field="date")
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [
        (3, "date"),
        (4, "hourly_rate"),
        (5, "amount"),
        (6, "exchange_rate"),
        (7, "type"),
        (8, "amount"),
        (9, "row"),
    ]
    assert all(e["reason"] for e in problem["errors"])
    assert "USD" in problem["errors"][3]["reason"]
    assert problem["rows"] == 8
    assert "nothing was imported" in problem["detail"]
    assert count_rows(database, CostEntry) == 0


def test_a_quoted_multi_line_note_keeps_line_numbers_right(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    text = 'type,date,count,note\nlead,2026-03-01,2,"first line\nsecond line"\napplication,2026-03-02,-1,\n'

    response = _import(client, agency, f"/v1/clients/{client_id}/values/import", text)

    problem = assert_problem(response, 422)
    # line 2 lacks unit_value (leads need it); the row after the two-line note starts on line 4
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [(2, "unit_value"), (4, "count")]
    assert count_rows(database, ValueEntry) == 0


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "body"),
        ("type,date,amount\n", "body"),
        ("type,date,colour\ntools,2026-03-01,red\n", "colour"),
        ("type,amount\ntools,5\n", "date"),
        ("type,date,amount,amount\ntools,2026-03-01,5,6\n", "amount"),
    ],
)
def test_a_file_that_cannot_be_read_is_422(
    client: TestClient[Litestar], agency: Agency, client_id: str, text: str, field: str
) -> None:
    assert_problem(_import(client, agency, f"/v1/clients/{client_id}/costs/import", text), 422, field=field)


def test_the_import_needs_text_csv(client: TestClient[Litestar], agency: Agency, client_id: str) -> None:
    response = client.post(f"/v1/clients/{client_id}/costs/import", json=[{"type": "tools"}], headers=agency.headers)

    assert_problem(response, 415, code="unsupported_media_type", field="Content-Type")


def test_an_import_replays_with_its_idempotency_key(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    text = "type,date,amount\ntools,2026-03-01,5\n"
    path = f"/v1/clients/{client_id}/costs/import"

    first = _import(client, agency, path, text, **{"Idempotency-Key": "import-1"})
    second = _import(client, agency, path, text, **{"Idempotency-Key": "import-1"})

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert count_rows(database, CostEntry) == 1
