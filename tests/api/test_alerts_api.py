"""Alert rules and alerts through the API: rules with their definition, evaluation on crafted data, cooldown,
idempotent re-evaluation, silence, objectives, the lifecycle, events in the transaction, after a real sync."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from api.alerts.evaluation import SYSTEM_ACTOR, ObjectiveVerdict
from api.alerts.models import Alert, AlertRule
from api.content.models import StoredMention, StoredPost
from tenants.models import AuditEntry
from tests.api.conftest import (
    assert_problem,
    count_rows,
    create_account,
    create_client,
    create_key,
    list_all,
    make_client_and_account,
    owner_connection,
    sync_account,
    table,
)
from tests.conftest import Agency, TestDatabase

SPIKE_DAY = date(2026, 3, 2)  # a Monday; its baseline is the eight Mondays before it
HISTORY_START = SPIKE_DAY - timedelta(weeks=8)


def insert_mentions(
    database: TestDatabase,
    agency: Agency,
    client_id: str,
    account_id: str | None,
    day: date,
    count: int,
    *,
    label: str | None = "neutral",
    score: float | None = 0.0,
    hour: int = 12,
    minute: int = 0,
    text: str = "A mention",
    aspects: list[str] | None = None,
) -> None:
    """Store `count` mentions published on `day` (UTC) with this sentiment and these aspects, as the owner."""
    rows = [
        {
            "tenant_id": uuid.UUID(agency.tenant_id),
            "id": uuid.uuid4(),
            "client_id": uuid.UUID(client_id),
            "account_id": uuid.UUID(account_id) if account_id else None,
            "source": "demo",
            "external_id": f"{day.isoformat()}-{hour}-{minute}-{label}-{n}-{uuid.uuid4().hex[:6]}",
            "kind": "mention",
            "published_at": datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC),
            "text": f"{text} #{n}",
            "sentiment_label": label,
            "sentiment_score": score,
            "aspects": aspects or [],
            "fetched_at": datetime(2026, 3, 10, tzinfo=UTC),
        }
        for n in range(count)
    ]
    if rows:
        with owner_connection(database) as connection:
            connection.execute(table(StoredMention).insert(), rows)


def flat_history(
    database: TestDatabase, agency: Agency, client_id: str, first: date, last: date, per_day: int = 20
) -> None:
    """`per_day` mentions on every day from `first` to `last`: 2 negative, 8 positive, the rest neutral."""
    day = first
    while day <= last:
        insert_mentions(database, agency, client_id, None, day, 2, label="negative", score=-0.5)
        insert_mentions(database, agency, client_id, None, day, 8, label="positive", score=0.6)
        insert_mentions(database, agency, client_id, None, day, per_day - 10)
        day += timedelta(days=1)


def create_rule(client: TestClient[Litestar], agency: Agency, client_id: str, kind: str, **fields: Any) -> Any:
    response = client.post(
        "/v1/alert-rules", json={"client_id": client_id, "kind": kind, **fields}, headers=agency.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def create_objective(client: TestClient[Litestar], agency: Agency, client_id: str) -> Any:
    """An objective of the client (what an `objective_off_track` rule must name)."""
    body = {"metric": "followers", "target": "6000", "start": "2026-01-01", "end": "2026-06-30"}
    response = client.post(f"/v1/clients/{client_id}/objectives", json=body, headers=agency.headers)
    assert response.status_code == 201, response.text
    return response.json()


def evaluate(client: TestClient[Litestar], agency: Agency, client_id: str, **days: str) -> Any:
    body = {"from": days["date_from"], "to": days["date_to"]} if days else {}
    response = client.post(f"/v1/clients/{client_id}/alerts/evaluate", json=body, headers=agency.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def paris(client: TestClient[Litestar], agency: Agency) -> Any:
    return create_client(client, agency, "Maison Dupont", timezone="Europe/Paris")


class Recorder:
    """An `on_event` callback that records each call and what the session could see at that moment."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = False
        self.pause = 0.0

    async def __call__(self, session: AsyncSession, event_type: str, data: dict[str, Any]) -> None:
        stored = await session.get(Alert, (_tenant(session), uuid.UUID(data["id"])))
        self.calls.append(
            {
                "type": event_type,
                "data": data,
                "in_transaction": session.in_transaction(),
                "status_in_session": stored.status if stored else None,
            }
        )
        if self.pause:
            await asyncio.sleep(self.pause)  # hand over to a concurrent evaluation while this one is uncommitted
        if self.fail:
            raise RuntimeError("the webhook outbox is unavailable")


