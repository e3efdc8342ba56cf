"""The `youtube` connector against a local server answering the YouTube Data and Analytics APIs' shapes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import msgspec
import pytest
from pytest_httpserver import HTTPServer

from plugins.connectors import youtube
from plugins.connectors.youtube import YouTubeConnector
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Checkpoint,
    ConnectorError,
    ForbiddenUrlError,
    Mention,
    MetricPoint,
    OAuthClient,
    Post,
    RateLimitedError,
    Record,
    RecordValidator,
    Window,
    built_in_metrics,
)
from tests.connectors.answering import Answer, Recording, Router, renewed_expiry
from tests.connectors.records import of_type
from tests.connectors.registration import assert_registers

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
TODAY = date(2026, 11, 10)
WINDOW = Window(since=date(2026, 11, 2), until=date(2026, 11, 8))
CHANNEL = "UCq8Kx3bC5tYb1fN0rZ2mQ7w"
UPLOADS = "UUq8Kx3bC5tYb1fN0rZ2mQ7w"
COMPETITOR = "UCz4Lm7Np2Qr5St8Uv1Wx3Yz"
SECRETS = {
    "access_token": "ya29.a0-live-access-token-4242",
    "refresh_token": "1//0g-live-refresh-token-4242",
    "client_id": "123456789012-abcdefg.apps.googleusercontent.com",
    "client_secret": "GOCSPX-live-client-secret-4242",
}
API_KEY = "AIzaSyD-live-api-key-4242"
OWNED = AccountRef(handle="acmeindustries", external_id=CHANNEL, credentials=dict(SECRETS))
RIVAL = AccountRef(handle="globex", external_id=COMPETITOR, kind="competitor", credentials={"api_key": API_KEY})
V1, V2, V3, V4, V5 = "Kq3vZ8pLx2M", "b7Tn4QwErYu", "Hj2kL9mNb0V", "Xc5Vb6Nm7Qa", "Pz9Ow8Ie7Ur"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- a small router in front of pytest-httpserver ----------------------------------------------------


def owned_answers() -> list[Answer]:
    """Everything one check() and one fetch of OWNED over WINDOW ask for."""
    return [
        Answer("GET", "/channels", {"mine": "true", "part": "id"}, fixture("channels_mine_id_only.json")),
        Answer("GET", "/channels", {"mine": "true"}, fixture("channels_mine.json")),
        Answer("GET", "/v2/reports", {"ids": "channel==MINE"}, fixture("analytics_daily.json")),
        Answer(
            "GET",
            "/playlistItems",
            {"playlistId": UPLOADS, "pageToken": "EAAaBlBUOkNBTQ"},
            fixture("playlist_items_page2.json"),
        ),
        Answer("GET", "/playlistItems", {"playlistId": UPLOADS}, fixture("playlist_items_page1.json")),
        Answer("GET", "/videos", {"id": f"{V2},{V3}"}, fixture("videos_page1.json")),
        Answer("GET", "/videos", {"id": V4}, fixture("videos_page2.json")),
        Answer("GET", "/commentThreads", {"pageToken": "QURTSl9pMXFhZDBZ"}, fixture("comment_threads_page2.json")),
        Answer(
            "GET", "/commentThreads", {"allThreadsRelatedToChannelId": CHANNEL}, fixture("comment_threads_page1.json")
        ),
    ]


def competitor_answers() -> list[Answer]:
    return [
        Answer("GET", "/channels", {"id": COMPETITOR, "key": API_KEY}, fixture("channels_public.json")),
        Answer(
            "GET",
            "/playlistItems",
            {"playlistId": "UUz4Lm7Np2Qr5St8Uv1Wx3Yz"},
            fixture("competitor_playlist_items.json"),
        ),
        Answer("GET", "/videos", {"id": "Gx1Hy2Jz3Ka", "key": API_KEY}, fixture("competitor_videos.json")),
        Answer(
            "GET",
            "/commentThreads",
            {"allThreadsRelatedToChannelId": COMPETITOR},
            fixture("error_comments_disabled.json"),
            status=403,
        ),
    ]


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pinned "today" (see the fixtures' README)."""
    monkeypatch.setattr(youtube, "_today", lambda: TODAY)


