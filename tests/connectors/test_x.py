"""The `x` connector against a local server speaking the X API v2 (fixtures in fixtures/x/)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jsonschema
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from plugins.connectors import x
from plugins.connectors.x import XConnector
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Checkpoint,
    Mention,
    OAuthClient,
    Post,
    RateLimitedError,
    Record,
    RecordValidator,
    Window,
    built_in_metrics,
)
from tests.connectors.records import json_response, points, requests_to
from tests.connectors.registration import assert_registers

FIXTURES = Path(__file__).parent / "fixtures" / "x"
USER_ID = "2244994945"
WINDOW = Window(since=date(2025, 3, 10), until=date(2025, 3, 12))
USER_TOKEN = "user-access-token-SECRET-1"
REFRESH_TOKEN = "refresh-token-SECRET-2"
CLIENT_SECRET = "client-secret-SECRET-3"
APP_TOKEN = "app-bearer-token-SECRET-4"
SECRETS = (USER_TOKEN, REFRESH_TOKEN, CLIENT_SECRET, APP_TOKEN)
OWNED = AccountRef(
    handle="XDevelopers",
    credentials={"access_token": USER_TOKEN, "refresh_token": REFRESH_TOKEN, "client_id": "client-1"},
)
COMPETITOR = AccountRef(handle="@XDevelopers", kind="competitor", credentials={"bearer_token": APP_TOKEN})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def paged(pages: dict[str | None, str]) -> Callable[[Request], Response]:
    """A handler answering the fixture named for the request's `pagination_token`."""

    def handler(request: Request) -> Response:
        token = request.args.get("pagination_token")
        if token not in pages:
            return json_response({"title": "Invalid Request", "detail": f"unknown token {token}"}, status=400)
        return json_response(fixture(pages[token]))

    return handler