def _tenant(session: AsyncSession) -> uuid.UUID:
    tenant_id: uuid.UUID = session.info["tenant_id"]
    return tenant_id


@pytest.fixture
def events(client: TestClient[Litestar]) -> Recorder:
    """Plugs a recording `on_event` into the app, as the webhooks module will plug its publisher."""
    recorder = Recorder()
    client.app.state.services.alert_evaluator.on_event = recorder
    return recorder


# --- rules -----------------------------------------------------------------------------------------------


def test_a_rule_is_stored_with_its_defaults_and_publishes_its_definition(
    client: TestClient[Litestar], agency: Agency, paris: Any
) -> None:
    rule = create_rule(client, agency, paris["id"], "mention_spike", name="Bad buzz")

    assert rule["params"] == {"account_id": None, "min_mentions": 10, "baseline_weeks": 8}
    assert rule["sensitivity"] == "medium"
    assert rule["threshold"] == 6.0
    assert rule["cooldown_hours"] == 72
    assert rule["enabled"] is True
    assert "observed = mentions published that day" in rule["definition"]
    assert "cooldown_hours" in rule["cooldown_definition"]
    assert client.get(f"/v1/alert-rules/{rule['id']}", headers=agency.headers).json() == rule

    changed = client.patch(f"/v1/alert-rules/{rule['id']}", json={"sensitivity": "high"}, headers=agency.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["threshold"] == 4.5
    silence = create_rule(client, agency, paris["id"], "silence", params={"days": 21})
    assert silence["params"] == {"days": 21, "account_id": None}
    assert silence["threshold"] is None

    other = create_client(client, agency, "Other client")
    create_rule(client, agency, other["id"], "sentiment_drop")
    listed = list_all(client, agency, "/v1/alert-rules", client_id=paris["id"])
    assert [item["id"] for item in listed] == [rule["id"], silence["id"]]
    assert len(list_all(client, agency, "/v1/alert-rules")) == 3

    assert client.delete(f"/v1/alert-rules/{rule['id']}", headers=agency.headers).status_code == 204
    assert_problem(client.get(f"/v1/alert-rules/{rule['id']}", headers=agency.headers), 404, field="rule_id")
    actions = [entry.action for entry in _audit(client, agency)]
    assert actions.count("alert_rule.created") == 3
    assert "alert_rule.updated" in actions
    assert "alert_rule.deleted" in actions


def _audit(client: TestClient[Litestar], agency: Agency) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        async with client.app.state.services.database.tenant_session(uuid.UUID(agency.tenant_id)) as session:
            return list((await session.scalars(select(AuditEntry))).all())

    with client.portal() as portal:
        return portal.call(read)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "volcano"}, "kind"),
        ({"kind": "mention_spike", "params": {"min_mentions": "many"}}, "params.min_mentions"),
        ({"kind": "mention_spike", "params": {"min_mentions": 0}}, "params.min_mentions"),
        ({"kind": "mention_spike", "params": {"threshold": 3}}, "params.threshold"),
        ({"kind": "silence", "params": {}}, "params.days"),
        ({"kind": "negative_share_spike", "params": {"min_share_increase": 2}}, "params.min_share_increase"),
        ({"kind": "objective_off_track", "params": {"objective_id": "not-a-uuid"}}, "params.objective_id"),
        ({"kind": "mention_spike", "sensitivity": "paranoid"}, "sensitivity"),
        ({"kind": "mention_spike", "cooldown_hours": -1}, "cooldown_hours"),
        ({"kind": "mention_spike", "colour": "red"}, "colour"),
    ],
)
def test_an_invalid_rule_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, paris: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/alert-rules", json={"client_id": paris["id"], **body}, headers=agency.headers)

    assert_problem(response, 422, code="validation_error", field=field)
    assert list_all(client, agency, "/v1/alert-rules") == []


def test_a_rule_watching_an_account_of_another_client_is_422(
    client: TestClient[Litestar], agency: Agency, paris: Any
) -> None:
    _, foreign_account = make_client_and_account(client, agency, name="Someone else", handle="else")
    response = client.post(
        "/v1/alert-rules",
        json={"client_id": paris["id"], "kind": "silence", "params": {"days": 7, "account_id": foreign_account["id"]}},
        headers=agency.headers,
    )

    assert_problem(response, 422, field="params.account_id")


def test_a_rule_for_another_agencys_client_is_404(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, paris: Any
) -> None:
    response = client.post(
        "/v1/alert-rules", json={"client_id": paris["id"], "kind": "mention_spike"}, headers=other_agency.headers
    )

    assert_problem(response, 404, field="client_id")
    assert list_all(client, agency, "/v1/alert-rules") == []