@pytest.fixture
def router(httpserver: HTTPServer) -> Router:
    return Router(httpserver, owned_answers())


def connector_for(server: HTTPServer, transport: httpx.AsyncBaseTransport | None = None) -> YouTubeConnector:
    return YouTubeConnector(base_url=server.url_for("/"), transport=transport)


async def collect(
    server: HTTPServer,
    account: AccountRef = OWNED,
    window: Window = WINDOW,
    state: dict[str, Any] | None = None,
    connector: YouTubeConnector | None = None,
) -> list[Record]:
    connector = connector or connector_for(server)
    return [record async for record in connector.fetch(account, window, state or {})]


def secret_free(message: str) -> None:
    for secret in (*SECRETS.values(), API_KEY):
        if "googleusercontent" not in secret:
            assert secret not in message


# --- metadata ---------------------------------------------------------------------------------------


def test_registers_with_google_oauth_and_declared_hosts() -> None:
    assert_registers(youtube, YouTubeConnector)
    oauth = YouTubeConnector.oauth
    assert oauth is not None
    assert oauth.authorize_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert oauth.token_url == "https://oauth2.googleapis.com/token"
    assert oauth.pkce is True
    assert set(oauth.scopes) == {
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
    }
    assert oauth.extra_authorize_params["access_type"] == "offline"
    assert YouTubeConnector.default_base_url == "https://www.googleapis.com/youtube/v3"
    assert set(YouTubeConnector.other_base_urls) == {
        "https://youtubeanalytics.googleapis.com/v2/",
        "https://oauth2.googleapis.com/",
    }
    assert "public_data" in YouTubeConnector.capabilities


def test_metrics_map_to_the_catalogue_with_matching_units() -> None:
    catalogue = built_in_metrics()
    mapping = {declaration.native: declaration.canonical for declaration in YouTubeConnector.metrics}
    assert mapping == {
        "views": "video_views",
        "likes": "reactions",
        "comments": "comments",
        "shares": "shares",
        "subscriberCount": "followers",
        "viewCount": "video_views",
        "likeCount": "reactions",
        "commentCount": "comments",
    }
    for declaration in YouTubeConnector.metrics:
        assert catalogue[declaration.canonical].unit == declaration.unit
    properties = YouTubeConnector.credentials_schema["properties"]
    for secret in ("access_token", "refresh_token", "client_secret", "api_key"):
        assert properties[secret]["writeOnly"] is True


# --- owned channel ----------------------------------------------------------------------------------


async def test_daily_analytics_map_to_their_days(httpserver: HTTPServer, router: Router) -> None:
    points = {(p.native_metric, p.day): p for p in of_type(await collect(httpserver), MetricPoint)}
    table = fixture("analytics_daily.json")
    names = [header["name"] for header in table["columnHeaders"]]
    for row in table["rows"]:
        values = dict(zip(names, row, strict=True))
        day = date.fromisoformat(values["day"])
        for native in ("views", "likes", "comments", "shares"):
            assert points[native, day].value == values[native]
            assert points[native, day].quality == "exact"
    assert points["views", date(2026, 11, 7)].value == 4105
    assert not any(native.startswith("subscribers") for native, _ in points), "gains feed the count, no metric"
    report = router.to("/v2/reports")[0].args
    assert report == {
        "ids": "channel==MINE",
        "startDate": "2026-11-02",
        "endDate": TODAY.isoformat(),
        "metrics": "views,likes,comments,shares,subscribersGained,subscribersLost",
        "dimensions": "day",
        "sort": "day",
    }


async def test_subscribers_are_rebuilt_from_the_count_now_and_daily_net_gains(
    httpserver: HTTPServer, router: Router
) -> None:
    records = await collect(httpserver)
    subscribers = {p.day: p for p in of_type(records, MetricPoint) if p.native_metric == "subscriberCount"}
    now = int(fixture("channels_mine.json")["items"][0]["statistics"]["subscriberCount"])
    net = {date.fromisoformat(row[0]): row[5] - row[6] for row in fixture("analytics_daily.json")["rows"]}
    assert sorted(subscribers) == [WINDOW.since + timedelta(days=n) for n in range(7)]
    for day, point in subscribers.items():
        assert point.value == now - sum(change for change_day, change in net.items() if change_day > day)
        assert point.quality == "estimated", "the Data API rounds subscriberCount to three significant figures"
    assert subscribers[date(2026, 11, 7)].value == 48200 - (49 - 4)


