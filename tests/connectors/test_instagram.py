"""The `instagram` connector against a local Graph API serving recorded/derived responses.

Fixtures are in tests/connectors/fixtures/instagram/ (see its README): the shapes of Meta's Graph
API answers for Instagram professional accounts, `{base}` in `paging.next` links standing for the
local server's URL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from plugins.connectors import instagram
from plugins.connectors._meta_graph import GRAPH_API_VERSION
from plugins.connectors.instagram import ACCOUNT_METRICS, MEDIA_FIELDS, MEDIA_METRICS, InstagramConnector
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Checkpoint,
    ConnectorError,
    OAuthClient,
    Record,
    RecordValidator,
    Window,
    built_in_metrics,
)
from tests.connectors.answering import Recording
from tests.connectors.graph_api import Graph
from tests.connectors.records import at, mentions, points, posts, unix
from tests.connectors.registration import assert_registers

FIXTURES = Path(__file__).parent / "fixtures" / "instagram"
IG_ID = "17841405309211844"
TOKEN = "EAAGm0PX4ZCpsBAKZAZBsecret-ig-token"
CREDENTIALS = {"access_token": TOKEN, "ig_user_id": IG_ID}
WINDOW = Window(since=date(2026, 3, 1), until=date(2026, 3, 3))
ACCOUNT = AccountRef(handle="boulangerie.dupont", external_id=IG_ID, credentials=CREDENTIALS)
COMPETITOR = AccountRef(
    handle="@lepetitfournil", external_id="17841401441775531", kind="competitor", credentials=CREDENTIALS
)
V = f"/{GRAPH_API_VERSION}"
PROFILE = f"{V}/{IG_ID}"
INSIGHTS = f"{V}/{IG_ID}/insights"
MEDIA = f"{V}/{IG_ID}/media"
TAGS = f"{V}/{IG_ID}/tags"
REEL, IMAGE, CAROUSEL, OLD = "18031234567890123", "17999887766554433", "18000111222333444", "17888999000111222"
DAYS = (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- a local Graph API ----------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """The follower count read "now" belongs to March 3, 2026, the window's last day."""
    day = date(2026, 3, 3)
    monkeypatch.setattr(instagram, "_utc_today", lambda: day)
    return day


def owned_fetch(graph: Graph) -> Graph:
    """Every response of one fetch of the owned account over WINDOW (and of check())."""
    graph.add("GET", PROFILE, query={"fields": "id,username,followers_count,media_count"}, json=fixture("profile.json"))
    graph.add("GET", PROFILE, query={"fields": "id,username"}, json={"id": IG_ID, "username": "boulangerie.dupont"})
    for day in DAYS:
        graph.add("GET", INSIGHTS, query={"since": unix(day)}, json=fixture(f"account_insights_{day.isoformat()}.json"))
    after = fixture("media_page1.json")["paging"]["cursors"]["after"]
    graph.add("GET", MEDIA, query={"after": after}, json=fixture("media_page2.json"))
    graph.add("GET", MEDIA, json=fixture("media_page1.json"))
    graph.add("GET", f"{V}/{REEL}/insights", json=fixture(f"media_insights_{REEL}.json"))
    graph.add("GET", f"{V}/{IMAGE}/insights", status=400, json=fixture("error_10_not_enough_viewers.json"))
    graph.add("GET", f"{V}/{CAROUSEL}/insights", json=fixture(f"media_insights_{CAROUSEL}.json"))
    graph.add("GET", f"{V}/{REEL}/comments", json=fixture(f"comments_{REEL}.json"))
    graph.add("GET", f"{V}/{CAROUSEL}/comments", json=fixture(f"comments_{CAROUSEL}.json"))
    graph.add("GET", TAGS, json=fixture("tags.json"))
    return graph


def competitor_fetch(graph: Graph) -> Graph:
    after = fixture("business_discovery_page1.json")["business_discovery"]["media"]["paging"]["cursors"]["after"]
    graph.add(
        "GET",
        PROFILE,
        query={
            "fields": (
                "business_discovery.username(lepetitfournil){username,followers_count,media_count,"
                f"media.after({after}).limit(50){{{MEDIA_FIELDS}}}}}"
            )
        },
        json=fixture("business_discovery_page2.json"),
    )
    graph.add("GET", PROFILE, json=fixture("business_discovery_page1.json"))
    return graph