def test_patching_params_checks_them_against_the_rules_kind(
    client: TestClient[Litestar], agency: Agency, paris: Any
) -> None:
    rule = create_rule(client, agency, paris["id"], "silence", params={"days": 21})

    bad = client.patch(f"/v1/alert-rules/{rule['id']}", json={"params": {"days": 0}}, headers=agency.headers)
    good = client.patch(f"/v1/alert-rules/{rule['id']}", json={"params": {"days": 14}}, headers=agency.headers)

    assert_problem(bad, 422, field="params.days")
    assert good.json()["params"] == {"days": 14, "account_id": None}


# --- evaluation ------------------------------------------------------------------------------------------


def test_a_volume_spike_opens_one_alert_with_its_evidence(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any, events: Recorder
) -> None:
    rule = create_rule(client, agency, paris["id"], "mention_spike")
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY + timedelta(days=2))
    # 40 more on the spike day: 39 at noon UTC, one at 23:30 UTC the evening before (00:30 in Paris).
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 39, label="negative", score=-0.9, text="Scandal")
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY - timedelta(days=1), 1, hour=23, minute=30)

    result = evaluate(client, agency, paris["id"], date_from="2026-02-26", date_to="2026-03-04")

    assert result["from"] == "2026-02-26"
    assert result["to"] == "2026-03-04"
    assert result["rules_evaluated"] == 1
    assert result["suppressed"] == []
    [alert] = result["opened"]
    assert alert["rule_id"] == rule["id"]
    assert alert["kind"] == "mention_spike"
    assert alert["status"] == "open"
    assert alert["bucket"] == "2026-03-02"
    evidence = alert["evidence"]
    assert evidence["observed"] == 60
    assert evidence["baseline"]["median"] == 20
    assert evidence["baseline"]["mad"] == 0
    assert [sample["day"] for sample in evidence["baseline"]["samples"]] == [
        (SPIKE_DAY - timedelta(weeks=back)).isoformat() for back in range(8, 0, -1)
    ]
    assert evidence["baseline"]["scale"] == pytest.approx(math.sqrt(20), abs=1e-4)
    assert evidence["z_score"] == pytest.approx(40 / math.sqrt(20), abs=1e-4)
    assert evidence["threshold"] == 6.0
    assert evidence["counts"] == {"mentions": 60, "positive": 8, "negative": 41, "neutral": 11, "unlabelled": 0}
    assert evidence["window"] == {
        "start": "2026-03-02T00:00:00+01:00",
        "end": "2026-03-03T00:00:00+01:00",
        "timezone": "Europe/Paris",
    }
    assert evidence["sensitivity"] == "medium"
    assert "median" in evidence["baseline"]["method"]
    assert "Mention volume spike" in evidence["definition"]
    top = evidence["top_mentions"]
    assert len(top) == 5
    assert all(item["sentiment_score"] == -0.9 for item in top)
    assert all(item["excerpt"].startswith("Scandal") for item in top)
    assert [call["type"] for call in events.calls] == ["alert.opened"]
    assert events.calls[0]["data"]["id"] == alert["id"]
    assert events.calls[0]["in_transaction"]
    assert events.calls[0]["status_in_session"] == "open"
    assert client.get(f"/v1/alerts/{alert['id']}", headers=agency.headers).json() == alert
    assert "alert.opened" in [entry.action for entry in _audit(client, agency)]


def test_evaluating_the_same_data_again_opens_nothing_new(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any, events: Recorder
) -> None:
    rule = create_rule(client, agency, paris["id"], "mention_spike")
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 40)

    first = evaluate(client, agency, paris["id"], date_from="2026-03-01", date_to="2026-03-02")
    second = evaluate(client, agency, paris["id"], date_from="2026-03-01", date_to="2026-03-02")

    assert len(first["opened"]) == 1
    assert second["opened"] == []
    assert second["suppressed"] == [{"rule_id": rule["id"], "bucket": "2026-03-02", "reason": "already_alerted"}]
    assert count_rows(database, Alert) == 1
    assert len(events.calls) == 1