async def test_no_analytics_rows_means_only_todays_count(httpserver: HTTPServer) -> None:
    Router(
        httpserver,
        [
            Answer("GET", "/channels", None, fixture("channels_mine.json")),
            Answer("GET", "/v2/reports", None, fixture("analytics_no_rows.json")),
            Answer("GET", "/playlistItems", None, {"kind": "youtube#playlistItemListResponse", "items": []}),
            Answer("GET", "/commentThreads", None, {"kind": "youtube#commentThreadListResponse", "items": []}),
        ],
    )
    records = await collect(httpserver, window=Window(since=date(2026, 11, 8), until=TODAY))
    points = of_type(records, MetricPoint)
    assert [(p.native_metric, p.day, p.value, p.quality) for p in points] == [
        ("subscriberCount", TODAY, 48200.0, "estimated")
    ]


async def test_the_windows_videos_become_posts_with_their_statistics(httpserver: HTTPServer, router: Router) -> None:
    posts = {post.external_id: post for post in of_type(await collect(httpserver), Post)}
    assert list(posts) == [V2, V3, V4], "V1 is after the window, V5 before it, the private video has no date"
    workshop = posts[V2]
    assert workshop.published_at == datetime(2026, 11, 7, 15, 0, tzinfo=UTC)
    assert workshop.text == "Inside our Lyon workshop\n\nA tour of the workshop where our valves are made."
    assert workshop.url == f"https://www.youtube.com/watch?v={V2}"
    assert workshop.media_type == "video"
    assert workshop.metrics == {"viewCount": 15230.0, "likeCount": 612.0, "commentCount": 87.0}
    assert posts[V4].text == "We're hiring engineers in Paris"
    assert [seen.args["id"] for seen in router.to("/videos")] == [f"{V2},{V3}", V4]


async def test_comments_and_replies_in_the_window_become_mentions(httpserver: HTTPServer, router: Router) -> None:
    mentions = {mention.external_id: mention for mention in of_type(await collect(httpserver), Mention)}
    thread = "UgzQ1w2E3r4T5y6U7i8AaABAg"
    top = mentions[thread]
    assert top.text == "Magnifique atelier, on peut visiter ?"
    assert top.author == "@marie-dupont"
    assert top.kind == "comment"
    assert top.post_external_id == V2
    assert top.published_at == datetime(2026, 11, 8, 9, 12, tzinfo=UTC)
    assert top.url == f"https://www.youtube.com/watch?v={V2}&lc={thread}"
    reply = mentions[f"{thread}.LmNoPqRsTuV"]
    assert reply.kind == "reply"
    assert reply.author == "@jules.martin"
    assert f"{thread}.AbCdEfGhIjK" not in mentions, "the channel's own reply is not a mention"
    assert set(mentions) == {thread, f"{thread}.LmNoPqRsTuV", "UgyZ9x8C7v6B5n4M3aAaABAg", "UgwK1j2H3g4F5d6S7aAaABAg"}
    first = router.to("/commentThreads")[0].args
    assert first["part"] == "snippet,replies"
    assert first["order"] == "time"
    assert first["maxResults"] == "100"


async def test_pages_are_followed_with_a_checkpoint_after_each(httpserver: HTTPServer, router: Router) -> None:
    records = await collect(httpserver)
    assert [seen.args.get("pageToken") for seen in router.to("/playlistItems")] == [None, "EAAaBlBUOkNBTQ"]
    assert [seen.args.get("pageToken") for seen in router.to("/commentThreads")] == [None, "QURTSl9pMXFhZDBZ"]
    assert [record.state for record in of_type(records, Checkpoint)] == [
        {"phase": "videos"},
        {"phase": "videos", "page_token": "EAAaBlBUOkNBTQ"},
        {"phase": "comments"},
        {"phase": "comments", "page_token": "QURTSl9pMXFhZDBZ"},
        {"phase": "done"},
    ]


