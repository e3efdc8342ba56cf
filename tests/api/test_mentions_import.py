"""POST /v1/clients/{client_id}/mentions: importing mentions from JSON or CSV, all or nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from api.app import create_app
from api.content.models import StoredMention
from tenants.audit import AuditEntry
from tests.api.conftest import (
    assert_problem,
    count_rows,
    create_account,
    create_client,
    create_key,
    list_all,
    owner_connection,
    table,
)
from tests.conftest import Agency, TestDatabase, make_settings, sign_up

POSITIVE_EN = "I love this bakery, the croissants are amazing!"
NEGATIVE_FR = "Service client nul, je suis très déçu et en colère."
NEUTRAL_EN = "The shop opens at 9 on Monday."


def mentions(account_id: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "source": "reviews",
            "external_id": "r-1",
            "published_at": "2026-11-02T09:30:00Z",
            "text": POSITIVE_EN,
            "author": "alice",
            "url": "https://reviews.example/r-1",
            **({"account_id": account_id} if account_id else {}),
        },
        {
            "source": "reviews",
            "external_id": "r-2",
            "published_at": "2026-11-02T10:00:00+01:00",
            "text": NEGATIVE_FR,
            "language": "fr",
            "kind": "comment",
        },
        {"source": "forum", "external_id": "f-1", "published_at": "2026-11-03T08:00:00Z", "text": NEUTRAL_EN},
    ]


def import_json(client: TestClient[Litestar], agency: Agency, client_id: str, body: Any, **headers: str) -> Any:
    return client.post(f"/v1/clients/{client_id}/mentions", json=body, headers={**agency.headers, **headers})


def import_csv(client: TestClient[Litestar], agency: Agency, client_id: str, text: str) -> Any:
    return client.post(
        f"/v1/clients/{client_id}/mentions",
        content=text.encode(),
        headers={**agency.headers, "Content-Type": "text/csv"},
    )


def audit_actions(database: TestDatabase, tenant_id: str) -> list[Any]:
    audit = table(AuditEntry)
    with owner_connection(database) as connection:
        return list(
            connection.execute(
                select(audit).where(audit.c.tenant_id == uuid.UUID(tenant_id), audit.c.action == "mentions.imported")
            ).all()
        )


def test_json_import_stores_analyses_and_reports_counts(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    account = create_account(client, agency, owner["id"])

    response = import_json(client, agency, owner["id"], mentions(account["id"]))

    assert response.status_code == 200, response.text
    body = response.json()
    assert {key: body[key] for key in ("received", "created", "updated", "unchanged", "analysed")} == {
        "received": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "analysed": 3,
    }
    assert body["sentiment"] == {"positive": 1, "negative": 1, "neutral": 1}
    assert body["languages"] == {"en": 2, "fr": 1}
    assert body["analyzer"]["name"] == "resonance-default"
    stored = {m["external_id"]: m for m in list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")}
    assert set(stored) == {"r-1", "r-2", "f-1"}
    assert (stored["r-1"]["sentiment_label"], stored["r-1"]["language"]) == ("positive", "en")
    assert stored["r-1"]["account_id"] == account["id"]
    assert (stored["r-1"]["author"], stored["r-1"]["url"]) == ("alice", "https://reviews.example/r-1")
    assert (stored["r-2"]["sentiment_label"], stored["r-2"]["language"], stored["r-2"]["kind"]) == (
        "negative",
        "fr",
        "comment",
    )
    assert stored["r-2"]["published_at"] == "2026-11-02T09:00:00Z"
    assert stored["f-1"]["sentiment_label"] == "neutral"
    assert stored["f-1"]["sentiment_score"] == 0.0
    assert stored["r-1"]["sentiment_score"] > 0.5 > -0.05 > stored["r-2"]["sentiment_score"]
    [entry] = audit_actions(database, agency.tenant_id)
    assert entry.entity_id == owner["id"]
    assert entry.changes == {"format": "json", "received": 3, "created": 3, "updated": 0, "unchanged": 0}


def test_reimporting_updates_instead_of_duplicating(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    assert import_json(client, agency, owner["id"], mentions()).status_code == 200

    same = import_json(client, agency, owner["id"], mentions()).json()
    changed_rows = mentions()
    changed_rows[2]["text"] = "Horrible, the worst shop in town."
    changed = import_json(client, agency, owner["id"], changed_rows).json()

    assert (same["created"], same["updated"], same["unchanged"]) == (0, 0, 3)
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    # The same text keeps its stored label: only the edited mention is analysed again.
    assert (same["analysed"], changed["analysed"]) == (0, 1)
    assert (same["sentiment"], changed["sentiment"]) == (
        {"positive": 1, "negative": 1, "neutral": 1},
        {"positive": 1, "negative": 2, "neutral": 0},
    )
    assert count_rows(database, StoredMention, client_id=owner["id"]) == 3
    stored = {m["external_id"]: m for m in list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")}
    assert stored["f-1"]["text"] == "Horrible, the worst shop in town."
    assert stored["f-1"]["sentiment_label"] == "negative"


def test_csv_import_with_quoted_cells_and_empty_optional_columns(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    csv_text = (
        "source,external_id,published_at,text,author,language\n"
        'forum,t-1,2026-11-04T12:00:00Z,"Bravo, une équipe formidable !\nMerci",bob,\n'
        "forum,t-2,2026-11-04T13:00:00+00:00,Worst delivery ever,,en\n"
    )

    response = import_csv(client, agency, owner["id"], csv_text)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["created"]) == (2, 2)
    assert body["sentiment"] == {"positive": 1, "negative": 1, "neutral": 0}
    stored = {m["external_id"]: m for m in list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")}
    assert stored["t-1"]["text"] == "Bravo, une équipe formidable !\nMerci"
    assert (stored["t-1"]["language"], stored["t-1"]["author"]) == ("fr", "bob")
    assert (stored["t-2"]["author"], stored["t-2"]["kind"]) == (None, "mention")


def test_csv_import_as_the_form_field_file(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency, "Upload")
    text = f'source,external_id,published_at,text\nreviews,u-1,2026-11-02T09:30:00Z,"{POSITIVE_EN}"\n'
    path = f"/v1/clients/{owner['id']}/mentions"

    imported = client.post(path, files={"file": ("m.txt", text.encode(), "image/png")}, headers=agency.headers)
    no_file = client.post(path, files={"mentions": ("m.csv", text.encode())}, headers=agency.headers)

    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1
    assert [m["external_id"] for m in list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")] == ["u-1"]
    assert "`file`" in assert_problem(no_file, 422, field="file")["detail"]


def test_an_upload_replays_with_its_idempotency_key(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency, "Upload replay")
    files = {"file": ("m.csv", b"source,external_id,published_at,text\nreviews,u-2,2026-11-02T09:30:00Z,Nice\n")}
    key = {**agency.headers, "Idempotency-Key": "upload-2"}
    path = f"/v1/clients/{owner['id']}/mentions"

    first = client.post(path, files=files, headers=key)
    replay = client.post(path, files=files, headers=key)  # httpx draws a new boundary for every request

    assert first.status_code == replay.status_code == 200, first.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


def test_bad_json_rows_are_all_listed_and_nothing_is_stored(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    rows: list[Any] = mentions()
    rows[1] = {key: value for key, value in rows[1].items() if key != "text"}
    rows.append({**rows[0], "external_id": "r-9", "published_at": "yesterday"})
    rows.append({**rows[0], "external_id": "r-10", "published_at": "2026-11-02T09:30:00"})
    rows.append({**rows[0], "external_id": "r-11", "mood": "happy"})
    rows.append({**rows[0]})
    rows.append("not an object")
    rows.append(42)

    response = import_json(client, agency, owner["id"], rows)

    problem = assert_problem(response, 422, code="validation_error", field="text")
    assert problem["error_count"] == 7
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [
        (1, "text"),
        (3, "published_at"),
        (4, "published_at"),
        (5, "mood"),
        (6, "external_id"),
        (7, "body"),
        (8, "body"),
    ]
    assert "UTC offset" in problem["errors"][2]["reason"]
    assert "index 0" in problem["errors"][4]["reason"]
    assert "nothing was imported" in problem["detail"]
    assert count_rows(database, StoredMention, client_id=owner["id"]) == 0
    assert audit_actions(database, agency.tenant_id) == []


def test_bad_csv_rows_are_reported_with_their_line_numbers(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    csv_text = (
        "source,external_id,published_at,text,kind\n"  # line 1
        'forum,ok-1,2026-11-04T12:00:00Z,"two\nlines",comment\n'  # lines 2-3
        "forum,bad-1,2026-11-04T12:00:00Z,,mention\n"  # line 4: no text
        "forum,bad-2,not a date,hello,mention\n"  # line 5
        "forum,bad-3,2026-11-04T12:00:00Z,hello,shout\n"  # line 6: unknown kind
        "forum,bad-4,2026-11-04T12:00:00Z,hello,mention,extra\n"  # line 7: a cell too many
    )

    response = import_csv(client, agency, owner["id"], csv_text)

    problem = assert_problem(response, 422, code="validation_error")
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [
        (4, "text"),
        (5, "published_at"),
        (6, "kind"),
        (7, "body"),
    ]
    assert count_rows(database, StoredMention, client_id=owner["id"]) == 0


def test_csv_with_an_unknown_or_missing_column_is_refused_at_line_1(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency)

    response = import_csv(client, agency, owner["id"], "source,external_id,when,text\nforum,1,2026-11-04,hi\n")

    problem = assert_problem(response, 422, code="validation_error", field="header")
    assert "unknown columns 'when'" in problem["detail"]
    assert "missing columns published_at" in problem["detail"]
    assert problem["errors"][0]["line"] == 1


def test_an_account_of_another_client_or_agency_is_refused(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    sibling = create_client(client, agency, "Other Client")
    sibling_account = create_account(client, agency, sibling["id"], "sibling")
    foreign_client = create_client(client, other_agency, "Foreign")
    foreign_account = create_account(client, other_agency, foreign_client["id"], "foreign")

    for account_id in (sibling_account["id"], foreign_account["id"]):
        response = import_json(client, agency, owner["id"], mentions(account_id))
        problem = assert_problem(response, 422, code="validation_error", field="account_id")
        assert problem["errors"] == [
            {"index": 0, "field": "account_id", "reason": f"{account_id} is not an account of this client"}
        ]
    assert count_rows(database, StoredMention, client_id=owner["id"]) == 0


def test_another_agencys_client_is_404_and_nothing_is_stored(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)

    response = import_json(client, other_agency, owner["id"], mentions())

    assert_problem(response, 404, code="not_found", field="client_id")
    assert count_rows(database, StoredMention) == 0


def test_body_that_is_not_an_array_or_of_another_type_is_refused(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    path = f"/v1/clients/{owner['id']}/mentions"

    assert_problem(import_json(client, agency, owner["id"], {"mentions": []}), 422, field="body")
    assert_problem(import_json(client, agency, owner["id"], []), 422, field="body")
    xml = client.post(path, content=b"<mentions/>", headers={**agency.headers, "Content-Type": "application/xml"})
    assert_problem(xml, 422, field="Content-Type")
    broken = client.post(path, content=b"[{", headers={**agency.headers, "Content-Type": "application/json"})
    assert_problem(broken, 422, field="body")


def test_too_many_rows_is_413_and_nothing_is_stored(database: TestDatabase) -> None:
    app = create_app(make_settings(database, import_max_rows=2))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)
        owner = create_client(client, agency)

        as_json = import_json(client, agency, owner["id"], mentions())
        as_csv = import_csv(
            client, agency, owner["id"], "source,external_id,published_at,text\n" + "f,1,2026-11-04T00:00:00Z,a\n" * 3
        )

    for response in (as_json, as_csv):
        problem = assert_problem(response, 413, code="payload_too_large", field="body")
        assert "at most 2 mentions" in problem["detail"]
    assert count_rows(database, StoredMention) == 0


def test_idempotency_key_replays_the_first_answer(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    key = {"Idempotency-Key": "import-2026-11-04"}

    first = import_json(client, agency, owner["id"], mentions(), **key)
    replay = import_json(client, agency, owner["id"], mentions(), **key)
    other = import_json(client, agency, owner["id"], mentions()[:1], **key)

    assert first.status_code == replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert first.json()["created"] == 3
    assert_problem(other, 422, code="idempotency_key_reused", field="Idempotency-Key")
    assert len(audit_actions(database, agency.tenant_id)) == 1


def test_import_needs_a_write_key(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    reader = create_key(client, agency, ["read"])

    no_key = client.post(f"/v1/clients/{owner['id']}/mentions", json=mentions())
    read_only = client.post(f"/v1/clients/{owner['id']}/mentions", json=mentions(), headers=reader.headers)

    assert_problem(no_key, 401)
    assert_problem(read_only, 403)


@pytest.mark.parametrize("bad_url", ["javascript:alert(1)", "ftp://files.example/x"])
def test_a_url_must_be_http(client: TestClient[Litestar], agency: Agency, bad_url: str) -> None:
    owner = create_client(client, agency)
    rows = mentions()
    rows[0]["url"] = bad_url

    problem = assert_problem(import_json(client, agency, owner["id"], rows), 422, field="url")

    assert problem["errors"][0]["index"] == 0


def test_the_openapi_document_describes_both_body_formats(client: TestClient[Litestar]) -> None:
    document = client.get("/docs/openapi.json").json()

    body = document["paths"]["/v1/clients/{client_id}/mentions"]["post"]["requestBody"]["content"]

    assert set(body) == {"application/json", "text/csv", "multipart/form-data"}
    upload = body["multipart/form-data"]["schema"]
    assert upload["required"] == ["file"]
    assert upload["properties"]["file"]["format"] == "binary"
    row = body["application/json"]["schema"]["items"]
    assert row["required"] == ["source", "external_id", "published_at", "text"]
    assert row["additionalProperties"] is False
    assert set(row["properties"]) == {
        "source",
        "external_id",
        "published_at",
        "text",
        "author",
        "url",
        "language",
        "account_id",
        "kind",
    }
    assert body["text/csv"]["example"].startswith("source,external_id,published_at,text")