def test_cooldown_holds_a_second_spike_and_a_shorter_one_lets_it_through(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any
) -> None:
    long_cooldown = create_rule(client, agency, paris["id"], "mention_spike", cooldown_hours=72)
    short_cooldown = create_rule(client, agency, paris["id"], "mention_spike", cooldown_hours=24)
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY + timedelta(days=3))
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 40)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY + timedelta(days=2), 40)

    result = evaluate(client, agency, paris["id"], date_from="2026-02-28", date_to="2026-03-05")

    opened = sorted((alert["rule_id"], alert["bucket"]) for alert in result["opened"])
    assert opened == sorted(
        [
            (long_cooldown["id"], "2026-03-02"),
            (short_cooldown["id"], "2026-03-02"),
            (short_cooldown["id"], "2026-03-04"),
        ]
    )
    assert result["suppressed"] == [{"rule_id": long_cooldown["id"], "bucket": "2026-03-04", "reason": "cooldown"}]


def test_a_disabled_rule_is_not_evaluated(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any
) -> None:
    create_rule(client, agency, paris["id"], "mention_spike", enabled=False)
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 40)

    result = evaluate(client, agency, paris["id"], date_from="2026-03-02", date_to="2026-03-02")

    assert result["rules_evaluated"] == 0
    assert result["opened"] == []


def test_a_negative_share_surge_and_a_sentiment_drop_open_their_alerts(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any
) -> None:
    share = create_rule(client, agency, paris["id"], "negative_share_spike")
    drop = create_rule(client, agency, paris["id"], "sentiment_drop")
    volume = create_rule(client, agency, paris["id"], "mention_spike")
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY - timedelta(days=1))
    # The day has its usual 20 labelled mentions, but 12 are negative (60 % instead of 10 %), and 30 unlabelled.
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 12, label="negative", score=-0.8)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 2, label="positive", score=0.4)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 6)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 3, label=None, score=None)

    result = evaluate(client, agency, paris["id"], date_from="2026-03-02", date_to="2026-03-02")

    by_rule = {alert["rule_id"]: alert for alert in result["opened"]}
    assert set(by_rule) == {share["id"], drop["id"]}
    assert volume["id"] not in by_rule
    share_evidence = by_rule[share["id"]]["evidence"]
    assert share_evidence["observed"] == 0.6
    assert share_evidence["baseline"]["median"] == 0.1
    assert share_evidence["z_score"] == pytest.approx(0.5 / math.sqrt(0.1 * 0.9 / 20), abs=1e-4)  # 7.45
    assert share_evidence["counts"]["unlabelled"] == 3
    drop_evidence = by_rule[drop["id"]]["evidence"]
    assert drop_evidence["observed"] == -0.5  # (2 - 12) / 20
    assert drop_evidence["baseline"]["median"] == 0.3  # (8 - 2) / 20
    standard_error = math.sqrt((0.5 - 0.3**2) / 20)  # half of the labelled mentions are positive or negative
    assert drop_evidence["z_score"] == pytest.approx(0.8 / standard_error, abs=1e-4)
    assert [item["sentiment_label"] for item in share_evidence["top_mentions"]] == ["negative"] * 5


def test_mention_alerts_name_the_topics_of_the_days_negative_mentions(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any
) -> None:
    share = create_rule(client, agency, paris["id"], "negative_share_spike")
    drop = create_rule(client, agency, paris["id"], "sentiment_drop")
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY - timedelta(days=1))
    negative = {"label": "negative", "score": -0.8}
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 6, **negative, aspects=["price", "delivery"])
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 4, **negative, aspects=["delivery"])
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 2, **negative)
    for aspect in ("app", "billing", "quality"):
        insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 1, **negative, aspects=[aspect])
    eve = SPIKE_DAY - timedelta(days=1)
    # 23:30 UTC is 00:30 on the spike day in Paris; 22:30 UTC is still the day before.
    insert_mentions(database, agency, paris["id"], None, eve, 1, **negative, hour=23, minute=30, aspects=["hiring"])
    insert_mentions(database, agency, paris["id"], None, eve, 1, **negative, hour=22, minute=30, aspects=["staff"])
    insert_mentions(
        database, agency, paris["id"], None, SPIKE_DAY, 1, label="positive", score=0.7, aspects=["service", "price"]
    )
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 2)

    result = evaluate(client, agency, paris["id"], date_from="2026-03-02", date_to="2026-03-02")

    by_rule = {alert["rule_id"]: alert for alert in result["opened"]}
    assert set(by_rule) == {share["id"], drop["id"]}
    # Negatives of the day: delivery 10, price 6, then app, billing, hiring, quality with one each: five at most,
    # ties by name. The positive mention's service and the day before's staff never count.
    expected = [
        {"aspect": "delivery", "negative": 10},
        {"aspect": "price", "negative": 6},
        {"aspect": "app", "negative": 1},
        {"aspect": "billing", "negative": 1},
        {"aspect": "hiring", "negative": 1},
    ]
    assert by_rule[share["id"]]["evidence"]["negative_aspects"] == expected
    assert by_rule[drop["id"]]["evidence"]["negative_aspects"] == expected
    stored = client.get(f"/v1/alerts/{by_rule[share['id']]['id']}", headers=agency.headers).json()
    assert stored["evidence"]["negative_aspects"] == expected


