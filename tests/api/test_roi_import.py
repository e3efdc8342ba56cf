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


def test_an_upload_replays_with_its_idempotency_key_whatever_the_boundary(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    path = f"/v1/clients/{client_id}/costs/import"

    def send(boundary: str, text: str) -> Any:
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\n{text}\r\n'
            f"--{boundary}--\r\n"
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Idempotency-Key": "upload-1"}
        return client.post(path, content=body.encode(), headers={**agency.headers, **headers})

    first = send("first-send", "type,date,amount\ntools,2026-03-01,5\n")
    retry = send("the-retry", "type,date,amount\ntools,2026-03-01,5\n")  # curl -F draws a new boundary each time
    other = send("another", "type,date,amount\ntools,2026-03-01,6\n")

    assert first.status_code == retry.status_code == 201, first.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert_problem(other, 422, code="idempotency_key_reused", field="Idempotency-Key")
    assert count_rows(database, CostEntry) == 1


def _upload(
    client: TestClient[Litestar], agency: Agency, path: str, files: Any, data: dict[str, str] | None = None
) -> Any:
    return client.post(path, files=files, data=data, headers=agency.headers)


@pytest.mark.parametrize("kind", ["costs", "values"])
def test_an_import_takes_the_csv_as_the_form_field_file(
    client: TestClient[Litestar], agency: Agency, client_id: str, kind: str
) -> None:
    text = {
        "costs": "type,date,amount\ntools,2026-03-01,5\nfees,2026-03-02,7.25\n",
        "values": "type,date,count,unit_value\nlead,2026-03-05,4,12.5\nlead,2026-03-06,1,10\n",
    }[kind]
    # The part's filename and content type are the sender's say: neither decides anything.
    files = {"file": ("report.pdf", text.encode(), "application/pdf")}

    response = _upload(client, agency, f"/v1/clients/{client_id}/{kind}/import", files, data={"note": "ignored"})

    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 2
    entries = list_all(client, agency, f"/v1/clients/{client_id}/{kind}")
    assert [entry["id"] for entry in entries] == response.json()["ids"]


def test_an_upload_is_read_by_the_same_rules_as_a_csv_body(
    client: TestClient[Litestar], agency: Agency, client_id: str, database: TestDatabase
) -> None:
    path = f"/v1/clients/{client_id}/costs/import"
    bad_rows = "type,date,amount\ntools,2026-03-01,5\ntools,someday,5\n"

    as_body = assert_problem(_import(client, agency, path, bad_rows), 422)
    as_upload = assert_problem(_upload(client, agency, path, {"file": ("c.csv", bad_rows.encode(), "text/csv")}), 422)
    not_utf8 = _upload(
        client, agency, path, {"file": ("c.csv", "type,date,note\ntools,2026-03-01,caf\xe9\n".encode("latin-1"))}
    )

    assert as_upload["errors"] == as_body["errors"]
    assert as_upload["detail"] == as_body["detail"]
    assert "UTF-8" in assert_problem(not_utf8, 422)["detail"]
    assert count_rows(database, CostEntry) == 0


def test_an_upload_without_the_file_field_is_422_naming_it(
    client: TestClient[Litestar], agency: Agency, client_id: str
) -> None:
    path = f"/v1/clients/{client_id}/costs/import"

    other_field = _upload(client, agency, path, {"costs": ("c.csv", b"type,date,amount\ntools,2026-03-01,5\n")})
    two_files = _upload(
        client, agency, path, [("file", ("a.csv", b"type,date\n")), ("file", ("b.csv", b"type,date\n"))]
    )

    problem = assert_problem(other_field, 422, code="validation_error", field="file")
    assert "`file`" in problem["detail"]
    assert "'costs'" in problem["detail"]
    assert "one CSV file" in assert_problem(two_files, 422, field="file")["detail"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n\r\n"),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\ntype,date\n"),
        ("multipart/form-data; boundary=x", b"not a form at all"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="\xff"\r\n\r\na\r\n--x--\r\n',
        ),
        (
            "multipart/form-data; boundary=x",
            b"".join(b"--x\r\nContent-Disposition: form-data; name=f\r\n\r\n\r\n" for _ in range(17)) + b"--x--\r\n",
        ),
    ],
)
def test_a_form_that_cannot_be_read_is_422(
    client: TestClient[Litestar], agency: Agency, client_id: str, content_type: str, body: bytes
) -> None:
    response = client.post(
        f"/v1/clients/{client_id}/costs/import", content=body, headers={**agency.headers, "Content-Type": content_type}
    )

    assert "multipart/form-data" in assert_problem(response, 422, field="body")["detail"]


def test_the_document_offers_both_ways_to_send_the_file(client: TestClient[Litestar]) -> None:
    document = client.get("/docs/openapi.json").json()

    for kind in ("costs", "values"):
        operation = document["paths"][f"/v1/clients/{{client_id}}/{kind}/import"]["post"]
        content = operation["requestBody"]["content"]
        assert set(content) == {"text/csv", "multipart/form-data"}
        assert content["text/csv"]["schema"] == {"type": "string"}
        form = content["multipart/form-data"]["schema"]
        assert form["type"] == "object"
        assert form["required"] == ["file"]
        assert form["properties"]["file"]["type"] == "string"
        assert form["properties"]["file"]["format"] == "binary"
        assert {"415", "422"} <= set(operation["responses"])