async def test_every_record_is_valid_for_the_engine(httpserver: HTTPServer, router: Router) -> None:
    validator = RecordValidator(YouTubeConnector, WINDOW)
    records = await collect(httpserver)
    assert records
    for record in records:
        validator.check(record)


async def test_resuming_from_a_checkpoint_yields_the_remaining_records(httpserver: HTTPServer, router: Router) -> None:
    full = await collect(httpserver)
    state = {"phase": "videos", "page_token": "EAAaBlBUOkNBTQ"}
    middle = full.index(Checkpoint(state=state))
    router.seen.clear()
    assert await collect(httpserver, state=state) == full[middle + 1 :]
    assert not router.to("/v2/reports"), "the finished metrics phase is not fetched again"
    assert [seen.args.get("pageToken") for seen in router.to("/playlistItems")] == ["EAAaBlBUOkNBTQ"]


async def test_a_rerun_yields_identical_records(httpserver: HTTPServer, router: Router) -> None:
    assert await collect(httpserver) == await collect(httpserver)


async def test_owned_requests_carry_the_bearer_token_and_no_api_key(httpserver: HTTPServer, router: Router) -> None:
    await collect(httpserver)
    for seen in router.seen:
        assert seen.headers["Authorization"] == f"Bearer {SECRETS['access_token']}"
        assert "key" not in seen.args


# --- competitor channel -----------------------------------------------------------------------------


async def test_a_competitor_is_read_from_public_endpoints_with_an_api_key(httpserver: HTTPServer) -> None:
    router = Router(httpserver, competitor_answers())
    window = Window(since=date(2026, 11, 2), until=TODAY)
    records = await collect(httpserver, account=RIVAL, window=window)
    assert {seen.path for seen in router.seen} == {"/channels", "/playlistItems", "/videos", "/commentThreads"}
    for seen in router.seen:
        assert seen.args["key"] == API_KEY
        assert "Authorization" not in seen.headers
        assert seen.args.get("mine") is None
    points = of_type(records, MetricPoint)
    assert [(p.native_metric, p.day, p.value, p.quality) for p in points] == [
        ("subscriberCount", TODAY, 1230000.0, "public_only")
    ]
    posts = of_type(records, Post)
    assert [post.external_id for post in posts] == ["Gx1Hy2Jz3Ka"]
    assert posts[0].metrics == {"viewCount": 120400.0, "likeCount": 3310.0, "commentCount": 412.0}
    assert not of_type(records, Mention), "comments are disabled on that channel"
    assert of_type(records, Checkpoint)[-1].state == {"phase": "done"}


async def test_a_competitor_found_by_handle(httpserver: HTTPServer) -> None:
    answers = competitor_answers()
    answers[0] = Answer("GET", "/channels", {"forHandle": "@globex"}, fixture("channels_public.json"))
    router = Router(httpserver, answers)
    by_handle = AccountRef(handle="globex", kind="competitor", credentials={"api_key": API_KEY})
    await collect(httpserver, account=by_handle)
    assert router.to("/channels")[0].args["forHandle"] == "@globex"


async def test_a_competitor_without_api_key_is_refused_before_any_request(
    httpserver: HTTPServer, router: Router
) -> None:
    token_only = AccountRef(handle="globex", external_id=COMPETITOR, kind="competitor", credentials=dict(SECRETS))
    with pytest.raises(AuthenticationError, match="api_key"):
        await collect(httpserver, account=token_only)
    assert router.seen == []


async def test_a_hidden_subscriber_count_is_not_reported(httpserver: HTTPServer) -> None:
    hidden = fixture("channels_public.json")
    hidden["items"][0]["statistics"]["hiddenSubscriberCount"] = True
    answers = competitor_answers()
    answers[0] = Answer("GET", "/channels", None, hidden)
    Router(httpserver, answers)
    records = await collect(httpserver, account=RIVAL, window=Window(since=TODAY, until=TODAY))
    assert not of_type(records, MetricPoint)


# --- failures ---------------------------------------------------------------------------------------