def serve(server: HTTPServer) -> None:
    """Every response one full fetch needs."""
    server.expect_request("/users/by/username/XDevelopers", method="GET").respond_with_json(
        fixture("user_by_username.json")
    )
    server.expect_request(f"/users/{USER_ID}", method="GET").respond_with_json(fixture("user_by_username.json"))
    server.expect_request(f"/users/{USER_ID}/tweets", method="GET").respond_with_handler(
        paged({None: "tweets_page1.json", "7140dibdnow9c7btw4b3wzx5b8qfzm3g7pzl3wqmmkbki": "tweets_page2.json"})
    )
    server.expect_request(f"/users/{USER_ID}/mentions", method="GET").respond_with_handler(
        paged({None: "mentions_page1.json", "t3buvdr5pujq9g7bggsnf3ep2ha28": "mentions_page2.json"})
    )


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture
def fetch_day(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    def set_day(day: date) -> None:
        monkeypatch.setattr(x, "today", lambda: day)

    set_day(date(2025, 3, 12))
    return set_day


def connector(server: HTTPServer, transport: httpx.AsyncBaseTransport | None = None) -> XConnector:
    return XConnector(base_url=server.url_for("/"), transport=transport)


async def collect(
    server: HTTPServer,
    account: AccountRef = OWNED,
    window: Window = WINDOW,
    state: dict[str, Any] | None = None,
    instance: XConnector | None = None,
) -> list[Record]:
    instance = instance or connector(server)
    return [record async for record in instance.fetch(account, window, state or {})]


# --- metadata -----------------------------------------------------------------------------------------


def test_registers_and_maps_onto_the_catalogue() -> None:
    assert_registers(x, XConnector)
    catalogue = built_in_metrics()
    for declaration in XConnector.metrics:
        assert declaration.canonical in catalogue, declaration.native
        assert declaration.unit == catalogue[declaration.canonical].unit, declaration.native
    daily = {"followers_count", "like_count", "reply_count", "retweet_and_quote_count", "posts_published"}
    assert daily <= set(XConnector.declared())


def test_metadata_speaks_the_current_api() -> None:
    assert XConnector.default_base_url == "https://api.x.com/2"
    assert XConnector.oauth is not None
    assert XConnector.oauth.authorize_url == "https://x.com/i/oauth2/authorize"
    assert XConnector.oauth.token_url == "https://api.x.com/2/oauth2/token"
    assert set(XConnector.oauth.scopes) == {"tweet.read", "users.read", "offline.access"}
    assert XConnector.oauth.pkce
    assert XConnector.capabilities == {"account_metrics", "posts", "mentions", "public_data"}
    schema = XConnector.credentials_schema
    assert schema["additionalProperties"] is False
    for secret in ("access_token", "refresh_token", "client_secret", "bearer_token"):
        assert schema["properties"][secret]["writeOnly"] is True
    assert "writeOnly" not in schema["properties"]["client_id"]


# --- a full fetch -------------------------------------------------------------------------------------


async def test_fetch_parses_posts_daily_sums_followers_and_mentions(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve(httpserver)
    records = await collect(httpserver)

    validator = RecordValidator(XConnector, WINDOW)
    for record in records:
        validator.check(record)

    posts = {r.external_id: r for r in records if isinstance(r, Post)}
    assert list(posts) == [
        "1899521500000000003",
        "1899400000000000002",
        "1899100000000000001",
        "1898950000000000005",
        "1898600000000000004",
    ]
    video = posts["1899521500000000003"]
    assert video.published_at == datetime(2025, 3, 12, 16, 2, 11, tzinfo=UTC)
    assert video.url == "https://x.com/XDevelopers/status/1899521500000000003"
    assert video.media_type == "video"
    assert video.text.startswith("Our v2 metrics guide is live")
    assert video.metrics == {
        "like_count": 234,
        "retweet_count": 50,
        "quote_count": 5,
        "reply_count": 12,
        "impression_count": 5432,
        "bookmark_count": 8,
        "video_view_count": 12543,
        # asked for: an owned account, user context, a window of the last 30 days
        "url_link_clicks": 89,
        "user_profile_clicks": 156,
        "engagements": 345,
    }
    assert posts["1899100000000000001"].media_type == "poll"
    assert posts["1898950000000000005"].media_type == "image"
    assert posts["1898600000000000004"].media_type == "text"
    assert posts["1898600000000000004"].metrics["impression_count"] == 95

    daily = points(records)
    expected = {
        "like_count": {12: 274, 11: 143, 10: 1},
        "reply_count": {12: 13, 11: 11, 10: 0},
        "retweet_and_quote_count": {12: 58, 11: 14, 10: 0},
        "impression_count": {12: 6632, 11: 5500, 10: 95},
        "bookmark_count": {12: 10, 11: 1, 10: 0},
        "video_view_count": {12: 12543, 11: 0, 10: 0},
        "posts_published": {12: 2, 11: 2, 10: 1},
        "url_link_clicks": {12: 100, 11: 0, 10: 0},
        "user_profile_clicks": {12: 160, 11: 0, 10: 0},
        "engagements": {12: 397, 11: 0, 10: 0},
        "mention_count": {12: 1, 11: 1, 10: 1},
    }
    for native, by_day in expected.items():
        for day, value in by_day.items():
            point = daily[native, date(2025, 3, day)]
            assert point.value == value, (native, day)
            assert point.quality == "estimated"
    followers = daily["followers_count", date(2025, 3, 12)]
    assert (followers.value, followers.quality) == (583423, "exact")
    assert not [key for key in daily if key[0] == "followers_count" and key[1] != date(2025, 3, 12)]

    mentions = [r for r in records if isinstance(r, Mention)]
    assert [m.external_id for m in mentions] == ["1899530000000000011", "1899200000000000010", "1898700000000000008"]
    reply, question, emoji = mentions
    assert reply.kind == "reply"
    assert reply.post_external_id == "1899521500000000003"
    assert reply.author == "developer"
    assert reply.url == "https://x.com/developer/status/1899530000000000011"
    assert reply.language == "en"
    assert reply.published_at == datetime(2025, 3, 12, 17, 30, tzinfo=UTC)
    assert (question.kind, question.author, question.language, question.post_external_id) == (
        "mention",
        "camille_dev",
        "fr",
        None,
    )
    assert emoji.language is None  # X's "und"
    assert isinstance(records[-1], Checkpoint)
    assert records[-1].state["stage"] == "done"


async def test_requests_ask_for_the_window_with_the_user_token(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve(httpserver)
    await collect(httpserver)

    lookups = requests_to(httpserver, "/users/by/username/XDevelopers")
    assert len(lookups) == 1
    assert "public_metrics" in lookups[0].args["user.fields"]
    pages = requests_to(httpserver, f"/users/{USER_ID}/tweets")
    assert len(pages) == 2
    first, second = pages
    assert first.args["start_time"] == "2025-03-10T00:00:00Z"
    assert first.args["end_time"] == "2025-03-12T23:59:59Z"
    assert first.args["max_results"] == "100"
    assert first.args["exclude"] == "retweets"
    assert set(first.args["tweet.fields"].split(",")) >= {"created_at", "public_metrics", "non_public_metrics"}
    assert first.args["expansions"] == "attachments.media_keys"
    assert "pagination_token" not in first.args
    assert second.args["pagination_token"] == "7140dibdnow9c7btw4b3wzx5b8qfzm3g7pzl3wqmmkbki"
    assert second.args["start_time"] == "2025-03-10T00:00:00Z"
    mentions = requests_to(httpserver, f"/users/{USER_ID}/mentions")
    assert [m.args.get("pagination_token") for m in mentions] == [None, "t3buvdr5pujq9g7bggsnf3ep2ha28"]
    assert mentions[0].args["expansions"] == "author_id"
    for request, _response in httpserver.log:
        assert request.headers["Authorization"] == f"Bearer {USER_TOKEN}"


async def test_an_old_window_has_no_follower_snapshot_and_no_non_public_metrics(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    fetch_day(date(2025, 6, 1))
    serve(httpserver)
    records = await collect(httpserver)

    daily = points(records)
    assert not [key for key in daily if key[0] == "followers_count"]
    assert not [key for key in daily if key[0] in {"url_link_clicks", "user_profile_clicks", "engagements"}]
    post = next(r for r in records if isinstance(r, Post))
    assert "url_link_clicks" not in post.metrics
    assert "non_public_metrics" not in requests_to(httpserver, f"/users/{USER_ID}/tweets")[0].args["tweet.fields"]


async def test_an_account_with_a_known_id_is_looked_up_by_id(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve(httpserver)
    account = AccountRef(handle="XDevelopers", external_id=USER_ID, credentials=OWNED.credentials)
    records = await collect(httpserver, account=account)
    assert len(requests_to(httpserver, f"/users/{USER_ID}")) == 1
    assert not requests_to(httpserver, "/users/by/username/XDevelopers")
    assert points(records)["followers_count", date(2025, 3, 12)].value == 583423


# --- competitors --------------------------------------------------------------------------------------


async def test_competitor_uses_the_app_token_and_public_data_only(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve(httpserver)
    records = await collect(httpserver, account=COMPETITOR)

    for request, _response in httpserver.log:
        assert request.headers["Authorization"] == f"Bearer {APP_TOKEN}"
        assert "non_public_metrics" not in request.args.get("tweet.fields", "")
        assert request.path in {
            "/users/by/username/XDevelopers",
            f"/users/{USER_ID}/tweets",
            f"/users/{USER_ID}/mentions",
        }
    daily = points(records)
    assert {point.quality for point in daily.values()} == {"public_only"}
    assert daily["followers_count", date(2025, 3, 12)].value == 583423
    assert daily["like_count", date(2025, 3, 12)].value == 274
    assert not [key for key in daily if key[0] in {"url_link_clicks", "user_profile_clicks", "engagements"}]
    for post in (r for r in records if isinstance(r, Post)):
        assert not set(post.metrics) & {"url_link_clicks", "user_profile_clicks", "engagements"}
    assert len([r for r in records if isinstance(r, Mention)]) == 3


# --- resilience ---------------------------------------------------------------------------------------


async def test_two_pages_then_a_429_with_retry_after_is_waited_out(
    httpserver: HTTPServer, fetch_day: Callable[[date], None], waits: list[float]
) -> None:
    httpserver.expect_oneshot_request(f"/users/{USER_ID}/tweets").respond_with_response(
        json_response(fixture("error_too_many_requests.json"), status=429, headers={"Retry-After": "7"})
    )
    serve(httpserver)
    records = await collect(httpserver)

    assert 7.0 in waits
    assert len(requests_to(httpserver, f"/users/{USER_ID}/tweets")) == 3
    assert len([r for r in records if isinstance(r, Post)]) == 5


async def test_a_spent_rate_limit_window_is_waited_until_its_reset(
    httpserver: HTTPServer, fetch_day: Callable[[date], None], waits: list[float]
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 20
    headers = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    httpserver.expect_oneshot_request(f"/users/{USER_ID}/mentions").respond_with_response(
        json_response(fixture("error_too_many_requests.json"), status=429, headers=headers)
    )
    serve(httpserver)
    records = await collect(httpserver)

    assert any(10 < wait <= 21 for wait in waits)
    assert len([r for r in records if isinstance(r, Mention)]) == 3


async def test_a_5xx_is_retried(httpserver: HTTPServer, fetch_day: Callable[[date], None]) -> None:
    httpserver.expect_oneshot_request(f"/users/{USER_ID}/mentions").respond_with_response(
        json_response({"title": "Service Unavailable", "type": "about:blank", "status": 503}, status=503)
    )
    serve(httpserver)
    records = await collect(httpserver)

    assert len(requests_to(httpserver, f"/users/{USER_ID}/mentions")) == 3
    assert len([r for r in records if isinstance(r, Mention)]) == 3


async def test_the_usage_cap_ends_the_run_as_rate_limited(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    httpserver.expect_request(f"/users/{USER_ID}/tweets").respond_with_response(
        json_response(fixture("error_usage_capped.json"), status=429)
    )
    serve(httpserver)
    with pytest.raises(RateLimitedError) as raised:
        await collect(httpserver)
    assert raised.value.retry_after is not None
    assert raised.value.retry_after >= 3600
    assert "x" in str(raised.value)


async def test_a_malformed_body_is_a_bad_response_naming_the_network(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    httpserver.expect_request(f"/users/{USER_ID}/tweets").respond_with_data(
        "<html>upstream hiccup</html>", content_type="text/html"
    )
    serve(httpserver)
    with pytest.raises(BadResponseError) as raised:
        await collect(httpserver)
    assert str(raised.value).startswith("x ")
    assert f"/users/{USER_ID}/tweets" in str(raised.value)


async def test_a_body_of_the_wrong_shape_is_a_bad_response(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    httpserver.expect_request(f"/users/{USER_ID}/mentions").respond_with_json({"data": {"id": "1"}})
    serve(httpserver)
    with pytest.raises(BadResponseError, match=r"^x GET /users/2244994945/mentions"):
        await collect(httpserver)


async def test_an_unknown_user_is_reported(httpserver: HTTPServer, fetch_day: Callable[[date], None]) -> None:
    httpserver.expect_request("/users/by/username/nosuchuser_zz").respond_with_json(
        fixture("error_user_not_found.json")
    )
    account = AccountRef(handle="nosuchuser_zz", credentials={"bearer_token": APP_TOKEN})
    with pytest.raises(BadResponseError, match="Could not find user with username"):
        await collect(httpserver, account=account)


# --- tokens -------------------------------------------------------------------------------------------


def serve_with_token_check(server: HTTPServer, valid: str) -> None:
    """The API answers 401 to any token but `valid`."""

    def guard(request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {valid}":
            return json_response(fixture("error_unauthorized.json"), status=401)
        return None

    for path, pages in (
        ("/users/by/username/XDevelopers", {None: "user_by_username.json"}),
        (
            f"/users/{USER_ID}/tweets",
            {None: "tweets_page1.json", "7140dibdnow9c7btw4b3wzx5b8qfzm3g7pzl3wqmmkbki": "tweets_page2.json"},
        ),
        (
            f"/users/{USER_ID}/mentions",
            {None: "mentions_page1.json", "t3buvdr5pujq9g7bggsnf3ep2ha28": "mentions_page2.json"},
        ),
    ):
        answer = paged(pages)

        def handler(request: Request, answer: Callable[[Request], Response] = answer) -> Response:
            return guard(request) or answer(request)

        server.expect_request(path, method="GET").respond_with_handler(handler)


async def test_an_expired_token_is_refreshed_and_handed_back(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json(refreshed)
    serve_with_token_check(httpserver, valid=refreshed["access_token"])
    account = AccountRef(handle="XDevelopers", credentials={**OWNED.credentials, "client_secret": CLIENT_SECRET})
    instance = connector(httpserver)
    records = await collect(httpserver, account=account, instance=instance)

    assert len([r for r in records if isinstance(r, Post)]) == 5
    token_requests = requests_to(httpserver, "/oauth2/token")
    assert len(token_requests) == 1
    form = parse_qs(token_requests[0].get_data(as_text=True))
    assert form == {"grant_type": ["refresh_token"], "refresh_token": [REFRESH_TOKEN], "client_id": ["client-1"]}
    basic = base64.b64encode(f"client-1:{CLIENT_SECRET}".encode()).decode()
    assert token_requests[0].headers["Authorization"] == f"Basic {basic}"
    assert instance.refreshed_credentials is not None
    expires_at = datetime.fromisoformat(instance.refreshed_credentials.pop("expires_at"))
    assert instance.refreshed_credentials == {
        "access_token": refreshed["access_token"],
        "refresh_token": refreshed["refresh_token"],
        "client_id": "client-1",
        "client_secret": CLIENT_SECRET,
    }
    assert 7190 <= (expires_at - datetime.now(UTC)).total_seconds() <= 7200, "the renewed token's expiry is kept"
    later = [r for r, _ in httpserver.log if r.path != "/oauth2/token"][1:]
    assert all(r.headers["Authorization"] == f"Bearer {refreshed['access_token']}" for r in later)


# --- OAuth onboarding and the operator's OAuth app ---------------------------------------------------

OPERATOR = OAuthClient(client_id="operator-client", client_secret="operator-secret-SECRET-5")


def oauth_token() -> dict[str, Any]:
    """What X's token endpoint answers an authorization code (the same shape as a refresh)."""
    return {
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": USER_TOKEN,
        "scope": "tweet.read users.read offline.access",
        "refresh_token": REFRESH_TOKEN,
    }


async def test_the_oauth_token_becomes_credentials_the_schema_accepts_and_fetch_reads(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    instance = XConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    credentials = await instance.credentials_from_oauth(oauth_token(), account=AccountRef(handle="XDevelopers"))

    jsonschema.validate(credentials, dict(XConnector.credentials_schema))
    expires_at = datetime.fromisoformat(credentials.pop("expires_at"))
    assert 7190 <= (expires_at - datetime.now(UTC)).total_seconds() <= 7200
    assert credentials == {
        "access_token": USER_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "scope": "tweet.read users.read offline.access",
        "token_type": "bearer",
    }, "the operator's app is not stored with the account"

    serve(httpserver)
    account = AccountRef(handle="XDevelopers", credentials={**credentials, "expires_at": expires_at.isoformat()})
    records = await collect(httpserver, account=account)
    assert len([r for r in records if isinstance(r, Post)]) == 5
    assert all(r.headers["Authorization"] == f"Bearer {USER_TOKEN}" for r, _ in httpserver.log)


async def test_a_mid_run_refresh_uses_the_operators_app_when_the_credentials_name_none(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json(refreshed)
    serve_with_token_check(httpserver, valid=refreshed["access_token"])
    stored = {
        "access_token": USER_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "expires_at": "2025-03-12T08:00:00+00:00",
        "scope": "tweet.read users.read offline.access",
        "token_type": "bearer",
    }
    instance = XConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    records = await collect(httpserver, account=AccountRef(handle="XDevelopers", credentials=stored), instance=instance)

    assert len([r for r in records if isinstance(r, Post)]) == 5
    (token_request,) = requests_to(httpserver, "/oauth2/token")
    form = parse_qs(token_request.get_data(as_text=True))
    assert form == {"grant_type": ["refresh_token"], "refresh_token": [REFRESH_TOKEN], "client_id": ["operator-client"]}
    basic = base64.b64encode(f"operator-client:{OPERATOR.client_secret}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {basic}"
    renewed = instance.refreshed_credentials
    assert renewed is not None
    assert (renewed["access_token"], renewed["refresh_token"]) == (
        refreshed["access_token"],
        refreshed["refresh_token"],
    )
    assert renewed["expires_at"] > stored["expires_at"]
    assert not {"client_id", "client_secret"} & set(renewed), "the operator's app is never stored"
    assert "operator-secret" not in json.dumps(renewed)
    jsonschema.validate(renewed, dict(XConnector.credentials_schema))
    assert "operator-secret" not in repr(OPERATOR)


async def test_the_credentials_own_client_wins_over_the_operators(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json(refreshed)
    serve_with_token_check(httpserver, valid=refreshed["access_token"])
    instance = XConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    await collect(httpserver, instance=instance)  # OWNED names client-1, a public client

    (token_request,) = requests_to(httpserver, "/oauth2/token")
    assert parse_qs(token_request.get_data(as_text=True))["client_id"] == ["client-1"]
    assert "Authorization" not in token_request.headers


async def test_without_any_oauth_client_an_expired_token_is_not_refreshed(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve_with_token_check(httpserver, valid="a-token-nobody-has")
    account = AccountRef(handle="XDevelopers", credentials={"access_token": USER_TOKEN, "refresh_token": REFRESH_TOKEN})
    with pytest.raises(AuthenticationError):
        await collect(httpserver, account=account)
    assert not requests_to(httpserver, "/oauth2/token")


async def test_a_refused_refresh_token_is_an_authentication_error(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_response(
        json_response(fixture("token_error.json"), status=400)
    )
    serve_with_token_check(httpserver, valid="never")
    instance = connector(httpserver)
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver, instance=instance)
    message = str(raised.value)
    assert message.startswith("x refused to refresh the access token on POST /oauth2/token")
    assert "invalid_request" in message
    assert not [secret for secret in SECRETS if secret in message]
    assert instance.refreshed_credentials is None
    assert len(requests_to(httpserver, "/oauth2/token")) == 1


async def test_an_expired_token_without_refresh_token_is_an_authentication_error(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve_with_token_check(httpserver, valid="never")
    account = AccountRef(handle="XDevelopers", credentials={"access_token": USER_TOKEN})
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver, account=account)
    message = str(raised.value)
    assert message.startswith("x refused the credentials on GET /users/by/username/XDevelopers")
    assert USER_TOKEN not in message
    assert not requests_to(httpserver, "/oauth2/token")


# --- check() ------------------------------------------------------------------------------------------


async def test_check_accepts_good_credentials(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/users/me").respond_with_json(fixture("users_me.json"))
    httpserver.expect_request("/users/by/username/XDevelopers").respond_with_json(fixture("user_by_username.json"))
    instance = connector(httpserver)
    await instance.check({"access_token": USER_TOKEN})
    await instance.check({"bearer_token": APP_TOKEN})
    assert [(r.path, r.headers["Authorization"]) for r, _ in httpserver.log] == [
        ("/users/me", f"Bearer {USER_TOKEN}"),
        ("/users/by/username/XDevelopers", f"Bearer {APP_TOKEN}"),
    ]


@pytest.mark.parametrize("credentials", [{"access_token": USER_TOKEN}, {"bearer_token": APP_TOKEN}])
async def test_check_refuses_bad_credentials_without_leaking_them(
    httpserver: HTTPServer, credentials: dict[str, str]
) -> None:
    httpserver.expect_request("/users/me").respond_with_response(
        json_response(fixture("error_unauthorized.json"), status=401)
    )
    httpserver.expect_request("/users/by/username/XDevelopers").respond_with_response(
        json_response(fixture("error_unauthorized.json"), status=401)
    )
    with pytest.raises(AuthenticationError) as raised:
        await connector(httpserver).check(credentials)
    assert str(raised.value).startswith("x refused the credentials")
    assert not [secret for secret in SECRETS if secret in str(raised.value)]


async def test_check_without_any_token_is_refused() -> None:
    with pytest.raises(AuthenticationError, match="neither an access_token nor a bearer_token"):
        await XConnector(base_url="http://127.0.0.1:9/").check({})


# --- resume, idempotence, hosts -----------------------------------------------------------------------


async def test_resuming_from_each_checkpoint_yields_exactly_the_remaining_records(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve(httpserver)
    full = await collect(httpserver)
    checkpoints = [n for n, record in enumerate(full) if isinstance(record, Checkpoint)]
    assert len(checkpoints) >= 4  # after the lookup, after each non-last page of each timeline, at the end
    for n in checkpoints:
        state = full[n].state  # type: ignore[union-attr]
        resumed = await collect(httpserver, state=json.loads(json.dumps(state)))
        assert resumed == full[n + 1 :], state.get("stage")


async def test_resuming_mid_timeline_does_not_look_the_user_up_again(
    httpserver: HTTPServer, fetch_day: Callable[[date], None]
) -> None:
    serve(httpserver)
    full = await collect(httpserver)
    mid = next(r for r in full if isinstance(r, Checkpoint) and r.state.get("next_token"))
    httpserver.clear_log()
    await collect(httpserver, state=mid.state)
    assert not requests_to(httpserver, "/users/by/username/XDevelopers")
    assert [r.args.get("pagination_token") for r in requests_to(httpserver, f"/users/{USER_ID}/tweets")] == [
        "7140dibdnow9c7btw4b3wzx5b8qfzm3g7pzl3wqmmkbki"
    ]


async def test_a_rerun_yields_identical_records(httpserver: HTTPServer, fetch_day: Callable[[date], None]) -> None:
    serve(httpserver)
    assert await collect(httpserver) == await collect(httpserver)


async def test_no_request_leaves_the_base_url(httpserver: HTTPServer, fetch_day: Callable[[date], None]) -> None:
    seen: list[str] = []

    class Recording(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return await super().handle_async_request(request)

    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json(refreshed)
    serve_with_token_check(httpserver, valid=refreshed["access_token"])
    await collect(httpserver, instance=connector(httpserver, transport=Recording()))

    base = httpserver.url_for("/")
    assert seen
    assert [url for url in seen if not url.startswith(base)] == []
    assert any(url.startswith(base + "oauth2/token") for url in seen)