def test_a_rule_on_one_account_counts_only_that_accounts_mentions(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner, watched = make_client_and_account(client, agency, handle="watched")
    other = create_account(client, agency, owner["id"], "other")
    create_rule(client, agency, owner["id"], "mention_spike", params={"account_id": watched["id"]})
    day = HISTORY_START
    while day <= SPIKE_DAY:
        insert_mentions(database, agency, owner["id"], watched["id"], day, 20)
        day += timedelta(days=1)
    insert_mentions(database, agency, owner["id"], other["id"], SPIKE_DAY, 100, label="negative", aspects=["price"])

    quiet = evaluate(client, agency, owner["id"], date_from="2026-03-02", date_to="2026-03-02")
    insert_mentions(database, agency, owner["id"], watched["id"], SPIKE_DAY, 40, label="negative", aspects=["app"])
    loud = evaluate(client, agency, owner["id"], date_from="2026-03-02", date_to="2026-03-02")

    assert quiet["opened"] == []
    [alert] = loud["opened"]
    assert alert["evidence"]["observed"] == 60
    assert alert["evidence"]["params"]["account_id"] == watched["id"]
    # The other account's negative mentions about price are not this rule's.
    assert alert["evidence"]["negative_aspects"] == [{"aspect": "app", "negative": 40}]


def test_silence_opens_one_alert_on_the_day_it_reached_the_threshold(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, events: Recorder
) -> None:
    owner, account = make_client_and_account(client, agency)
    create_account(client, agency, owner["id"], "rival", kind="competitor")
    three_weeks = create_rule(client, agency, owner["id"], "silence", params={"days": 21})
    create_rule(client, agency, owner["id"], "silence", params={"days": 40})
    today = datetime.now(UTC).date()
    last_post = today - timedelta(days=30)
    rows = [
        {
            "tenant_id": uuid.UUID(agency.tenant_id),
            "id": uuid.uuid4(),
            "account_id": uuid.UUID(account["id"]),
            "external_id": f"post-{offset}",
            "published_at": datetime.combine(last_post - timedelta(days=offset), datetime.min.time(), UTC)
            + timedelta(hours=10),
            "text": "A post",
            "metrics": {},
            "tags": [],
            "fetched_at": datetime.now(UTC),
        }
        for offset in (0, 5, 12)
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredPost).insert(), rows)

    first = evaluate(client, agency, owner["id"])
    again = evaluate(client, agency, owner["id"])

    [alert] = first["opened"]
    assert alert["rule_id"] == three_weeks["id"]
    assert alert["kind"] == "silence"
    assert alert["bucket"] == (last_post + timedelta(days=21)).isoformat()
    assert alert["evidence"]["observed"] == 30
    assert alert["evidence"]["last_post_day"] == last_post.isoformat()
    assert alert["evidence"]["threshold"] == 21
    assert [item["handle"] for item in alert["evidence"]["accounts"]] == ["martin"]  # owned accounts only
    assert again["opened"] == []
    assert [call["type"] for call in events.calls] == ["alert.opened"]


class FakeObjectives:
    """An objectives module that knows one objective and says whether it is on track."""

    def __init__(self, objective_id: uuid.UUID, off_track: bool) -> None:
        self.objective_id = objective_id
        self.off_track = off_track
        self.asked: list[dict[str, Any]] = []

    async def check(
        self, session: AsyncSession, *, client_id: uuid.UUID, objective_id: uuid.UUID, tolerance: float, day: date
    ) -> ObjectiveVerdict | None:
        self.asked.append({"client_id": client_id, "objective_id": objective_id, "tolerance": tolerance, "day": day})
        if objective_id != self.objective_id:
            return None
        return ObjectiveVerdict(
            objective_id=objective_id,
            off_track=self.off_track,
            summary="1,200 followers gained of the 3,000 expected by now",
            observed=1200,
            expected=3000,
            details={"metric": "followers", "target": 6000},
        )