async def test_a_429_with_retry_after_is_waited_out_then_retried(
    httpserver: HTTPServer, router: Router, waits: list[float]
) -> None:
    expected = await collect(httpserver)
    router.prepend(
        Answer(
            "GET",
            "/playlistItems",
            None,
            {"error": {"code": 429, "message": "Too Many Requests"}},
            status=429,
            headers={"Retry-After": "5"},
            times=1,
        )
    )
    assert await collect(httpserver) == expected
    assert 5.0 in waits


async def test_a_short_term_rate_limit_is_retried_with_backoff(httpserver: HTTPServer, router: Router) -> None:
    expected = await collect(httpserver)
    router.prepend(
        Answer("GET", "/commentThreads", None, fixture("error_rate_limit_exceeded.json"), status=403, times=2)
    )
    assert await collect(httpserver) == expected


async def test_an_exhausted_daily_quota_ends_the_run(httpserver: HTTPServer, router: Router) -> None:
    router.prepend(Answer("GET", "/playlistItems", None, fixture("error_quota_exceeded.json"), status=403))
    with pytest.raises(RateLimitedError) as limited:
        await collect(httpserver)
    assert "youtube" in str(limited.value)
    assert (limited.value.retry_after or 0) > 60
    assert len(router.to("/playlistItems")) == 1, "a spent daily quota is not hammered"


async def test_a_server_error_is_retried(httpserver: HTTPServer, router: Router) -> None:
    expected = await collect(httpserver)
    router.prepend(
        Answer("GET", "/v2/reports", None, {"error": {"code": 503, "message": "Backend Error"}}, status=503, times=2)
    )
    assert await collect(httpserver) == expected


async def test_an_expired_token_is_refreshed_and_the_new_credentials_kept(httpserver: HTTPServer) -> None:
    answers = owned_answers()
    answers.insert(
        0,
        Answer(
            "GET",
            "/channels",
            None,
            fixture("error_invalid_credentials.json"),
            status=401,
            when_headers={"Authorization": f"Bearer {SECRETS['access_token']}"},
        ),
    )
    answers.insert(0, Answer("POST", "/token", None, fixture("token_refreshed.json")))
    router = Router(httpserver, answers)
    connector = connector_for(httpserver)
    records = await collect(httpserver, connector=connector)
    assert of_type(records, Post)
    assert router.to("/token")[0].form == {
        "grant_type": "refresh_token",
        "refresh_token": SECRETS["refresh_token"],
        "client_id": SECRETS["client_id"],
        "client_secret": SECRETS["client_secret"],
    }
    assert router.seen[-1].headers["Authorization"] == "Bearer ya29.a0-refreshed-access-token-0001"
    assert renewed_expiry(connector.refreshed_credentials, 3599) == {
        **SECRETS,
        "access_token": "ya29.a0-refreshed-access-token-0001",
    }


async def test_a_revoked_refresh_token_is_an_authentication_error(httpserver: HTTPServer) -> None:
    router = Router(
        httpserver,
        [
            Answer("POST", "/token", None, fixture("error_invalid_grant.json"), status=400),
            Answer("GET", "/channels", None, fixture("error_invalid_credentials.json"), status=401),
        ],
    )
    with pytest.raises(AuthenticationError) as refused:
        await collect(httpserver)
    assert "youtube" in str(refused.value)
    assert "invalid_grant" in str(refused.value)
    secret_free(str(refused.value))
    assert len(router.to("/token")) == 1


async def test_an_expired_token_without_refresh_token_names_the_endpoint(httpserver: HTTPServer) -> None:
    Router(httpserver, [Answer("GET", "/channels", None, fixture("error_invalid_credentials.json"), status=401)])
    account = AccountRef(handle="acme", credentials={"access_token": SECRETS["access_token"]})
    with pytest.raises(AuthenticationError) as refused:
        await collect(httpserver, account=account)
    assert "youtube" in str(refused.value)
    assert "/channels" in str(refused.value)
    secret_free(str(refused.value))


