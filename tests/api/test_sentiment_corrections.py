"""PUT /v1/clients/{client_id}/mentions/{mention_id}/sentiment: a person corrects a mention's sentiment."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from api.sentiment import default_analyzer
from api.sentiment.reanalysis import Reanalysis, reanalyse_client
from plugins.sdk import Sentiment
from tenants.audit import Actor, AuditEntry
from tenants.database import Database
from tests.api.conftest import assert_problem, create_client, create_key, list_all, owner_connection, table
from tests.conftest import Agency, TestDatabase

SARCASM, PRAISE = "Oh great, late again.", "I love it, amazing!"
ROWS = [
    {"source": "reviews", "external_id": "r-1", "published_at": "2026-11-02T09:30:00Z", "text": SARCASM},
    {"source": "reviews", "external_id": "r-2", "published_at": "2026-11-03T09:30:00Z", "text": PRAISE},
]


class UpgradedAnalyzer:
    """Another analyser (the default one's labels under a new name)."""

    name, version = "upgraded", "2"

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        return default_analyzer().analyse(texts, languages)


def imported(client: TestClient[Litestar], agency: Agency) -> tuple[str, dict[str, Any]]:
    """A new client of the agency with ROWS imported, and its mentions by external id."""
    owner = create_client(client, agency)
    response = client.post(f"/v1/clients/{owner['id']}/mentions", json=ROWS, headers=agency.headers)
    assert response.status_code == 200, response.text
    return owner["id"], mentions_of(client, agency, owner["id"])


def mentions_of(client: TestClient[Litestar], agency: Agency, client_id: str) -> dict[str, Any]:
    return {m["external_id"]: m for m in list_all(client, agency, f"/v1/clients/{client_id}/mentions")}


def correct(client: TestClient[Litestar], agency: Agency, client_id: str, mention_id: str, body: Any) -> Any:
    return client.put(f"/v1/clients/{client_id}/mentions/{mention_id}/sentiment", json=body, headers=agency.headers)


def test_a_correction_becomes_the_label_with_a_persons_provenance_and_is_audited(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    client_id, mentions = imported(client, agency)
    sarcasm = mentions["r-1"]
    assert sarcasm["sentiment_label"] == "positive"  # "great": the lexicon misses the sarcasm

    response = correct(client, agency, client_id, sarcasm["id"], {"label": "negative"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["sentiment_label"], body["sentiment_score"]) == (sarcasm["id"], "negative", -1.0)
    assert (body["sentiment_analyzer"], body["sentiment_version"]) == ("person", "1")
    assert mentions_of(client, agency, client_id)["r-1"]["sentiment_label"] == "negative"
    report = client.get(
        f"/v1/clients/{client_id}/sentiment", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=agency.headers
    ).json()
    assert (report["totals"]["positive"], report["totals"]["negative"]) == (1, 1)
    assert {(entry["analyzer"], entry["mentions"]) for entry in report["labelled_by"]} == {
        ("person", 1),
        (default_analyzer().name, 1),
    }
    audit = table(AuditEntry)
    with owner_connection(database) as connection:
        [entry] = connection.execute(select(audit).where(audit.c.action == "mention.sentiment_corrected")).all()
    assert entry.entity_id == sarcasm["id"]
    assert entry.changes["to"] == "negative"
    assert (entry.changes["from"]["label"], entry.changes["from"]["analyzer"]) == ("positive", default_analyzer().name)


def test_a_correction_survives_a_reimport_of_the_same_text_and_a_reanalysis_but_not_a_new_text(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    client_id, mentions = imported(client, agency)
    assert correct(client, agency, client_id, mentions["r-1"]["id"], {"label": "negative"}).status_code == 200

    again = client.post(f"/v1/clients/{client_id}/mentions", json=ROWS, headers=agency.headers).json()
    assert again["analysed"] == 0
    assert mentions_of(client, agency, client_id)["r-1"]["sentiment_analyzer"] == "person"

    async def reanalyse() -> Reanalysis:
        db = Database(database.url)
        try:
            tenant_id, owner_id = uuid.UUID(agency.tenant_id), uuid.UUID(client_id)
            return await reanalyse_client(db, tenant_id, owner_id, UpgradedAnalyzer(), Actor(label="test"))
        finally:
            await db.dispose()

    run = asyncio.run(reanalyse())
    assert (run.pending, run.relabelled) == (1, 1)  # r-2 only
    after = mentions_of(client, agency, client_id)
    assert (after["r-1"]["sentiment_analyzer"], after["r-2"]["sentiment_analyzer"]) == ("person", "upgraded")

    edited = [dict(ROWS[0], text="Late again. Never ordering from them."), ROWS[1]]
    client.post(f"/v1/clients/{client_id}/mentions", json=edited, headers=agency.headers)
    assert mentions_of(client, agency, client_id)["r-1"]["sentiment_analyzer"] == default_analyzer().name


def test_bad_corrections_are_422_and_change_nothing(client: TestClient[Litestar], agency: Agency) -> None:
    client_id, mentions = imported(client, agency)
    mention_id = mentions["r-2"]["id"]

    for body, field in (({"label": "furious"}, "label"), ({}, "label"), ({"label": "negative", "x": 1}, "x")):
        problem = assert_problem(correct(client, agency, client_id, mention_id, body), 422)
        assert field in problem["detail"], problem
    assert_problem(
        client.put(
            f"/v1/clients/{client_id}/mentions/{mention_id}/sentiment",
            content=b"{not json",
            headers={**agency.headers, "Content-Type": "application/json"},
        ),
        400,
    )

    assert mentions_of(client, agency, client_id)["r-2"]["sentiment_label"] == "positive"


def test_another_clients_or_agencys_mention_is_404_and_a_read_key_is_403(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    client_id, mentions = imported(client, agency)
    other_client = create_client(client, agency, "Another client")
    mention_id = mentions["r-2"]["id"]

    assert_problem(
        correct(client, agency, other_client["id"], mention_id, {"label": "negative"}), 404, field="mention_id"
    )
    assert_problem(correct(client, agency, client_id, str(uuid.uuid4()), {"label": "negative"}), 404)
    assert_problem(correct(client, other_agency, client_id, mention_id, {"label": "negative"}), 404)
    reader = create_key(client, agency, ["read"])
    response = client.put(
        f"/v1/clients/{client_id}/mentions/{mention_id}/sentiment",
        json={"label": "negative"},
        headers={"Authorization": f"Bearer {reader.secret}"},
    )
    assert_problem(response, 403)
    assert mentions_of(client, agency, client_id)["r-2"]["sentiment_label"] == "positive"