def test_an_objective_off_track_opens_an_alert_through_the_plugged_checker(
    client: TestClient[Litestar], agency: Agency, paris: Any
) -> None:
    objective_id = uuid.UUID(create_objective(client, agency, paris["id"])["id"])
    checker = FakeObjectives(objective_id, off_track=True)
    client.app.state.services.alert_evaluator.objective_checker = checker
    rule = create_rule(
        client, agency, paris["id"], "objective_off_track", params={"objective_id": str(objective_id), "tolerance": 0.2}
    )
    unknown = create_rule(  # an objective of the client that the checker knows nothing about
        client,
        agency,
        paris["id"],
        "objective_off_track",
        params={"objective_id": create_objective(client, agency, paris["id"])["id"]},
    )

    result = evaluate(client, agency, paris["id"], date_from="2026-03-01", date_to="2026-03-02")

    [alert] = result["opened"]
    assert alert["rule_id"] == rule["id"]
    assert alert["bucket"] == "2026-03-02"
    assert alert["evidence"]["observed"] == 1200
    assert alert["evidence"]["threshold"] == 3000
    assert alert["evidence"]["objective"] == {"id": str(objective_id), "metric": "followers", "target": 6000}
    assert alert["evidence"]["reason"] == "1,200 followers gained of the 3,000 expected by now"
    assert {(call["objective_id"], call["tolerance"], call["day"]) for call in checker.asked} == {
        (objective_id, 0.2, date(2026, 3, 2)),
        (uuid.UUID(unknown["params"]["objective_id"]), 0.1, date(2026, 3, 2)),
    }
    checker.off_track = False
    assert evaluate(client, agency, paris["id"], date_from="2026-03-05", date_to="2026-03-09")["opened"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "2026-03-05", "to": "2026-03-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "from"),
        ({"to": "2999-01-01"}, "to"),
        ({"to": "yesterday"}, "to"),
        ({"since": "2026-01-01"}, "since"),
    ],
)
def test_an_invalid_evaluation_range_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, paris: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/v1/clients/{paris['id']}/alerts/evaluate", json=body, headers=agency.headers)

    assert_problem(response, 422, field=field)


# --- lifecycle -------------------------------------------------------------------------------------------


@pytest.fixture
def open_alert(client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any) -> Any:
    create_rule(client, agency, paris["id"], "mention_spike")
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY)
    insert_mentions(database, agency, paris["id"], None, SPIKE_DAY, 40)
    [alert] = evaluate(client, agency, paris["id"], date_from="2026-03-02", date_to="2026-03-02")["opened"]
    return alert


def test_acknowledging_records_who_and_resolving_records_when_and_the_note(
    client: TestClient[Litestar], agency: Agency, open_alert: Any, events: Recorder
) -> None:
    desk = create_key(client, agency, ["read", "write"], name="crisis-desk")
    path = f"/v1/alerts/{open_alert['id']}"
    before = datetime.now(UTC)

    acknowledged = client.post(f"{path}/acknowledge", headers=desk.headers)
    resolved = client.post(f"{path}/resolve", json={"note": "Apologised publicly."}, headers=agency.headers)

    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == "api_key:crisis-desk"
    assert datetime.fromisoformat(acknowledged.json()["acknowledged_at"]) >= before
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["resolution_note"] == "Apologised publicly."
    assert body["resolved_by"] == "api_key:owner key"
    assert datetime.fromisoformat(body["resolved_at"]) >= datetime.fromisoformat(body["acknowledged_at"])
    assert body["acknowledged_by"] == "api_key:crisis-desk"
    assert client.get(path, headers=agency.headers).json() == body
    assert [call["type"] for call in events.calls] == ["alert.resolved"]
    assert events.calls[0]["data"] == body
    assert events.calls[0]["in_transaction"]
    assert events.calls[0]["status_in_session"] == "resolved"
    actions = [entry.action for entry in _audit(client, agency)]
    assert "alert.acknowledged" in actions
    assert "alert.resolved" in actions