@pytest.mark.parametrize(
    ("answer", "names"),
    [
        (Answer("GET", "/playlistItems", None, body="<html>502 Bad Gateway</html>"), "/playlistItems"),
        (Answer("GET", "/playlistItems", None, {"kind": "youtube#playlistItemListResponse"}), "playlistItems"),
        (Answer("GET", "/v2/reports", None, {"kind": "youtubeAnalytics#resultTable", "rows": [[1]]}), "reports"),
        (
            Answer("GET", "/v2/reports", None, fixture("analytics_daily.json") | {"rows": [["2026-11-02", 1]]}),
            "reports",
        ),
    ],
    ids=["not-json", "no-items", "no-column-headers", "short-row"],
)
async def test_a_malformed_body_is_a_bad_response_naming_youtube(
    httpserver: HTTPServer, router: Router, answer: Answer, names: str
) -> None:
    router.prepend(answer)
    with pytest.raises(BadResponseError) as failure:
        await collect(httpserver)
    assert "youtube" in str(failure.value)
    assert names in str(failure.value)


async def test_another_owners_channel_is_refused(httpserver: HTTPServer, router: Router) -> None:
    someone_else = AccountRef(handle="other", external_id="UC0000000000000000000000", credentials=dict(SECRETS))
    with pytest.raises(AuthenticationError, match="owns channel"):
        await collect(httpserver, account=someone_else)


# --- check -----------------------------------------------------------------------------------------


async def test_check_with_a_token_reads_the_owners_channel(httpserver: HTTPServer, router: Router) -> None:
    await connector_for(httpserver).check(dict(SECRETS))
    assert router.to("/channels")[0].args == {"part": "id", "mine": "true"}


async def test_check_with_an_api_key_is_one_public_call(httpserver: HTTPServer) -> None:
    router = Router(httpserver, [Answer("GET", "/i18nLanguages", {"key": API_KEY}, fixture("i18n_languages.json"))])
    await connector_for(httpserver).check({"api_key": API_KEY})
    assert len(router.seen) == 1


async def test_check_refuses_a_bad_token_without_echoing_it(httpserver: HTTPServer) -> None:
    Router(httpserver, [Answer("GET", "/channels", None, fixture("error_invalid_credentials.json"), status=401)])
    with pytest.raises(AuthenticationError) as refused:
        await connector_for(httpserver).check({"access_token": SECRETS["access_token"]})
    assert "youtube" in str(refused.value)
    assert "authError" in str(refused.value)
    secret_free(str(refused.value))


async def test_check_refuses_a_bad_api_key_without_echoing_it(httpserver: HTTPServer) -> None:
    Router(httpserver, [Answer("GET", "/i18nLanguages", None, fixture("error_api_key_invalid.json"), status=400)])
    with pytest.raises(AuthenticationError) as refused:
        await connector_for(httpserver).check({"api_key": API_KEY})
    assert "API key" in str(refused.value)
    secret_free(str(refused.value))


async def test_check_refuses_empty_credentials_without_a_request(httpserver: HTTPServer, router: Router) -> None:
    with pytest.raises(AuthenticationError):
        await connector_for(httpserver).check({})
    assert router.seen == []


async def test_check_refuses_an_account_without_channel(httpserver: HTTPServer) -> None:
    Router(httpserver, [Answer("GET", "/channels", None, fixture("channels_empty.json"))])
    with pytest.raises(AuthenticationError, match="no YouTube channel"):
        await connector_for(httpserver).check({"access_token": SECRETS["access_token"]})


# --- hosts ----------------------------------------------------------------------------------------


async def test_no_request_leaves_the_base_url(httpserver: HTTPServer) -> None:
    answers = owned_answers()
    answers.insert(0, Answer("GET", "/channels", None, fixture("error_invalid_credentials.json"), status=401, times=1))
    answers.insert(0, Answer("POST", "/token", None, fixture("token_refreshed.json")))
    Router(httpserver, answers)
    transport = Recording()
    await collect(httpserver, connector=connector_for(httpserver, transport))
    base = httpserver.url_for("/")
    assert transport.urls
    assert all(url.startswith(base) for url in transport.urls)
    assert any("/v2/reports?" in url for url in transport.urls), "Analytics is reached under the overridden base"
    assert any(url.endswith("/token") for url in transport.urls), "the token endpoint too"


