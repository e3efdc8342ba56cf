"""GET /v1/clients/{client_id}/sentiment/aspects: per topic, mentions by label and the share of the negatives.

The mentions are written straight to the table with their labels and aspects, so every number below is
computed by hand from the rows listed in `CRAFTED`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.content.models import StoredMention
from tests.api.conftest import assert_problem, create_account, create_client, owner_connection, table
from tests.conftest import Agency, TestDatabase

PARIS = "Europe/Paris"  # UTC+1 all January

# name: (published_at UTC, label, source, language, on the account, aspects)
CRAFTED: dict[str, tuple[datetime, str | None, str, str, bool, list[str]]] = {
    "a": (datetime(2026, 1, 5, 10, 0, tzinfo=UTC), "negative", "reviews", "fr", True, ["price", "delivery"]),
    "b": (datetime(2026, 1, 5, 12, 0, tzinfo=UTC), "negative", "reviews", "fr", False, ["delivery"]),
    "c": (datetime(2026, 1, 6, 9, 0, tzinfo=UTC), "positive", "x", "en", False, ["price"]),
    "d": (datetime(2026, 1, 7, 9, 0, tzinfo=UTC), "neutral", "x", "en", False, ["service"]),
    "e": (datetime(2026, 1, 8, 9, 0, tzinfo=UTC), "negative", "x", "en", True, []),
    "f": (datetime(2026, 1, 11, 23, 30, tzinfo=UTC), "negative", "reviews", "fr", False, ["delivery", "staff"]),
    "g": (datetime(2026, 1, 4, 22, 59, tzinfo=UTC), "positive", "reviews", "fr", False, ["delivery"]),  # 4 Jan
    "h": (datetime(2026, 1, 6, 10, 0, tzinfo=UTC), None, "reviews", "en", False, ["price"]),  # unlabelled
    "j": (datetime(2026, 1, 9, 9, 0, tzinfo=UTC), "positive", "x", "en", False, ["parking"]),  # not catalogued
    "k": (datetime(2026, 1, 20, 9, 0, tzinfo=UTC), "negative", "reviews", "fr", False, ["price"]),  # after
}
WINDOW = {"from": "2026-01-05", "to": "2026-01-12"}  # f is 12 January 00:30 in Paris, g 4 January 23:59


def insert_mentions(
    database: TestDatabase, tenant_id: str, client_id: str, account_id: str | None, names: dict[str, Any]
) -> None:
    """Store the crafted mentions, with their aspects, as the owner."""
    rows = [
        {
            "tenant_id": uuid.UUID(tenant_id),
            "id": uuid.uuid4(),
            "client_id": uuid.UUID(client_id),
            "account_id": uuid.UUID(account_id) if on_account and account_id else None,
            "source": source,
            "external_id": f"{name}-{client_id[:8]}",
            "kind": "mention",
            "published_at": published_at,
            "text": f"mention {name}",
            "language": language,
            "sentiment_label": label,
            "sentiment_score": {"positive": 0.8, "negative": -0.8, "neutral": 0.0}.get(label or ""),
            "aspects": aspects,
            "fetched_at": datetime(2026, 1, 25, tzinfo=UTC),
        }
        for name, (published_at, label, source, language, on_account, aspects) in names.items()
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredMention).insert(), rows)


@pytest.fixture
def crafted(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> dict[str, Any]:
    owner = create_client(client, agency, "Paris Pâtisserie", timezone=PARIS)
    account = create_account(client, agency, owner["id"], "patisserie")
    insert_mentions(database, agency.tenant_id, owner["id"], account["id"], CRAFTED)
    # Another client's negative mention in the same window never counts.
    other = create_client(client, agency, "Another Client", timezone=PARIS)
    insert_mentions(database, agency.tenant_id, other["id"], None, {"z": CRAFTED["a"]})
    return {"client_id": owner["id"], "account_id": account["id"]}


def report(client: TestClient[Litestar], agency: Agency, client_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/clients/{client_id}/sentiment/aspects", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counts(
    aspect: str, positive: int, negative: int, neutral: int, share: float | None, net: float | None
) -> dict[str, Any]:
    return {
        "aspect": aspect,
        "mentions": positive + negative + neutral,
        "positive": positive,
        "negative": negative,
        "neutral": neutral,
        "net_sentiment": net,
        "share_of_negative": share,
    }


def test_aspects_carry_their_share_of_the_negative_mentions(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    body = report(client, agency, crafted["client_id"], **WINDOW)

    # Labelled in the window: a b c d e f j; negative: a b e f (4). h is unlabelled, g and k outside.
    assert body["aspects"] == [
        counts("delivery", 0, 3, 0, 0.75, -1.0),  # a b f
        counts("price", 1, 1, 0, 0.25, 0.0),  # c / a
        counts("staff", 0, 1, 0, 0.25, -1.0),  # f
        counts("app", 0, 0, 0, 0.0, None),
        counts("billing", 0, 0, 0, 0.0, None),
        counts("hiring", 0, 0, 0, 0.0, None),
        counts("parking", 1, 0, 0, 0.0, 1.0),  # j: a stored aspect outside the catalogue is still listed
        counts("quality", 0, 0, 0, 0.0, None),
        counts("service", 0, 0, 1, 0.0, 0.0),  # d
    ]
    untagged = dict(counts("", 0, 1, 0, 0.25, -1.0))  # e
    del untagged["aspect"]
    assert body["untagged"] == untagged
    assert body["totals"] == {"mentions": 7, "negative": 4, "unlabelled": 1}
    assert (body["from"], body["to"], body["timezone"], body["granularity"]) == (
        "2026-01-05",
        "2026-01-12",
        PARIS,
        None,
    )
    assert body["periods"] is None
    assert body["filters"] == {"account_id": None, "network": None, "language": None}
    definition = body["definition"]
    assert definition["catalogue"] == {"name": "resonance-aspects", "version": "2"}
    assert definition["share_of_negative"].startswith("the aspect's negative mentions ÷ every negative mention")
    assert definition["net_sentiment"].startswith("(positive - negative) ÷ mentions")


WINDOW_ORDER = ["delivery", "price", "staff", "app", "billing", "hiring", "parking", "quality", "service"]


def period(start: str, order: list[str] = WINDOW_ORDER, **per_aspect: tuple[int, int]) -> dict[str, Any]:
    """A period's counts, every aspect listed in the report's order (`(mentions, negative)` where not zero)."""
    return {
        "period_start": start,
        "aspects": [
            {"aspect": name, "mentions": per_aspect.get(name, (0, 0))[0], "negative": per_aspect.get(name, (0, 0))[1]}
            for name in order
        ],
    }


def test_weekly_periods_in_the_clients_time_zone(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    body = report(client, agency, crafted["client_id"], **WINDOW, granularity="week")

    # f (11 January 23:30 UTC) is Monday 12 January in Paris: the second week.
    assert body["periods"] == [
        period("2026-01-05", delivery=(2, 2), price=(2, 1), parking=(1, 0), service=(1, 0)),
        period("2026-01-12", delivery=(1, 1), staff=(1, 1)),
    ]
    assert body["granularity"] == "week"
    assert "weeks in the client's time zone (Europe/Paris)" in body["definition"]["periods"]


def test_daily_periods_list_every_day(client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]) -> None:
    body = report(client, agency, crafted["client_id"], **{"from": "2026-01-04", "to": "2026-01-07"}, granularity="day")

    order = ["delivery", "price", "app", "billing", "hiring", "quality", "service", "staff"]
    assert body["periods"] == [
        period("2026-01-04", order, delivery=(1, 0)),  # g
        period("2026-01-05", order, delivery=(2, 2), price=(1, 1)),  # a b
        period("2026-01-06", order, price=(1, 0)),  # c (h is unlabelled)
        period("2026-01-07", order, service=(1, 0)),  # d
    ]
    assert body["aspects"][0] == counts("delivery", 1, 2, 0, 1.0, -0.3333)  # g / a b; negatives a b only


def test_a_window_of_one_period(client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]) -> None:
    body = report(client, agency, crafted["client_id"], **{"from": "2026-01-05", "to": "2026-01-05"}, granularity="day")

    order = ["delivery", "price", "app", "billing", "hiring", "quality", "service", "staff"]
    assert body["periods"] == [period("2026-01-05", order, delivery=(2, 2), price=(1, 1))]  # a b
    month = report(client, agency, crafted["client_id"], **WINDOW, granularity="month")
    assert month["periods"] == [
        period("2026-01-01", delivery=(3, 3), price=(2, 1), staff=(1, 1), parking=(1, 0), service=(1, 0))
    ]


def test_an_empty_window_has_null_ratios(client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]) -> None:
    body = report(client, agency, crafted["client_id"], **{"from": "2026-02-01", "to": "2026-02-02"})

    assert [row["aspect"] for row in body["aspects"]] == [
        "app",
        "billing",
        "delivery",
        "hiring",
        "price",
        "quality",
        "service",
        "staff",
    ]
    assert all(row["mentions"] == 0 and row["share_of_negative"] is None for row in body["aspects"])
    assert body["untagged"]["net_sentiment"] is None
    assert body["totals"] == {"mentions": 0, "negative": 0, "unlabelled": 0}


@pytest.mark.parametrize(
    ("filters", "expected", "untagged_share"),
    [
        # c d e j: one negative (e, untagged).
        ({"language": "en"}, {"price": (1, 0, 0.0), "service": (1, 0, 0.0), "delivery": (0, 0, 0.0)}, 1.0),
        ({"network": "x"}, {"price": (1, 0, 0.0), "service": (1, 0, 0.0), "delivery": (0, 0, 0.0)}, 1.0),
        # a b f: three negatives.
        ({"network": "reviews"}, {"delivery": (3, 3, 1.0), "price": (1, 1, 0.3333), "staff": (1, 1, 0.3333)}, 0.0),
        # a e: two negatives.
        ({"account": True}, {"delivery": (1, 1, 0.5), "price": (1, 1, 0.5), "service": (0, 0, 0.0)}, 0.5),
    ],
)
def test_filters_by_language_network_and_account(
    client: TestClient[Litestar],
    agency: Agency,
    crafted: dict[str, Any],
    filters: dict[str, Any],
    expected: dict[str, tuple[int, int, float]],
    untagged_share: float,
) -> None:
    params: dict[str, Any] = dict(WINDOW)
    if filters.get("account"):
        params["account_id"] = crafted["account_id"]
    params.update({name: value for name, value in filters.items() if name != "account"})

    body = report(client, agency, crafted["client_id"], **params)

    found = {row["aspect"]: row for row in body["aspects"]}
    for aspect, (mentions, negative, share) in expected.items():
        row = found[aspect]
        assert (row["mentions"], row["negative"], row["share_of_negative"]) == (mentions, negative, share), aspect
    assert body["untagged"]["share_of_negative"] == untagged_share
    assert body["filters"]["account_id"] == params.get("account_id")


def test_invalid_parameters_are_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, crafted: dict[str, Any]
) -> None:
    path = f"/v1/clients/{crafted['client_id']}/sentiment/aspects"

    reversed_window = client.get(path, params={"from": "2026-01-10", "to": "2026-01-01"}, headers=agency.headers)
    year = client.get(path, params={"granularity": "year"}, headers=agency.headers)

    assert_problem(reversed_window, 422, field="from")
    assert_problem(year, 422, field="granularity")


def test_needs_a_key_and_hides_other_agencies_clients_and_accounts(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, crafted: dict[str, Any]
) -> None:
    path = f"/v1/clients/{crafted['client_id']}/sentiment/aspects"

    assert_problem(client.get(path), 401)
    problem = assert_problem(client.get(path, headers=other_agency.headers), 404, field="client_id")
    assert "delivery" not in str(problem)
    elsewhere = create_account(client, agency, create_client(client, agency, "Third Client")["id"], "elsewhere")
    for account_id in (elsewhere["id"], str(uuid.uuid4())):
        response = client.get(path, params={"account_id": account_id}, headers=agency.headers)
        assert_problem(response, 404, code="not_found", field="account_id")