def collect(
    graph: Graph, account: AccountRef = ACCOUNT, window: Window = WINDOW, state: Mapping[str, Any] | None = None
) -> list[Record]:
    async def run() -> list[Record]:
        connector = InstagramConnector(base_url=graph.base)
        return [record async for record in connector.fetch(account, window, dict(state or {}))]

    return asyncio.run(run())


# --- metadata ---------------------------------------------------------------------------------------


def test_registers_through_the_plugin_hook_and_maps_to_the_catalogue() -> None:
    assert_registers(instagram, InstagramConnector)
    declared = InstagramConnector.declared()
    assert all(d.canonical in built_in_metrics() for d in declared.values())
    assert declared["views"].canonical == "impressions"
    assert declared["followers_count"].canonical == "followers"
    assert "public_data" in InstagramConnector.capabilities


def test_deprecated_instagram_metrics_are_declared_and_never_requested() -> None:
    declared = InstagramConnector.declared()
    assert (declared["impressions"].replaced_by, declared["impressions"].valid_until) == ("views", date(2025, 4, 21))
    assert declared["website_clicks"].replaced_by == "profile_links_taps"
    assert declared["profile_views"].valid_until == date(2025, 1, 8)
    removed = {"impressions", "profile_views", "website_clicks", "plays", "video_views"}
    assert not removed & (set(ACCOUNT_METRICS) | set(MEDIA_METRICS))


def test_oauth_and_credentials_schema() -> None:
    oauth = InstagramConnector.oauth
    assert oauth is not None
    assert oauth.authorize_url == f"https://www.facebook.com/{GRAPH_API_VERSION}/dialog/oauth"
    assert oauth.token_url == f"https://graph.facebook.com/{GRAPH_API_VERSION}/oauth/access_token"
    assert {"instagram_basic", "instagram_manage_insights"} <= set(oauth.scopes)
    schema = InstagramConnector.credentials_schema
    assert schema["additionalProperties"] is False
    assert schema["properties"]["access_token"]["writeOnly"] is True
    assert schema["required"] == ["access_token", "ig_user_id"]


# --- owned account ----------------------------------------------------------------------------------


def test_daily_account_insights_come_from_one_total_value_request_per_day(graph: Graph) -> None:
    records = collect(owned_fetch(graph))
    expected = {}
    for day in DAYS:
        for metric in fixture(f"account_insights_{day.isoformat()}.json")["data"]:
            expected[metric["name"], day] = float(metric["total_value"]["value"])
    found = {key: point.value for key, point in points(records).items() if key[0] != "followers_count"}
    assert found == expected
    assert found["views", date(2026, 3, 3)] == 6810.0
    assert found["reach", date(2026, 3, 2)] == 1375.0
    requests = graph.to(INSIGHTS)
    assert [(s.query["since"][0], s.query["until"][0]) for s in requests] == [
        (unix(date(2026, 3, 1)), unix(date(2026, 3, 2))),
        (unix(date(2026, 3, 2)), unix(date(2026, 3, 3))),
        (unix(date(2026, 3, 3)), unix(date(2026, 3, 4))),
    ]
    for seen in requests:
        assert seen.query["metric"] == [",".join(ACCOUNT_METRICS)]
        assert (seen.query["period"], seen.query["metric_type"]) == (["day"], ["total_value"])


