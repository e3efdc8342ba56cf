"""Presence per account: cadence, recency, silences, regularity against the target, audience, reach beyond
followers and best slots, in the client's time zone; every number computed by hand from crafted rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.analytics_rows import insert_daily, insert_posts, local
from tests.api.conftest import assert_problem, create_account, create_client, make_client_and_account, sync_account
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

TZ = "America/New_York"
WINDOW = {"from": "2026-03-02", "to": "2026-03-29"}  # Mon 2 .. Sun 29 Mar: four whole weeks


def _post(day: int, hour: int, minute: int, engagement: float) -> tuple[datetime, dict[str, Any]]:
    reactions = engagement - 1
    return local(TZ, 2026, 3, day, hour, minute), {
        "page_reactions": reactions,
        "page_comments": 1.0,
        "page_engagements": engagement,
        "page_impressions": 1000.0,
    }


POSTS = [
    (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), {"page_engagements": 999.0}),  # Sun 1 Mar 22:00 local: before
    _post(3, 10, 15, 10.0),  # Tue 10h
    _post(5, 18, 30, 40.0),  # Thu 18h
    _post(10, 10, 40, 20.0),  # Tue 10h (after the switch to summer time)
    _post(12, 18, 5, 50.0),  # Thu 18h
    _post(24, 10, 5, 30.0),  # Tue 10h
    _post(26, 18, 10, 60.0),  # Thu 18h
    _post(27, 9, 0, 100.0),  # Fri 9h: the best average, but one post is too few to rank
]


@pytest.fixture
def setup(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> dict[str, Any]:
    owner = create_client(client, agency, "Boulangerie Martin", timezone=TZ)
    main = create_account(client, agency, owner["id"], "martin", target_posts_per_week=3)
    quiet = create_account(client, agency, owner["id"], "quiet", network="bluesky")
    rival = create_account(client, agency, owner["id"], "rival", kind="competitor")
    insert_posts(database, agency.tenant_id, main["id"], POSTS)
    insert_daily(
        database,
        agency.tenant_id,
        main["id"],
        {
            "followers": {
                date(2026, 3, 1): 400.0,
                date(2026, 3, 2): 500.0,
                date(2026, 3, 15): 520.0,
                date(2026, 3, 29): 530.0,
            },
            "reach": {date(2026, 3, 2): 1000.0, date(2026, 3, 3): 500.0, date(2026, 3, 4): 300.0},
            "reach_non_followers": {date(2026, 3, 2): 250.0, date(2026, 3, 3): 100.0},
        },
    )
    insert_posts(database, agency.tenant_id, rival["id"], [(local(TZ, 2026, 3, 20, 12), {})])
    return {"client": owner, "main": main, "quiet": quiet, "rival": rival}


def _presence(client: TestClient[Litestar], agency: Agency, client_id: str, **params: Any) -> Any:
    response = client.get(f"/v1/clients/{client_id}/presence", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _account(body: Any, account_id: str) -> Any:
    [account] = [a for a in body["accounts"] if a["account_id"] == account_id]
    return account


def test_cadence_silence_and_regularity(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    body = _presence(client, agency, setup["client"]["id"], **WINDOW)
    main = _account(body, setup["main"]["id"])

    assert (body["from"], body["to"], body["timezone"]) == ("2026-03-02", "2026-03-29", TZ)
    assert main["posts"] == 7  # the post at 03:00 UTC on 2 Mar is 1 Mar in New York
    assert main["posts_per_week"] == pytest.approx(7 / 28 * 7)
    assert (main["last_post_day"], main["days_since_last_post"]) == ("2026-03-27", 2)
    # Post days 3, 5, 10, 12, 24, 26, 27: the longest run without one is 13..23 March.
    assert main["longest_silence"] == {"days": 11, "from": "2026-03-13", "to": "2026-03-23"}
    regularity = main["regularity"]
    assert regularity["weekly_posts"] == [2, 2, 0, 3]
    assert regularity["target_posts_per_week"] == 3
    assert regularity["weeks_meeting_target"] == 1
    assert regularity["score"] == pytest.approx(58.3)  # 100 * (2/3 + 2/3 + 0 + 1) / 4 = 58.33
    assert regularity["reason"] is None
    assert {"posts_per_week", "longest_silence", "regularity", "best_slots"} <= set(body["definitions"])


def test_audience_and_reach_beyond_followers(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    main = _account(_presence(client, agency, setup["client"]["id"], **WINDOW), setup["main"]["id"])

    assert main["audience"] == {
        "followers_start": 500.0,
        "followers_start_day": "2026-03-02",
        "followers_end": 530.0,
        "followers_end_day": "2026-03-29",
        "growth": 30.0,
        "growth_pct": pytest.approx(6.0),
    }
    # Only 2 and 3 March report both: (250 + 100) / (1000 + 500).
    beyond = main["reach_beyond_followers"]
    assert (beyond["reach"], beyond["reach_non_followers"], beyond["days"], beyond["reason"]) == (
        1500.0,
        350.0,
        2,
        None,
    )
    assert beyond["share"] == pytest.approx(350 / 1500)


def test_best_slots_rank_slots_with_enough_posts(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    slots = _account(_presence(client, agency, setup["client"]["id"], **WINDOW), setup["main"]["id"])["best_slots"]

    assert slots["engagement_fields"] == ["page_engagements"]
    assert slots["min_posts_per_slot"] == 3
    assert [(s["weekday_name"], s["hour"], s["posts"], s["average_engagement"]) for s in slots["best"]] == [
        ("Thursday", 18, 3, 50.0),  # (40 + 50 + 60) / 3
        ("Tuesday", 10, 3, 20.0),  # (10 + 20 + 30) / 3
    ]
    assert [(s["weekday"], s["hour"], s["posts"], s["average_engagement"]) for s in slots["grid"]] == [
        (2, 10, 3, 20.0),
        (4, 18, 3, 50.0),
        (5, 9, 1, 100.0),
    ]


def test_an_account_without_posts_target_or_data(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    quiet = _account(_presence(client, agency, setup["client"]["id"], **WINDOW), setup["quiet"]["id"])

    assert (quiet["posts"], quiet["posts_per_week"], quiet["last_post_day"], quiet["days_since_last_post"]) == (
        0,
        0.0,
        None,
        None,
    )
    assert quiet["longest_silence"] == {"days": 28, "from": "2026-03-02", "to": "2026-03-29"}
    assert quiet["regularity"]["score"] is None
    assert "target_posts_per_week" in quiet["regularity"]["reason"]
    assert quiet["regularity"]["weekly_posts"] == [0, 0, 0, 0]
    assert quiet["audience"]["growth"] is None
    assert quiet["reach_beyond_followers"]["share"] is None
    assert "bluesky does not report reach among non-followers" in quiet["reach_beyond_followers"]["reason"]
    assert (quiet["best_slots"]["best"], quiet["best_slots"]["grid"]) == ([], [])


def test_a_window_without_posts_counts_from_the_last_one_before_it(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    main = _account(
        _presence(client, agency, setup["client"]["id"], **{"from": "2026-03-28", "to": "2026-03-31"}),
        setup["main"]["id"],
    )

    assert (main["posts"], main["last_post_day"], main["days_since_last_post"]) == (0, "2026-03-27", 4)
    assert main["longest_silence"] == {"days": 4, "from": "2026-03-28", "to": "2026-03-31"}
    assert main["regularity"]["score"] is None
    assert "shorter than a week" in main["regularity"]["reason"]


def test_only_owned_accounts_unless_asked(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    owned = _presence(client, agency, setup["client"]["id"], **WINDOW)
    rivals = _presence(client, agency, setup["client"]["id"], kind="competitor", **WINDOW)

    assert {a["account_id"] for a in owned["accounts"]} == {setup["main"]["id"], setup["quiet"]["id"]}
    [rival] = rivals["accounts"]
    assert (rival["account_id"], rival["kind"], rival["posts"], rival["days_since_last_post"]) == (
        setup["rival"]["id"],
        "competitor",
        1,
        9,
    )


def test_invalid_presence_queries_are_422(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    path = f"/v1/clients/{setup['client']['id']}/presence"

    assert_problem(
        client.get(path, params={"from": "2026-03-02", "to": "2026-03-01"}, headers=agency.headers), 422, field="from"
    )
    assert_problem(client.get(path, params={"kind": "everyone"}, headers=agency.headers), 422, field="kind")


def test_a_synced_demo_account_reports_its_reach_beyond_followers(client: TestClient[Litestar], agency: Agency) -> None:
    owner, account = make_client_and_account(client, agency)
    sync_account(client, agency, account["id"], date(2026, 1, 5), date(2026, 1, 11))
    window = {"from": "2026-01-05", "to": "2026-01-11"}
    series = client.get(
        "/v1/metrics",
        params={"account_id": account["id"], "metric": ["reach", "reach_non_followers"], **window},
        headers=agency.headers,
    ).json()["series"]
    totals = {s["metric"]: sum(p["value"] for p in s["points"]) for s in series}

    beyond = _account(_presence(client, agency, owner["id"], **window), account["id"])["reach_beyond_followers"]

    assert 0 < totals["reach_non_followers"] < totals["reach"]
    assert (beyond["reach"], beyond["reach_non_followers"], beyond["days"]) == (
        totals["reach"],
        totals["reach_non_followers"],
        7,
    )
    assert beyond["share"] == pytest.approx(totals["reach_non_followers"] / totals["reach"])
