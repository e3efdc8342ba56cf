"""Benchmark: owned against competitor accounts side by side, share of voice, and the client's anonymised
percentile among the agency's clients of its industry; every number computed by hand from crafted rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.analytics_rows import insert_daily, insert_mentions, insert_posts
from tests.api.conftest import assert_problem, create_account, create_client
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

WINDOW = {"from": "2026-03-01", "to": "2026-03-28"}  # 28 days: posts per week = posts / 4
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 28)


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def _account_with(
    client: TestClient[Litestar],
    agency: Agency,
    database: TestDatabase,
    client_id: str,
    handle: str,
    *,
    followers: tuple[float, float],
    daily: dict[str, float],
    posts: int,
    kind: str = "owned",
    network: str = "demo",
) -> Any:
    account = create_account(client, agency, client_id, handle, kind=kind, network=network)
    series = {"followers": {FIRST: followers[0], LAST: followers[1]}}
    series.update({metric: {date(2026, 3, 5): value} for metric, value in daily.items()})
    insert_daily(database, agency.tenant_id, account["id"], series)
    insert_posts(database, agency.tenant_id, account["id"], [(_at(1 + n % 28), {}) for n in range(posts)])
    return account


def _benchmark(client: TestClient[Litestar], agency: Agency, client_id: str) -> Any:
    response = client.get(f"/v1/clients/{client_id}/benchmark", params=WINDOW, headers=agency.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def setup(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> dict[str, Any]:
    owner = create_client(client, agency, "Boulangerie Martin", industry="bakery")
    own1 = _account_with(
        client,
        agency,
        database,
        owner["id"],
        "martin",
        followers=(1000, 1100),
        daily={"engagements": 50, "reach": 1000},
        posts=8,
    )
    own2 = _account_with(
        client,
        agency,
        database,
        owner["id"],
        "martin_bsky",
        followers=(500, 500),
        daily={"engagements": 30, "impressions": 1000},
        posts=4,
        network="bluesky",
    )
    rival = _account_with(
        client,
        agency,
        database,
        owner["id"],
        "rival",
        followers=(2000, 2400),
        daily={"engagements": 100},
        posts=14,
        kind="competitor",
    )
    rival_bsky = create_account(client, agency, owner["id"], "rival_bsky", kind="competitor", network="bluesky")
    insert_mentions(
        database,
        agency.tenant_id,
        owner["id"],
        [
            (own1["id"], _at(2), "mention"),
            (own1["id"], _at(3), "mention"),
            (own1["id"], _at(28, 23), "mention"),
            (own1["id"], _at(4), "comment"),  # a comment on its own post: not a mention
            (own1["id"], datetime(2026, 2, 28, 23, 0, tzinfo=UTC), "mention"),  # before the window
            (None, _at(5), "mention"),  # about no account of the set
            (own2["id"], _at(6), "mention"),
            *[(rival["id"], _at(day), "mention") for day in (1, 7, 8, 9, 10)],
            *[(rival_bsky["id"], _at(day), "mention") for day in (11, 12, 13)],
        ],
    )
    return {"client": owner, "own1": own1, "own2": own2, "rival": rival, "rival_bsky": rival_bsky}


def test_owned_and_competitor_sides(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    body = _benchmark(client, agency, setup["client"]["id"])

    owned = {a["handle"]: a for a in body["owned"]["accounts"]}
    assert set(owned) == {"martin", "martin_bsky"}
    martin, bsky = owned["martin"], owned["martin_bsky"]
    assert (martin["audience"], martin["followers_start"], martin["growth_pct"]) == (
        1100.0,
        1000.0,
        pytest.approx(10.0),
    )
    assert (martin["engagement_rate"], martin["engagement_rate_denominator"]) == (pytest.approx(0.05), "reach")
    assert (martin["posts"], martin["posts_per_week"]) == (8, 2.0)
    assert (bsky["audience"], bsky["growth_pct"]) == (500.0, 0.0)
    assert (bsky["engagement_rate"], bsky["engagement_rate_denominator"]) == (pytest.approx(0.03), "impressions")
    assert bsky["posts_per_week"] == 1.0
    assert body["owned"]["total"] == {
        "accounts": 2,
        "audience": 1600.0,
        "growth_pct": pytest.approx(100 / 1500 * 100),  # (1600 - 1500) / 1500
        "engagement_rate": pytest.approx(0.04),  # mean of 0.05 and 0.03
        "engagement_rate_accounts": 2,
        "posts_per_week": 1.5,
    }
    rivals = {a["handle"]: a for a in body["competitor"]["accounts"]}
    assert rivals["rival"]["engagement_rate"] is None  # engagements but neither reach nor impressions
    assert rivals["rival_bsky"]["audience"] is None
    assert body["competitor"]["total"] == {
        "accounts": 2,
        "audience": 2400.0,
        "growth_pct": pytest.approx(20.0),
        "engagement_rate": None,
        "engagement_rate_accounts": 0,
        "posts_per_week": 1.75,  # mean of 3.5 and 0
    }
    assert {"accounts", "sides", "share_of_voice", "percentiles"} <= set(body["definitions"])


def test_share_of_voice_per_network_and_in_total(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    voice = _benchmark(client, agency, setup["client"]["id"])["share_of_voice"]

    # demo: martin 3 mentions in the window, rival 5; bluesky: martin_bsky 1, rival_bsky 3.
    assert voice["networks"] == [
        {"network": "bluesky", "owned_mentions": 1, "competitor_mentions": 3, "share_of_voice": 0.25},
        {"network": "demo", "owned_mentions": 3, "competitor_mentions": 5, "share_of_voice": 0.375},
    ]
    assert voice["total"] == {
        "network": None,
        "owned_mentions": 4,
        "competitor_mentions": 8,
        "share_of_voice": pytest.approx(4 / 12),
    }


def _peer(
    client: TestClient[Litestar],
    agency: Agency,
    database: TestDatabase,
    name: str,
    industry: str,
    *,
    followers: tuple[float, float],
    engagements: float,
    posts: int,
) -> None:
    peer = create_client(client, agency, name, industry=industry)
    _account_with(
        client,
        agency,
        database,
        peer["id"],
        "peer",
        followers=followers,
        daily={"engagements": engagements, "reach": 1000},
        posts=posts,
    )


def test_percentiles_are_withheld_from_a_group_too_small(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, setup: dict[str, Any]
) -> None:
    _peer(client, agency, database, "Peer One", "bakery", followers=(100, 105), engagements=20, posts=4)
    create_client(client, agency, "Peer Without Accounts", industry="bakery")

    percentiles = _benchmark(client, agency, setup["client"]["id"])["percentiles"]

    assert (percentiles["industry"], percentiles["min_group_size"], percentiles["reason"]) == ("bakery", 3, None)
    for figure in ("engagement_rate", "growth_pct", "posts_per_week"):
        assert percentiles[figure]["percentile"] is None
        assert percentiles[figure]["group_size"] == 2  # the client and Peer One; a peer without values does not count
        assert "fewer than 3" in percentiles[figure]["reason"]


def test_percentiles_in_a_group_big_enough_name_no_peer(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase, setup: dict[str, Any]
) -> None:
    _peer(
        client, agency, database, "Peer One", "bakery", followers=(100, 105), engagements=20, posts=4
    )  # 0.02, 5 %, 1/wk
    _peer(
        client, agency, database, "Peer Two", "bakery", followers=(200, 220), engagements=40, posts=5
    )  # 0.04, 10 %, 1.25/wk
    create_client(client, agency, "Peer Without Accounts", industry="bakery")
    _peer(client, agency, database, "Other Trade", "fintech", followers=(1, 1000), engagements=900, posts=50)
    foreign = create_client(client, other_agency, "Foreign Bakery", industry="bakery")
    _account_with(  # another agency's bakery: it would change every percentile and the group size if it counted
        client,
        other_agency,
        database,
        foreign["id"],
        "foreign",
        followers=(100, 100),
        daily={"engagements": 10, "reach": 1000},
        posts=1,
    )

    body = _benchmark(client, agency, setup["client"]["id"])
    percentiles = body["percentiles"]

    # Ours: 0.04, 6.67 %, 1.5/wk. Percentile = 100 * (below + ties / 2) / (3 - 1).
    assert percentiles["engagement_rate"] == {"percentile": 75.0, "group_size": 3, "reason": None}  # 1 below, 1 tie
    assert percentiles["growth_pct"] == {"percentile": 50.0, "group_size": 3, "reason": None}  # 1 below, 1 above
    assert percentiles["posts_per_week"] == {"percentile": 100.0, "group_size": 3, "reason": None}  # both below
    text = str(body)
    for name in ("Peer One", "Peer Two", "Other Trade", "Foreign Bakery"):
        assert name not in text


def test_a_client_without_industry_has_no_percentiles(client: TestClient[Litestar], agency: Agency) -> None:
    lone = create_client(client, agency, "No Industry")

    body = _benchmark(client, agency, lone["id"])

    assert body["percentiles"]["reason"].startswith("this client has no industry")
    assert body["percentiles"]["engagement_rate"] is None
    assert body["owned"]["total"] == {
        "accounts": 0,
        "audience": None,
        "growth_pct": None,
        "engagement_rate": None,
        "engagement_rate_accounts": 0,
        "posts_per_week": None,
    }
    assert body["share_of_voice"]["total"]["share_of_voice"] is None


def test_benchmark_from_after_to_is_422(client: TestClient[Litestar], agency: Agency) -> None:
    lone = create_client(client, agency, "No Industry")
    response = client.get(
        f"/v1/clients/{lone['id']}/benchmark", params={"from": "2026-03-02", "to": "2026-03-01"}, headers=agency.headers
    )
    assert_problem(response, 422, field="from")