def test_the_follower_count_is_todays_point_when_today_is_in_the_window(
    graph: Graph, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned_fetch(graph)
    point = points(collect(graph))["followers_count", today]
    assert (point.value, point.quality) == (12873.0, "exact")
    monkeypatch.setattr(instagram, "_utc_today", lambda: date(2026, 3, 5))
    assert not [k for k in points(collect(graph)) if k[0] == "followers_count"], "Meta has no past follower counts"


def test_media_of_the_window_with_insights_and_public_counts(graph: Graph) -> None:
    found = posts(collect(owned_fetch(graph)))
    assert list(found) == [REEL, IMAGE, CAROUSEL]  # the February media ends the listing
    reel = found[REEL]
    assert reel.published_at == at("2026-03-03T07:12:45")
    assert reel.text.startswith("Le pain du jour")
    assert reel.url == "https://www.instagram.com/reel/C4aBcDeFgHi/"
    assert reel.media_type == "reels"
    assert reel.metrics == {
        "like_count": 331.0,
        "comments_count": 2.0,
        "views": 6810.0,
        "reach": 2240.0,
        "saved": 19.0,
        "shares": 14.0,
        "total_interactions": 366.0,
    }
    image = found[IMAGE]
    assert image.metrics == {"like_count": 160.0, "comments_count": 0.0}  # Meta: "(#10) Not enough viewers"
    assert image.media_type == "image"
    assert found[CAROUSEL].media_type == "carousel_album"
    assert found[CAROUSEL].metrics["views"] == 4210.0


def test_listing_stops_at_media_older_than_the_window(graph: Graph) -> None:
    collect(owned_fetch(graph))
    assert len(graph.to(MEDIA)) == 2, "page 2 holds February media: its next link is not followed"
    assert graph.to(f"{V}/{OLD}/insights") == []
    assert graph.to(f"{V}/{OLD}/comments") == []
    first, second = graph.to(MEDIA)
    assert first.query["fields"] == [MEDIA_FIELDS]
    assert second.query["after"] == [fixture("media_page1.json")["paging"]["cursors"]["after"]]
    assert "access_token" not in second.query, "the token in Meta's next link is never sent back in a URL"
    assert graph.to(f"{V}/{REEL}/insights")[0].query["metric"] == [",".join(MEDIA_METRICS)]
    assert graph.to(f"{V}/{IMAGE}/comments") == []  # comments_count is 0


def test_comments_replies_and_tags_become_mentions(graph: Graph) -> None:
    found = mentions(collect(owned_fetch(graph)))
    assert set(found) == {
        "17858893269000001",
        "17858893269000002",
        "17858893269000003",
        "17858893269000004",
        "17900000000000001",
    }
    comment, reply = found["17858893269000001"], found["17858893269000002"]
    assert (comment.kind, comment.author, comment.post_external_id) == ("comment", "marie_gourmande", REEL)
    assert comment.text == "Ça a l'air délicieux !"
    assert comment.published_at == at("2026-03-03T08:02:11")
    assert comment.url == "https://www.instagram.com/reel/C4aBcDeFgHi/"
    assert (reply.kind, reply.author, reply.post_external_id) == ("reply", "boulangerie.dupont", REEL)
    tag = found["17900000000000001"]
    assert (tag.kind, tag.author, tag.post_external_id) == ("mention", "foodie.paris", None)
    assert tag.url == "https://www.instagram.com/p/C4TagAbCdEf/"
    assert len(graph.to(TAGS)) == 1, "the older tag ends the listing"


def test_replies_beyond_the_nested_page_are_read(graph: Graph) -> None:
    comments = fixture(f"comments_{REEL}.json")
    comments["data"][0]["replies"]["paging"] = {
        "cursors": {"after": "UkVQTFk"},
        "next": "{base}/"
        + GRAPH_API_VERSION
        + "/17858893269000001/replies?fields=id%2Ctext%2Ctimestamp%2Cusername&after=UkVQTFk",
    }
    more = {
        "data": [
            {
                "id": "17858893269000009",
                "text": "Et le dimanche ?",
                "timestamp": "2026-03-03T10:00:00+0000",
                "username": "x.y",
            }
        ]
    }
    owned_fetch(graph).first("GET", f"{V}/{REEL}/comments", json=comments)
    graph.add("GET", f"{V}/17858893269000001/replies", query={"after": "UkVQTFk"}, json=more)
    found = mentions(collect(graph))
    assert found["17858893269000009"].kind == "reply"
    assert found["17858893269000009"].post_external_id == REEL


def test_every_record_passes_the_engine_validation(graph: Graph) -> None:
    records = collect(owned_fetch(graph))
    validator = RecordValidator(InstagramConnector, WINDOW)
    for record in records:
        validator.check(record)
    stages = [r.state["resume"]["stage"] for r in records if isinstance(r, Checkpoint)]
    assert stages == ["insights", "insights", "insights", "media", "media", "tags", "done"]
    for seen in graph.seen:
        assert seen.headers["authorization"] == f"Bearer {TOKEN}"


# --- competitor -------------------------------------------------------------------------------------


def test_a_competitor_is_read_through_business_discovery_only(graph: Graph, today: date) -> None:
    records = collect(competitor_fetch(graph), account=COMPETITOR)
    assert {seen.path for seen in graph.seen} == {PROFILE}, "only the agency's own account node is called"
    first, second = graph.seen
    assert first.query["fields"] == [
        f"business_discovery.username(lepetitfournil){{username,followers_count,media_count,media.limit(50){{{MEDIA_FIELDS}}}}}"
    ]
    assert "media.after(QVFIUkJkY0pfcXh4OUlJa2t5).limit(50)" in second.query["fields"][0]
    followers = points(records)["followers_count", today]
    assert (followers.value, followers.quality) == (48210.0, "public_only")
    assert [k for k in points(records)] == [("followers_count", today)]
    found = posts(records)
    assert list(found) == ["17950000000000011", "17950000000000012", "17950000000000013"]
    assert found["17950000000000011"].metrics == {"like_count": 1204.0, "comments_count": 56.0}
    assert found["17950000000000012"].metrics == {"comments_count": 31.0}  # likes hidden by the owner
    assert not mentions(records)
    validator = RecordValidator(InstagramConnector, WINDOW)
    for record in records:
        validator.check(record)


def test_a_competitor_resumes_from_its_discovery_cursor(graph: Graph) -> None:
    records = collect(competitor_fetch(graph), account=COMPETITOR)
    positions = [n for n, r in enumerate(records) if isinstance(r, Checkpoint)]
    assert len(positions) == 2
    for position in positions:
        checkpoint = records[position]
        assert isinstance(checkpoint, Checkpoint)
        assert collect(graph, account=COMPETITOR, state=checkpoint.state) == records[position + 1 :]


def test_an_unknown_competitor_is_a_bad_response(graph: Graph) -> None:
    graph.add("GET", PROFILE, status=400, json=fixture("error_110_business_discovery_not_found.json"))
    with pytest.raises(
        BadResponseError,
        match=(
            r"instagram: Graph API error on GET /v27\.0/17841405309211844 "
            r"\(OAuthException 110/2207013: .*nobody_here cannot be found"
        ),
    ):
        collect(graph, account=AccountRef(handle="nobody_here", kind="competitor", credentials=CREDENTIALS))


# --- failures ---------------------------------------------------------------------------------------


def test_a_429_with_retry_after_is_waited_then_retried(graph: Graph, waits: list[float]) -> None:
    expected = collect(owned_fetch(graph))
    graph.first(
        "GET", MEDIA, status=429, headers={"Retry-After": "12"}, json=fixture("error_4_app_rate_limit.json"), times=1
    )
    assert collect(graph) == expected
    assert 12.0 in waits


def test_a_5xx_is_retried(graph: Graph) -> None:
    expected = collect(owned_fetch(graph))
    graph.first("GET", INSIGHTS, status=502, body="<html>Bad Gateway</html>", times=1)
    graph.first("GET", f"{V}/{REEL}/insights", status=500, json={"error": {"message": "Internal", "code": 1}}, times=1)
    assert collect(graph) == expected


def test_an_expired_token_is_an_authentication_error_naming_network_and_endpoint(graph: Graph) -> None:
    owned_fetch(graph).first("GET", INSIGHTS, status=400, json=fixture("error_190_expired.json"))
    with pytest.raises(AuthenticationError) as refused:
        collect(graph)
    message = str(refused.value)
    assert "instagram" in message
    assert INSIGHTS in message
    assert "reconnect" in message
    assert TOKEN not in message
    assert len(graph.to(INSIGHTS)) == 1, "Meta tokens cannot be refreshed: no second attempt"


def test_a_malformed_body_is_a_bad_response_naming_the_network(graph: Graph) -> None:
    owned_fetch(graph).first("GET", MEDIA, body="{this is not json")
    with pytest.raises(BadResponseError, match="instagram"):
        collect(graph)


def test_other_media_insights_errors_are_not_hidden(graph: Graph) -> None:
    invalid = {
        "error": {
            "message": "(#100) metric[0] must be one of the following values",
            "type": "OAuthException",
            "code": 100,
        }
    }
    owned_fetch(graph).first("GET", f"{V}/{REEL}/insights", status=400, json=invalid)
    with pytest.raises(BadResponseError, match=f"instagram: Graph API error on GET {V}/{REEL}/insights"):
        collect(graph)


def test_check_accepts_good_and_refuses_bad_credentials(graph: Graph) -> None:
    owned_fetch(graph)
    asyncio.run(InstagramConnector(base_url=graph.base).check(CREDENTIALS))
    graph.routes.clear()
    graph.add("GET", PROFILE, status=400, json=fixture("error_190_invalid.json"))
    bad = {"access_token": "EAAbadbadbadtoken", "ig_user_id": IG_ID}
    with pytest.raises(AuthenticationError) as refused:
        asyncio.run(InstagramConnector(base_url=graph.base).check(bad))
    assert "instagram" in str(refused.value)
    assert "EAAbadbadbadtoken" not in str(refused.value)
    with pytest.raises(AuthenticationError, match="ig_user_id"):
        asyncio.run(InstagramConnector(base_url=graph.base).check({"access_token": TOKEN}))


def test_no_request_leaves_the_base_url(graph: Graph) -> None:
    owned_fetch(graph)
    competitor_fetch(graph)
    transport = Recording()

    async def run() -> None:
        connector = InstagramConnector(base_url=graph.base, transport=transport)
        for account in (ACCOUNT, COMPETITOR):  # Business Discovery's next links point at graph.facebook.com
            async for _record in connector.fetch(account, WINDOW, {}):
                pass

    asyncio.run(run())
    assert transport.urls
    assert all(url.startswith(graph.base + "/") for url in transport.urls)


# --- resume and idempotency -------------------------------------------------------------------------


def test_rerun_yields_identical_records(graph: Graph) -> None:
    owned_fetch(graph)
    assert collect(graph) == collect(graph)


def test_resuming_from_any_checkpoint_yields_exactly_the_rest(graph: Graph) -> None:
    records = collect(owned_fetch(graph))
    positions = [n for n, r in enumerate(records) if isinstance(r, Checkpoint)]
    for position in positions:
        checkpoint = records[position]
        assert isinstance(checkpoint, Checkpoint)
        assert TOKEN not in json.dumps(checkpoint.state)
        assert collect(graph, state=checkpoint.state) == records[position + 1 :]
    assert records[positions[-1]].state["last_day"] == "2026-03-03"  # type: ignore[union-attr]


def test_a_competitor_handle_that_is_not_a_username_is_refused_without_calling_meta(graph: Graph) -> None:
    account = AccountRef(handle="lepetit){followers_count}", kind="competitor", credentials=CREDENTIALS)
    with pytest.raises(ConnectorError, match="not an Instagram username"):
        collect(graph, account=account)
    assert graph.seen == []


def test_media_insights_keep_only_the_requested_current_metrics(graph: Graph) -> None:
    """Airbyte's recorded media insights hold deprecated/unrequested metrics (video_views, likes…): they are dropped."""
    airbyte = fixture("airbyte_media_insights_general_media.json")
    owned_fetch(graph).first("GET", f"{V}/{REEL}/insights", json=airbyte)
    reel = posts(collect(graph))[REEL]
    assert reel.metrics == {"like_count": 331.0, "comments_count": 2.0, "reach": 8000.0, "saved": 200.0, "shares": 25.0}


# --- OAuth onboarding ---------------------------------------------------------------------------------

APP = OAuthClient(client_id="1234567890", client_secret="meta-app-s3cret-value")
PAGE_ID = "104017745210123"
SHORT_LIVED = "EAAGm0PX4ZCpsBAshort-lived-user-token"
LONG_LIVED = fixture("token_long_lived.json")["access_token"]
FACEBOOK_LOGIN_TOKEN = {
    "access_token": SHORT_LIVED,
    "token_type": "bearer",
    "expires_in": 5179,
    "scope": "instagram_basic,instagram_manage_insights,instagram_manage_comments,pages_show_list",
}


def onboarding(graph: Graph) -> Graph:
    """Meta's answers to OAuth onboarding: the long-lived token exchange, the granted Pages, the Page token."""
    return (
        graph.add(
            "GET",
            f"{V}/oauth/access_token",
            query={"grant_type": "fb_exchange_token"},
            json=fixture("token_long_lived.json"),
        )
        .add("GET", f"{V}/me/accounts", json=fixture("me_accounts.json"))
        .add("GET", f"{V}/{PAGE_ID}", query={"fields": "access_token"}, json=fixture("page_access_token.json"))
    )


def from_oauth(graph: Graph, account: AccountRef, app: OAuthClient | None = APP) -> dict[str, Any]:
    instance = InstagramConnector(base_url=graph.base, oauth_client=app)
    return asyncio.run(instance.credentials_from_oauth(FACEBOOK_LOGIN_TOKEN, account=account))


def test_the_oauth_token_becomes_the_ig_user_id_and_a_page_token_which_the_schema_accepts_and_fetch_reads(
    graph: Graph,
) -> None:
    credentials = from_oauth(onboarding(graph), AccountRef(handle="@Boulangerie.Dupont"))

    jsonschema.validate(credentials, dict(InstagramConnector.credentials_schema))
    assert credentials == {
        "access_token": TOKEN,
        "ig_user_id": IG_ID,
        "scope": FACEBOOK_LOGIN_TOKEN["scope"],
        "token_type": "bearer",
    }, "the linked Page's token (it does not expire), no user token, no app secret"
    exchange, pages, page = graph.seen
    assert (exchange.query["client_id"], exchange.query["fb_exchange_token"]) == ([APP.client_id], [SHORT_LIVED])
    assert pages.query["fields"] == ["id,name,instagram_business_account{id,username}"]
    assert pages.headers["authorization"] == page.headers["authorization"] == f"Bearer {LONG_LIVED}"
    assert "appsecret_proof" in pages.query

    graph.seen.clear()
    typed = collect(owned_fetch(graph))
    onboarded = collect(graph, account=AccountRef(handle="boulangerie.dupont", credentials=credentials))
    assert onboarded == typed
    assert posts(onboarded)
    assert all(seen.headers["authorization"] == f"Bearer {TOKEN}" for seen in graph.seen)


def test_a_reconnected_account_is_found_by_its_external_id(graph: Graph) -> None:
    account = AccountRef(handle="renamed.since", external_id=IG_ID)
    assert from_oauth(onboarding(graph), account)["ig_user_id"] == IG_ID


def test_an_instagram_account_not_linked_to_a_granted_page_is_refused_naming_those_that_are(graph: Graph) -> None:
    with pytest.raises(ConnectorError) as refused:
        from_oauth(onboarding(graph), AccountRef(handle="patisserie.martin"))
    message = str(refused.value)
    assert "@patisserie.martin is not linked to any Facebook Page" in message
    assert "@boulangerie.dupont" in message
    for secret in (SHORT_LIVED, LONG_LIVED, TOKEN, str(APP.client_secret)):
        assert secret not in message
    assert not graph.to(f"{V}/{PAGE_ID}")


def test_pages_without_any_linked_instagram_account_are_refused_with_what_to_do(graph: Graph) -> None:
    graph.add("GET", f"{V}/oauth/access_token", json=fixture("token_long_lived.json"))
    graph.add("GET", f"{V}/me/accounts", json={"data": [{"id": "100200300400500", "name": "Dupont Traiteur"}]})
    with pytest.raises(ConnectorError, match="has an Instagram professional account linked"):
        from_oauth(graph, AccountRef(handle="boulangerie.dupont"))


def test_without_the_operators_meta_app_nothing_is_called(graph: Graph) -> None:
    with pytest.raises(ConnectorError, match="needs the Meta app's id and secret"):
        from_oauth(onboarding(graph), AccountRef(handle="boulangerie.dupont"), app=OAuthClient(client_id="1234567890"))
    assert not graph.seen