async def test_default_hosts_are_the_data_api_analytics_and_token_endpoints() -> None:
    async with YouTubeConnector().http() as client:
        assert client.resolve("channels") == "https://www.googleapis.com/youtube/v3/channels"
        assert client.resolve(youtube.TOKEN_URL) == "https://oauth2.googleapis.com/token"
        assert client.resolve("https://youtubeanalytics.googleapis.com/v2/reports").endswith("/v2/reports")
        with pytest.raises(ForbiddenUrlError):
            client.resolve("https://www.youtube.com/watch?v=b7Tn4QwErYu")


def test_an_unknown_error_body_is_left_to_the_sdk() -> None:
    request = httpx.Request("GET", "https://www.googleapis.com/youtube/v3/videos")
    response = httpx.Response(404, request=request, json={"error": {"code": 404, "message": "Not Found"}})
    assert youtube.classify_error(response, response.json()) is None
    quota = httpx.Response(403, request=request, json=fixture("error_quota_exceeded.json"))
    assert isinstance(youtube.classify_error(quota, quota.json()), RateLimitedError)
    disabled = httpx.Response(403, request=request, json=fixture("error_comments_disabled.json"))
    assert isinstance(youtube.classify_error(disabled, disabled.json()), ConnectorError)


# --- OAuth onboarding and the operator's OAuth app ---------------------------------------------------

OPERATOR = OAuthClient(client_id=SECRETS["client_id"], client_secret=SECRETS["client_secret"])
OAUTH_TOKEN = {
    "access_token": SECRETS["access_token"],
    "expires_in": 3599,
    "refresh_token": SECRETS["refresh_token"],
    "scope": "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/yt-analytics.readonly",
    "token_type": "Bearer",
}
"""What the token endpoint answers an authorization code."""


async def test_the_oauth_token_becomes_credentials_the_schema_accepts_and_fetch_reads(httpserver: HTTPServer) -> None:
    router = Router(httpserver, owned_answers())
    instance = YouTubeConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    credentials = await instance.credentials_from_oauth(
        OAUTH_TOKEN, account=AccountRef(handle="acmeindustries", external_id=CHANNEL)
    )

    jsonschema.validate(credentials, dict(YouTubeConnector.credentials_schema))
    assert renewed_expiry(credentials, 3599) == {
        "access_token": SECRETS["access_token"],
        "refresh_token": SECRETS["refresh_token"],
        "scope": OAUTH_TOKEN["scope"],
        "token_type": OAUTH_TOKEN.get("token_type", "Bearer"),
    }, "the operator's app is not stored with the account"
    assert not router.seen, "the default shaping calls nothing"

    typed = await collect(httpserver)
    onboarded = await collect(httpserver, account=msgspec.structs.replace(OWNED, credentials=credentials))
    assert onboarded == typed
    assert of_type(onboarded, Post)
    assert all(seen.headers["Authorization"] == f"Bearer {SECRETS['access_token']}" for seen in router.seen)


async def test_a_mid_run_refresh_uses_the_operators_app_when_the_credentials_name_none(
    httpserver: HTTPServer,
) -> None:
    answers = owned_answers()
    old = {"Authorization": f"Bearer {SECRETS['access_token']}"}
    answers.insert(
        0, Answer("GET", "/channels", None, fixture("error_invalid_credentials.json"), status=401, when_headers=old)
    )
    answers.insert(0, Answer("POST", "/token", None, fixture("token_refreshed.json")))
    router = Router(httpserver, answers)
    stored = {
        "access_token": SECRETS["access_token"],
        "refresh_token": SECRETS["refresh_token"],
        "expires_at": "2026-11-10T08:00:00+00:00",
        "scope": OAUTH_TOKEN["scope"],
        "token_type": "Bearer",
    }
    instance = YouTubeConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    account = msgspec.structs.replace(OWNED, credentials=stored)
    assert of_type(await collect(httpserver, account=account, window=WINDOW, connector=instance), MetricPoint)

    (token_call,) = router.to("/token")
    assert (token_call.form["client_id"], token_call.form["client_secret"]) == (
        OPERATOR.client_id,
        OPERATOR.client_secret,
    )
    renewed = instance.refreshed_credentials
    assert renewed is not None
    assert not {"client_id", "client_secret"} & set(renewed), "the operator's app is never stored"
    assert renewed["expires_at"] > stored["expires_at"]
    jsonschema.validate(renewed, dict(YouTubeConnector.credentials_schema))
