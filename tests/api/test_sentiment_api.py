"""GET /v1/clients/{client_id}/sentiment: counts per label and net sentiment per period, in the client's zone.

The mentions are written straight to the table with their labels and scores, so every number below is
computed by hand from the rows listed in `CRAFTED`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update

from api.content.models import StoredMention
from api.sentiment import default_analyzer
from tests.api.conftest import assert_problem, create_account, create_client, owner_connection, sync_account, table
from tests.conftest import Agency, TestDatabase

NEW_YORK = "America/New_York"  # UTC-5 all January

# name: (published_at UTC, label, score, source, language, on the account)
CRAFTED: dict[str, tuple[datetime, str | None, float | None, str, str, bool]] = {
    "a": (datetime(2026, 1, 5, 3, 0, tzinfo=UTC), "positive", 0.9, "reviews", "fr", False),  # NY Sun 4 Jan 22:00
    "b": (datetime(2026, 1, 5, 6, 0, tzinfo=UTC), "negative", -0.8, "reviews", "fr", True),  # NY Mon 5 Jan 01:00
    "c": (datetime(2026, 1, 6, 12, 0, tzinfo=UTC), "positive", 0.4, "x", "en", False),
    "d": (datetime(2026, 1, 7, 12, 0, tzinfo=UTC), "neutral", 0.0, "reviews", "fr", False),
    "e": (datetime(2026, 1, 8, 12, 0, tzinfo=UTC), "positive", 0.9, "x", "en", False),  # same score as a, newer
    "f": (datetime(2026, 1, 14, 4, 59, tzinfo=UTC), "negative", -0.3, "reviews", "fr", True),  # NY 13 Jan 23:59
    "g": (datetime(2026, 1, 14, 5, 0, tzinfo=UTC), "positive", 1.0, "reviews", "en", False),  # NY 14 Jan 00:00
    "h": (datetime(2026, 1, 4, 4, 59, tzinfo=UTC), "negative", -1.0, "reviews", "en", False),  # NY 3 Jan 23:59
    "i": (datetime(2026, 1, 6, 15, 0, tzinfo=UTC), None, None, "reviews", "en", False),  # stored unlabelled
}


def insert_mentions(
    database: TestDatabase, tenant_id: str, client_id: str, account_id: str | None, names: dict[str, Any]
) -> dict[str, str]:
    """Store the crafted mentions as the owner; returns their ids by name."""
    ids = {name: str(uuid.uuid4()) for name in names}
    rows = [
        {
            "tenant_id": uuid.UUID(tenant_id),
            "id": uuid.UUID(ids[name]),
            "client_id": uuid.UUID(client_id),
            "account_id": uuid.UUID(account_id) if on_account and account_id else None,
            "source": source,
            "external_id": f"{name}-{client_id[:8]}",
            "kind": "mention",
            "published_at": published_at,
            "text": f"mention {name}",
            "author": None,
            "url": None,
            "language": language,
            "sentiment_label": label,
            "sentiment_score": score,
            "post_external_id": None,
            "fetched_at": datetime(2026, 1, 20, tzinfo=UTC),
        }
        for name, (published_at, label, score, source, language, on_account) in names.items()
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredMention).insert(), rows)
    return ids


@pytest.fixture
def crafted(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> dict[str, Any]:
    owner = create_client(client, agency, "Brooklyn Bagels", timezone=NEW_YORK)
    account = create_account(client, agency, owner["id"], "bagels")
    ids = insert_mentions(database, agency.tenant_id, owner["id"], account["id"], CRAFTED)
    # Another client's mention in the same window never counts.
    other = create_client(client, agency, "Another Client", timezone=NEW_YORK)
    insert_mentions(database, agency.tenant_id, other["id"], None, {"z": CRAFTED["e"]})
    return {"client_id": owner["id"], "account_id": account["id"], "ids": ids}


def report(client: TestClient[Litestar], agency: Agency, client_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/clients/{client_id}/sentiment", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def period(start: str, positive: int, negative: int, neutral: int, net: float | None) -> dict[str, Any]:
    return {
        "period_start": start,
        "positive": positive,
        "negative": negative,
        "neutral": neutral,
        "total": positive + negative + neutral,
        "net_sentiment": net,
    }


def test_weekly_counts_and_net_sentiment_in_the_clients_time_zone(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    body = report(
        client, agency, crafted["client_id"], **{"from": "2026-01-04", "to": "2026-01-13"}, granularity="week"
    )

    # a is Sunday 4 January in New York (the week of Monday 29 December) though 5 January in UTC; f is
    # 13 January 23:59 in New York; g (14 January 00:00) and h (3 January 23:59) fall outside.
    assert body["periods"] == [
        period("2025-12-29", 1, 0, 0, 1.0),  # a
        period("2026-01-05", 2, 1, 1, 0.25),  # c, e / b / d: (2 - 1) / 4
        period("2026-01-12", 0, 1, 0, -1.0),  # f
    ]
    assert body["totals"] == {
        "positive": 3,
        "negative": 2,
        "neutral": 1,
        "total": 6,
        "net_sentiment": round(1 / 6, 4),
        "unlabelled": 1,  # i
    }
    assert (body["from"], body["to"], body["granularity"], body["timezone"]) == (
        "2026-01-04",
        "2026-01-13",
        "week",
        NEW_YORK,
    )
    ids = crafted["ids"]
    # e and a tie at 0.9: the more recent (e) first.
    assert [m["id"] for m in body["most_positive"]] == [ids["e"], ids["a"], ids["c"]]
    assert [m["id"] for m in body["most_negative"]] == [ids["b"], ids["f"]]
    assert body["most_negative"][0]["sentiment_score"] == -0.8
    definition = body["definition"]
    assert definition["net_sentiment"].startswith("(positive - negative) ÷ total")
    assert NEW_YORK in definition["periods"]
    assert definition["analyzer"]["name"] == "resonance-default"
    assert "vaderSentiment" in definition["analyzer"]["version"]


def test_daily_periods_include_empty_days_with_a_null_net_sentiment(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    body = report(client, agency, crafted["client_id"], **{"from": "2026-01-03", "to": "2026-01-06"})

    assert body["granularity"] == "day"
    assert body["periods"] == [
        period("2026-01-03", 0, 1, 0, -1.0),  # h
        period("2026-01-04", 1, 0, 0, 1.0),  # a
        period("2026-01-05", 0, 1, 0, -1.0),  # b
        period("2026-01-06", 1, 0, 0, 1.0),  # c (i is unlabelled)
    ]
    empty = report(client, agency, crafted["client_id"], **{"from": "2026-01-09", "to": "2026-01-10"})
    assert empty["periods"] == [period("2026-01-09", 0, 0, 0, None), period("2026-01-10", 0, 0, 0, None)]
    assert empty["totals"]["net_sentiment"] is None
    assert empty["most_positive"] == empty["most_negative"] == []


def test_monthly_periods(client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]) -> None:
    body = report(
        client, agency, crafted["client_id"], **{"from": "2026-01-01", "to": "2026-02-28"}, granularity="month", top=1
    )

    # All of a-h are in January in New York: positive a c e g, negative b f h, neutral d: (4 - 3) / 8.
    assert body["periods"] == [period("2026-01-01", 4, 3, 1, 0.125), period("2026-02-01", 0, 0, 0, None)]
    assert [m["id"] for m in body["most_positive"]] == [crafted["ids"]["g"]]
    assert [m["id"] for m in body["most_negative"]] == [crafted["ids"]["h"]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"language": "fr"}, {"positive": 1, "negative": 2, "neutral": 1, "net": -0.25}),  # a / b f / d
        ({"network": "x"}, {"positive": 2, "negative": 0, "neutral": 0, "net": 1.0}),  # c e
        ({"account": True}, {"positive": 0, "negative": 2, "neutral": 0, "net": -1.0}),  # b f
    ],
)
def test_filters_by_language_network_and_account(
    client: TestClient[Litestar],
    agency: Agency,
    crafted: dict[str, Any],
    filters: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    params: dict[str, Any] = {"from": "2026-01-04", "to": "2026-01-13", "granularity": "week"}
    if filters.get("account"):
        params["account_id"] = crafted["account_id"]
    params.update({name: value for name, value in filters.items() if name != "account"})

    body = report(client, agency, crafted["client_id"], **params)

    totals = body["totals"]
    assert (totals["positive"], totals["negative"], totals["neutral"], totals["net_sentiment"]) == (
        expected["positive"],
        expected["negative"],
        expected["neutral"],
        expected["net"],
    )
    assert body["filters"] == {
        "account_id": params.get("account_id"),
        "network": params.get("network"),
        "language": params.get("language"),
    }


def test_default_window_is_the_last_30_days_in_the_clients_time_zone(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    body = report(client, agency, crafted["client_id"])

    today = datetime.now(ZoneInfo(NEW_YORK)).date()
    assert (body["from"], body["to"]) == ((today - timedelta(days=29)).isoformat(), today.isoformat())
    assert len(body["periods"]) == 30


def test_invalid_parameters_are_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    path = f"/v1/clients/{crafted['client_id']}/sentiment"

    reversed_window = client.get(path, params={"from": "2026-01-10", "to": "2026-01-01"}, headers=agency.headers)
    year = client.get(path, params={"granularity": "year"}, headers=agency.headers)
    too_many = client.get(path, params={"top": 51}, headers=agency.headers)
    too_long = client.get(path, params={"from": "2020-01-01", "to": "2026-01-01"}, headers=agency.headers)

    assert_problem(reversed_window, 422, field="from")
    assert_problem(year, 422, field="granularity")
    assert_problem(too_many, 422, field="top")
    assert_problem(too_long, 422, field="granularity")


def test_needs_a_key_and_hides_other_agencies_clients(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, crafted: dict[str, Any]
) -> None:
    path = f"/v1/clients/{crafted['client_id']}/sentiment"

    assert_problem(client.get(path), 401)
    problem = assert_problem(client.get(path, headers=other_agency.headers), 404, field="client_id")
    assert "mention" not in str(problem)


def test_an_account_that_is_not_the_clients_is_404(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    path = f"/v1/clients/{crafted['client_id']}/sentiment"
    elsewhere = create_account(client, agency, create_client(client, agency, "Third Client")["id"], "elsewhere")

    for account_id in (elsewhere["id"], str(uuid.uuid4())):
        response = client.get(path, params={"account_id": account_id}, headers=agency.headers)
        assert_problem(response, 404, code="not_found", field="account_id")


def test_synced_mentions_are_labelled_and_counted(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency, "Synced Client")
    account = create_account(client, agency, owner["id"], "synced")
    sync_account(client, agency, account["id"], date(2026, 1, 5), date(2026, 1, 11))

    body = report(client, agency, owner["id"], **{"from": "2026-01-05", "to": "2026-01-11"}, granularity="week")
    listed = client.get(f"/v1/clients/{owner['id']}/mentions", params={"limit": 200}, headers=agency.headers).json()

    labels = [m["sentiment_label"] for m in listed["data"]]
    assert labels
    assert None not in labels
    assert body["totals"]["total"] == len(labels)
    assert body["totals"]["unlabelled"] == 0
    assert body["totals"]["positive"] == labels.count("positive")
    assert body["totals"]["negative"] == labels.count("negative")


def test_the_report_says_which_analysers_labelled_the_window_and_mentions_carry_theirs(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, crafted: dict[str, Any]
) -> None:
    current = default_analyzer()
    mentions = table(StoredMention)
    ids = crafted["ids"]
    with owner_connection(database) as connection:
        for names, analyzer, version in (("abc", current.name, current.version), ("d", "old-lexicon", "0.9")):
            connection.execute(
                update(mentions)
                .where(mentions.c.id.in_([uuid.UUID(ids[name]) for name in names]))
                .values(sentiment_analyzer=analyzer, sentiment_version=version)
            )

    body = report(client, agency, crafted["client_id"], **{"from": "2026-01-01", "to": "2026-01-31"})

    # e, f, g, h were labelled before the analyser was kept; i has no label and is not counted.
    assert body["labelled_by"] == [
        {"analyzer": None, "version": None, "mentions": 4, "current": False},
        {"analyzer": current.name, "version": current.version, "mentions": 3, "current": True},
        {"analyzer": "old-lexicon", "version": "0.9", "mentions": 1, "current": False},
    ]
    assert "resonance sentiment reanalyse" in body["definition"]["labelled_by"]
    listed = {m["id"]: m for m in body["most_positive"] + body["most_negative"]}
    assert (listed[ids["a"]]["sentiment_analyzer"], listed[ids["a"]]["sentiment_version"]) == (
        current.name,
        current.version,
    )
    assert (listed[ids["e"]]["sentiment_analyzer"], listed[ids["e"]]["aspects"]) == (None, [])