def test_an_open_alert_can_be_resolved_without_acknowledging_it_first(
    client: TestClient[Litestar], agency: Agency, open_alert: Any
) -> None:
    response = client.post(f"/v1/alerts/{open_alert['id']}/resolve", headers=agency.headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved"
    assert response.json()["resolution_note"] == ""
    assert response.json()["acknowledged_at"] is None


def test_bad_transitions_are_409_with_a_sentence(client: TestClient[Litestar], agency: Agency, open_alert: Any) -> None:
    path = f"/v1/alerts/{open_alert['id']}"
    assert client.post(f"{path}/acknowledge", headers=agency.headers).status_code == 200

    twice = client.post(f"{path}/acknowledge", headers=agency.headers)
    assert client.post(f"{path}/resolve", json={"note": "done"}, headers=agency.headers).status_code == 200
    resolved_again = client.post(f"{path}/resolve", json={"note": "again"}, headers=agency.headers)
    acknowledged_late = client.post(f"{path}/acknowledge", headers=agency.headers)

    assert "already acknowledged by api_key:owner key" in assert_problem(twice, 409, code="conflict")["detail"]
    assert "already resolved" in assert_problem(resolved_again, 409, code="conflict")["detail"]
    assert "already resolved" in assert_problem(acknowledged_late, 409, code="conflict")["detail"]
    assert client.get(path, headers=agency.headers).json()["resolution_note"] == "done"


def test_a_failing_event_callback_rolls_the_change_back(
    client: TestClient[Litestar], agency: Agency, open_alert: Any, events: Recorder
) -> None:
    events.fail = True

    response = client.post(f"/v1/alerts/{open_alert['id']}/resolve", json={"note": "x"}, headers=agency.headers)

    assert_problem(response, 500)
    assert client.get(f"/v1/alerts/{open_alert['id']}", headers=agency.headers).json()["status"] == "open"


def test_a_read_only_key_cannot_change_an_alert(client: TestClient[Litestar], agency: Agency, open_alert: Any) -> None:
    reader = create_key(client, agency, ["read"])

    assert_problem(client.post(f"/v1/alerts/{open_alert['id']}/acknowledge", headers=reader.headers), 403)
    assert client.get(f"/v1/alerts/{open_alert['id']}", headers=reader.headers).status_code == 200


def test_without_a_key_alerts_are_401(client: TestClient[Litestar], open_alert: Any) -> None:
    assert_problem(client.get("/v1/alerts"), 401)
    assert_problem(client.post(f"/v1/alerts/{open_alert['id']}/acknowledge"), 401)


def test_alerts_are_listed_newest_first_and_filtered(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, paris: Any
) -> None:
    create_rule(client, agency, paris["id"], "mention_spike", cooldown_hours=0)
    flat_history(database, agency, paris["id"], HISTORY_START, SPIKE_DAY + timedelta(days=7))
    for offset in (0, 7):
        insert_mentions(database, agency, paris["id"], None, SPIKE_DAY + timedelta(days=offset), 40)
    first = evaluate(client, agency, paris["id"], date_from="2026-03-02", date_to="2026-03-02")["opened"][0]
    second = evaluate(client, agency, paris["id"], date_from="2026-03-09", date_to="2026-03-09")["opened"][0]
    other = create_client(client, agency, "Quiet client")
    client.post(f"/v1/alerts/{first['id']}/resolve", json={"note": "ok"}, headers=agency.headers)

    everything = list_all(client, agency, "/v1/alerts", limit=1)
    still_open = list_all(client, agency, "/v1/alerts", status="open")
    spikes = list_all(client, agency, "/v1/alerts", kind="mention_spike", client_id=paris["id"])

    assert [alert["id"] for alert in everything] == [second["id"], first["id"]]
    assert [alert["id"] for alert in still_open] == [second["id"]]
    assert len(spikes) == 2
    assert list_all(client, agency, "/v1/alerts", kind="silence") == []
    assert list_all(client, agency, "/v1/alerts", client_id=other["id"]) == []
    assert_problem(client.get("/v1/alerts", params={"status": "closed"}, headers=agency.headers), 422, field="status")


# --- after a sync ----------------------------------------------------------------------------------------


def test_a_sync_evaluates_the_rules_of_the_accounts_client(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, events: Recorder
) -> None:
    owner, account = make_client_and_account(client, agency)
    rule = create_rule(client, agency, owner["id"], "negative_share_spike")
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    flat_history(database, agency, owner["id"], today - timedelta(weeks=9), today - timedelta(days=2))
    insert_mentions(database, agency, owner["id"], None, yesterday, 12, label="negative", score=-0.8)
    insert_mentions(database, agency, owner["id"], None, yesterday, 8)

    assert list_all(client, agency, "/v1/alerts") == []
    run = sync_account(client, agency, account["id"], yesterday, today)

    assert run["mentions_count"] > 0  # the demo network's own mentions, analysed as they were stored
    [alert] = list_all(client, agency, "/v1/alerts")
    assert alert["rule_id"] == rule["id"]
    assert alert["bucket"] == yesterday.isoformat()
    # The share counts every labelled mention of that day: the 12 negative and 8 neutral inserted, and the synced ones.
    day = yesterday.isoformat()
    mentions = list_all(client, agency, f"/v1/clients/{owner['id']}/mentions", **{"from": day, "to": day})
    labels = [mention["sentiment_label"] for mention in mentions if mention["sentiment_label"]]
    assert labels.count("negative") >= 12
    assert alert["evidence"]["observed"] == round(labels.count("negative") / len(labels), 4)  # evidence keeps 4 places
    assert [call["type"] for call in events.calls] == ["alert.opened"]
    sync_account(client, agency, account["id"], yesterday, today)
    assert len(list_all(client, agency, "/v1/alerts")) == 1


def test_a_failing_evaluation_never_fails_the_sync(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)

    async def broken(_tenant_id: uuid.UUID, _account_id: uuid.UUID) -> None:
        raise RuntimeError("evaluation exploded")

    client.app.state.services.sync_engine.on_run_finished = broken
    today = datetime.now(UTC).date()

    run = sync_account(client, agency, account["id"], today - timedelta(days=1), today)

    assert run["status"] == "succeeded"
    assert run["mentions_count"] >= 0


def test_creating_a_rule_with_an_idempotency_key_twice_creates_one(
    client: TestClient[Litestar], agency: Agency, paris: Any
) -> None:
    body = {"client_id": paris["id"], "kind": "silence", "params": {"days": 10}}
    headers = {**agency.headers, "Idempotency-Key": "rule-once"}

    first = client.post("/v1/alert-rules", json=body, headers=headers)
    replay = client.post("/v1/alert-rules", json=body, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert len(list_all(client, agency, "/v1/alert-rules")) == 1


def test_deleting_a_rule_or_its_client_deletes_the_alerts(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, open_alert: Any, paris: Any
) -> None:
    remaining = create_rule(
        client,
        agency,
        paris["id"],
        "objective_off_track",
        params={"objective_id": create_objective(client, agency, paris["id"])["id"]},
    )
    assert count_rows(database, Alert, rule_id=open_alert["rule_id"]) == 1

    assert client.delete(f"/v1/alert-rules/{open_alert['rule_id']}", headers=agency.headers).status_code == 204
    assert count_rows(database, Alert, rule_id=open_alert["rule_id"]) == 0
    assert_problem(client.get(f"/v1/alerts/{open_alert['id']}", headers=agency.headers), 404, field="alert_id")
    assert client.delete(f"/v1/clients/{paris['id']}", headers=agency.headers).status_code == 204
    assert_problem(client.get(f"/v1/alert-rules/{remaining['id']}", headers=agency.headers), 404, field="rule_id")


def test_two_syncs_of_one_client_finishing_together_open_one_alert(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, events: Recorder
) -> None:
    owner, first = make_client_and_account(client, agency)
    second = create_account(client, agency, owner["id"], "martin_careers")
    create_rule(client, agency, owner["id"], "negative_share_spike")
    today = datetime.now(UTC).date()
    flat_history(database, agency, owner["id"], today - timedelta(weeks=9), today - timedelta(days=1))
    insert_mentions(database, agency, owner["id"], None, today, 12, label="negative", score=-0.8)
    insert_mentions(database, agency, owner["id"], None, today, 8)
    evaluator = client.app.state.services.alert_evaluator
    tenant_id = uuid.UUID(agency.tenant_id)
    events.pause = 0.3

    async def both() -> None:
        await asyncio.gather(
            evaluator.after_sync(tenant_id, uuid.UUID(first["id"])),
            evaluator.after_sync(tenant_id, uuid.UUID(second["id"])),
        )

    with client.portal() as portal:
        portal.call(both)

    [alert] = list_all(client, agency, "/v1/alerts")
    assert alert["bucket"] == today.isoformat()
    assert [call["type"] for call in events.calls] == ["alert.opened"]


def test_an_alert_another_process_opened_first_is_skipped_on_postgres(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, open_alert: Any
) -> None:
    # As if another process had opened this rule's alert for the day between this one's check and its insert.
    evaluator = client.app.state.services.alert_evaluator
    tenant_id = uuid.UUID(agency.tenant_id)

    async def open_again() -> Any:
        async with client.app.state.services.database.tenant_session(tenant_id) as session:
            rule = await session.get(AlertRule, (tenant_id, uuid.UUID(open_alert["rule_id"])))
            assert rule is not None
            again = await evaluator._open_one(session, rule, date(2026, 3, 2), {}, SYSTEM_ACTOR)
            still_usable = (await session.scalars(select(Alert))).all()
            return again, len(still_usable)

    with client.portal() as portal:
        if database.backend == "postgres":
            assert portal.call(open_again) == (None, 1)
        else:
            with pytest.raises(IntegrityError):
                portal.call(open_again)
    assert count_rows(database, Alert) == 1
