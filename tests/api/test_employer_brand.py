"""The employer-brand index: every component and the index computed by hand from crafted data."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from litestar import Litestar
from litestar.testing import TestClient

from api.content.models import StoredMention, StoredPost
from api.employer_brand.topics import is_about_working_there
from tests.api.conftest import (
    assert_problem,
    create_account,
    create_client,
    insert_metric_points,
    owner_connection,
    table,
)
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

WINDOW = {"from": "2026-03-01", "to": "2026-03-30"}


def insert_post(
    database: TestDatabase, agency: Agency, account_id: str, at: datetime, metrics: dict[str, float], tags: list[str]
) -> None:
    row: dict[str, Any] = {
        "tenant_id": uuid.UUID(agency.tenant_id),
        "id": uuid.uuid4(),
        "account_id": uuid.UUID(account_id),
        "external_id": uuid.uuid4().hex,
        "published_at": at,
        "text": "post",
        "url": None,
        "media_type": "image",
        "metrics": metrics,
        "tags": tags,
        "fetched_at": at,
    }
    with owner_connection(database) as connection:
        connection.execute(table(StoredPost).insert(), [row])


def insert_mention(
    database: TestDatabase, agency: Agency, client_id: str, at: datetime, text: str, label: str | None
) -> None:
    row: dict[str, Any] = {
        "tenant_id": uuid.UUID(agency.tenant_id),
        "id": uuid.uuid4(),
        "client_id": uuid.UUID(client_id),
        "account_id": None,
        "source": "import",
        "external_id": uuid.uuid4().hex,
        "kind": "mention",
        "published_at": at,
        "text": text,
        "author": None,
        "url": None,
        "language": None,
        "sentiment_label": label,
        "sentiment_score": None,
        "post_external_id": None,
        "fetched_at": at,
    }
    with owner_connection(database) as connection:
        connection.execute(table(StoredMention).insert(), [row])


def test_every_component_and_the_index_match_a_hand_computation(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    helix = create_client(client, agency, "Helix Robotics", timezone="Europe/Paris")
    careers = create_account(client, agency, helix["id"], handle="helix_careers")
    linkedin = create_account(
        client, agency, helix["id"], network="linkedin", handle="helix-robotics", credentials={"access_token": "t"}
    )
    rival = create_account(client, agency, helix["id"], handle="rival_jobs", kind="competitor")
    march = lambda day, hour=12: datetime(2026, 3, day, hour, tzinfo=UTC)  # noqa: E731

    # Posts: demo natives (page_reach, page_engagements); LinkedIn-like canonical keys without reach or a total.
    insert_post(
        database, agency, careers["id"], march(5), {"page_reach": 1000, "page_engagements": 80}, ["employer_brand"]
    )
    insert_post(database, agency, careers["id"], march(6), {"page_reach": 3000, "page_engagements": 120}, [])
    insert_post(
        database,
        agency,
        linkedin["id"],
        march(7),
        {"impressions": 1000, "reactions": 30, "comments": 10},
        ["employer_brand"],
    )
    # 23:30 UTC on 28 February is 00:30 on 1 March in Paris: inside the window.
    insert_post(database, agency, careers["id"], datetime(2026, 2, 28, 23, 30, tzinfo=UTC), {"page_reach": 1000}, [])
    # 22:30 UTC on 30 March is 00:30 on 31 March in Paris: outside.
    insert_post(
        database, agency, careers["id"], march(30, 22), {"page_reach": 9e6, "page_engagements": 9e6}, ["employer_brand"]
    )
    # A competitor's employer-brand post is not the client's content.
    insert_post(database, agency, rival["id"], march(8), {"page_reach": 10, "page_engagements": 10}, ["employer_brand"])

    # Followers: only the professional network counts; 1,000 on 1 March to 1,020 on 30 March.
    insert_metric_points(
        database,
        agency.tenant_id,
        linkedin["id"],
        "followers",
        "followers",
        {date(2026, 3, 1): 1000, date(2026, 3, 16): 1010, date(2026, 3, 30): 1020, date(2026, 3, 31): 5000},
    )
    insert_metric_points(
        database,
        agency.tenant_id,
        careers["id"],
        "followers",
        "page_fans",
        {date(2026, 3, 1): 10, date(2026, 3, 30): 900},
    )

    for text, label in [
        ("Super ambiance de travail chez Helix", "positive"),
        ("Great jobs and a great culture at Helix", "positive"),
        ("Salaire ridicule chez Helix, je déconseille", "negative"),
        ("Is Helix hiring interns this year?", "neutral"),
        ("Est-ce que Helix recrute en alternance ?", None),  # stored before the analyser: counted apart
        ("Service client injoignable", "negative"),  # not about working there
    ]:
        insert_mention(database, agency, helix["id"], march(10), text, label)
    insert_mention(
        database, agency, helix["id"], march(30, 23), "Helix recrute encore, quelle ambiance de travail", "negative"
    )

    response = client.get(f"/v1/clients/{helix['id']}/employer-brand", params=WINDOW, headers=agency.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    components = {component["name"]: component for component in body["components"]}
    # content: tagged reach 1000 + 1000, engagements 80 + 40 -> 0.06; all posts 6000 and 240 -> 0.04; r = 1.5.
    assert components["content"]["inputs"]["employer_brand_reach"] == 2000
    assert components["content"]["inputs"]["all_posts_reach"] == 6000
    assert components["content"]["inputs"]["all_posts_engagements"] == 240
    assert components["content"]["score"] == 60.0  # 100 * 1.5 / 2.5
    # audience: +20 over 29 days, per 30 days 0.02 * 30 / 29.
    growth = 20 / 1000 * 30 / 29
    assert math.isclose(components["audience"]["inputs"]["growth_per_30_days"], growth)
    audience = 100 / (1 + math.exp(-growth / 0.02))
    assert components["audience"]["score"] == round(audience, 1)
    # sentiment: 2 positive, 1 negative, 1 neutral -> net 0.25 -> 62.5; the unanalysed one is counted apart.
    assert components["sentiment"]["inputs"]["net_sentiment"] == 0.25
    assert components["sentiment"]["score"] == 62.5
    assert (body["workplace_mentions"], body["workplace_mentions_unanalysed"]) == (5, 1)
    assert components["conversions"]["score"] is None
    assert "ROI ledger" in components["conversions"]["missing_reason"]
    # The index averages the three measured components, each weighing 1/3.
    assert body["index"] == round((60.0 + audience + 62.5) / 3, 1)
    assert [components[name]["weight"] for name in ("content", "audience", "sentiment", "conversions")] == [
        0.3333,
        0.3333,
        0.3333,
        0.0,
    ]
    assert body["employer_brand_posts"] == 2
    assert "score = 100 * r / (1 + r)" in components["content"]["formula"]
    assert body["definition"]["professional_networks"] == ["linkedin"]

    # Applications recorded in the ROI ledger (one outside the window, one conversion that is not an application).
    for entry in [
        {"type": "application", "date": "2026-03-12", "count": 3},
        {"type": "application", "date": "2026-03-20", "count": 2, "unit_value": "40"},
        {"type": "application", "date": "2026-03-31", "count": 50},
        {"type": "conversion", "date": "2026-03-12", "amount": "99", "count": 9},
    ]:
        created = client.post(f"/v1/clients/{helix['id']}/values", json=entry, headers=agency.headers)
        assert created.status_code == 201, created.text
    body = client.get(f"/v1/clients/{helix['id']}/employer-brand", params=WINDOW, headers=agency.headers).json()
    components = {component["name"]: component for component in body["components"]}
    # 5 applications for 2,000 people reached by employer-brand posts: 2.5 per 1,000 -> 100 * 2.5 / 3.5.
    assert components["conversions"]["inputs"]["applications"] == 5
    assert components["conversions"]["inputs"]["applications_per_1000_reached"] == 2.5
    assert components["conversions"]["score"] == round(100 * 2.5 / 3.5, 1)
    assert body["index"] == round((60.0 + audience + 62.5 + 100 * 2.5 / 3.5) / 4, 1)
    assert all(component["weight"] == 0.25 for component in body["components"])


def test_without_data_the_index_is_null_and_each_component_says_why(
    client: TestClient[Litestar], agency: Agency
) -> None:
    quiet = create_client(client, agency, "Quiet Co")

    body = client.get(f"/v1/clients/{quiet['id']}/employer-brand", params=WINDOW, headers=agency.headers).json()

    assert body["index"] is None
    assert all(component["score"] is None and component["missing_reason"] for component in body["components"])


def test_a_window_ending_before_it_starts_is_422(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)

    response = client.get(
        f"/v1/clients/{owner['id']}/employer-brand",
        params={"from": "2026-03-10", "to": "2026-03-01"},
        headers=agency.headers,
    )

    assert_problem(response, 422, code="validation_error", field="from")


def test_workplace_phrases_are_matched_as_whole_words_without_accents() -> None:
    assert is_about_working_there("Est-ce que Helix RECRUTE en alternance ?")
    assert is_about_working_there("Les salariés sont en grève")
    assert is_about_working_there("great onboarding, proud to join the team")
    assert not is_about_working_there("Jobsite deliveries are late")
    assert not is_about_working_there("Livraison rapide, merci")
