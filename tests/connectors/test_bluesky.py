"""The Bluesky connector against a local server speaking the AT Protocol XRPC endpoints it uses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from plugins.connectors import bluesky
from plugins.connectors.bluesky import BlueskyConnector
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Checkpoint,
    Mention,
    MetricPoint,
    Post,
    Record,
    RecordValidator,
    Window,
    built_in_metrics,
)
from tests.connectors.records import of_type, requests_to
from tests.connectors.registration import assert_registers

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
WINDOW = Window(since=date(2025, 3, 1), until=date(2025, 3, 10))
TODAY = date(2025, 3, 10)
DID = "did:plc:z72i7hdynmk6r22z27h6tvur"
PASSWORD = "abcd-efgh-ijkl-mnop"
PROFILE = "/xrpc/app.bsky.actor.getProfile"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
LOGIN = {"identifier": "bsky.app", "app_password": PASSWORD}
OWNED = AccountRef(handle="@bsky.app", credentials=LOGIN)
PUBLIC_OWNED = AccountRef(handle="bsky.app")
COMPETITOR = AccountRef(handle="bsky.app", kind="competitor", credentials=LOGIN)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


SESSION = fixture("createSession.json")
REFRESHED = fixture("refreshSession.json")


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "Today" is the window's last day."""
    monkeypatch.setattr(bluesky, "_today", lambda: TODAY)


def cursored(httpserver: HTTPServer, path: str, pages: list[str]) -> None:
    """Serve `pages` in turn, page n+1 being asked for with the `cursor` page n answered."""
    cursors = [fixture(page).get("cursor") for page in pages]

    def handler(request: Request) -> Response:
        index = cursors.index(request.args["cursor"]) + 1 if "cursor" in request.args else 0
        return Response(json.dumps(fixture(pages[index])), content_type="application/json")

    httpserver.expect_request(path, method="GET").respond_with_handler(handler)


def serve_all(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROFILE, method="GET").respond_with_json(fixture("getProfile.json"))
    cursored(httpserver, FEED, [f"getAuthorFeed_page{n}.json" for n in (1, 2, 3, 4)])
    cursored(httpserver, SEARCH, ["searchPosts_page1.json", "searchPosts_page2.json"])
    httpserver.expect_request(CREATE, method="POST").respond_with_json(SESSION)
    httpserver.expect_request(REFRESH, method="POST").respond_with_json(REFRESHED)


def connector(httpserver: HTTPServer) -> BlueskyConnector:
    return BlueskyConnector(base_url=httpserver.url_for("/xrpc"))


async def collect(
    httpserver: HTTPServer,
    account: AccountRef = OWNED,
    state: dict[str, Any] | None = None,
    instance: BlueskyConnector | None = None,
) -> list[Record]:
    used = instance or connector(httpserver)
    return [record async for record in used.fetch(account, WINDOW, state or {})]


# --- metadata ----------------------------------------------------------------------------------------------


def test_metadata_schema_and_catalogue() -> None:
    schema = BlueskyConnector.credentials_schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    for secret in ("app_password", "access_jwt", "refresh_jwt"):
        assert schema["properties"][secret]["writeOnly"] is True
    jsonschema.validate(LOGIN, schema)
    jsonschema.validate({}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"identifier": "bsky.app"}, schema)  # an identifier needs its app password
    catalogue = built_in_metrics()
    mapping = {d.native: d.canonical for d in BlueskyConnector.metrics}
    assert mapping == {
        "followersCount": "followers",
        "posts": "posts_published",
        "likeCount": "reactions",
        "repostCount": "shares",
        "replyCount": "comments",
        "quoteCount": "shares",
        "bookmarkCount": "saves",
    }
    assert all(canonical in catalogue for canonical in mapping.values())
    assert BlueskyConnector.capabilities == {"account_metrics", "posts", "mentions", "public_data"}
    assert BlueskyConnector.default_base_url == "https://public.api.bsky.app/xrpc"
    assert BlueskyConnector.other_base_urls == ("https://bsky.social/xrpc",)
    assert BlueskyConnector.oauth is None


def test_registers_through_the_plugin_hook() -> None:
    assert_registers(bluesky, BlueskyConnector)


# --- a full fetch ---------------------------------------------------------------------------------------------


async def test_owned_account_fetch_parses_every_record(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    used = connector(httpserver)
    records = await collect(httpserver, instance=used)
    validator = RecordValidator(BlueskyConnector, WINDOW)
    for record in records:
        validator.check(record)

    assert records[0] == MetricPoint(native_metric="followersCount", day=TODAY, value=847023, quality="exact")
    posts = {post.external_id: post for post in of_type(records, Post)}
    base = f"at://{DID}/app.bsky.feed.post/"
    assert list(posts) == [
        base + rkey for rkey in ("3ljwm5u7hxs2k", "3ljtzc4s6wc2f", "3ljoxsu2ve22a", "3ljlq3hzmfc2p", "3ljedl5ryhk2c")
    ]
    first = posts[base + "3ljwm5u7hxs2k"]
    assert first.published_at == datetime(2025, 3, 8, 16, 30, tzinfo=UTC)
    assert first.text == "New: a redesigned settings screen 🎉"
    assert first.url == f"https://bsky.app/profile/{DID}/post/3ljwm5u7hxs2k"
    assert first.media_type == "image"
    assert first.metrics == {
        "likeCount": 1520,
        "repostCount": 210,
        "replyCount": 95,
        "quoteCount": 33,
        "bookmarkCount": 48,
    }
    assert posts[base + "3ljtzc4s6wc2f"].media_type == "link"
    assert posts[base + "3ljtzc4s6wc2f"].published_at == datetime(2025, 3, 7, 9, 5, 12, 345000, tzinfo=UTC)
    tips = posts[base + "3ljoxsu2ve22a"]
    assert tips.media_type == "video"
    assert tips.tags == ("tips", "blueskytips")
    assert posts[base + "3ljlq3hzmfc2p"].media_type == "quote"
    french = posts[base + "3ljedl5ryhk2c"]
    assert french.media_type == "text"
    assert "bookmarkCount" not in french.metrics  # the AppView did not send it

    daily = {(p.native_metric, p.day): p for p in of_type(records, MetricPoint)[1:]}
    assert len(daily) == 10 * 5
    assert {p.quality for p in daily.values()} == {"estimated"}
    expected = {
        date(2025, 3, 1): (1, 410, 60, 25, 0),
        date(2025, 3, 3): (1, 300, 15, 12, 1),
        date(2025, 3, 5): (1, 640, 88, 31, 75),
        date(2025, 3, 7): (1, 800, 120, 40, 20),
        date(2025, 3, 8): (1, 1520, 210, 95, 48),
    }
    for offset in range(10):
        day = date(2025, 3, 1 + offset)
        assert tuple(daily[(name, day)].value for name in bluesky.DAILY) == expected.get(day, (0,) * 5), day

    assert of_type(records, Mention) == [
        Mention(
            external_id="at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3ljyb7rhm2c2x",
            published_at=datetime(2025, 3, 9, 7, 45, tzinfo=UTC),
            text="@bsky.app the new settings screen is so much clearer, thanks!",
            author="@alice.bsky.social",
            url="https://bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz/post/3ljyb7rhm2c2x",
            language="en",
            kind="reply",
            post_external_id=base + "3ljwm5u7hxs2k",
        ),
        Mention(
            external_id="at://did:plc:44ybard66vv44zksje25o7dz/app.bsky.feed.post/3ljrdi4wmak2s",
            published_at=datetime(2025, 3, 6, 12, tzinfo=UTC),
            text="Franchement @bsky.app, la modération laisse à désirer.",
            author="@bruno.example.fr",
            url="https://bsky.app/profile/did:plc:44ybard66vv44zksje25o7dz/post/3ljrdi4wmak2s",
            language="fr",
            kind="mention",
        ),
        Mention(
            external_id="at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3ljkxxbx6es2q",
            published_at=datetime(2025, 3, 2, 8, tzinfo=UTC),
            text="Does @bsky.app have an API status page?",
            author="@carol.bsky.social",
            url="https://bsky.app/profile/did:plc:vwzwgnygau7ed7b7wt5ux7y2/post/3ljkxxbx6es2q",
            language="en",
            kind="mention",
        ),
    ]
    assert records[-1] == Checkpoint(state={"last_day": "2025-03-10"})
    # the session was opened with the app password and its tokens handed to the engine
    assert json.loads(requests_to(httpserver, CREATE)[0].get_data()) == {"identifier": "bsky.app", "password": PASSWORD}
    assert used.refreshed_credentials == {
        **LOGIN,
        "access_jwt": SESSION["accessJwt"],
        "refresh_jwt": SESSION["refreshJwt"],
    }


async def test_pages_and_parameters(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    await collect(httpserver)
    feed = requests_to(httpserver, FEED)
    assert [r.args.get("cursor") for r in feed] == [None, "2025-03-07T09:05:12.345Z", "2025-03-03T23:59:59.999Z"]
    assert feed[0].args.to_dict() == {"actor": DID, "limit": "100", "filter": "posts_no_replies"}
    assert requests_to(httpserver, PROFILE)[0].args["actor"] == "bsky.app"
    public = requests_to(httpserver, PROFILE) + feed
    assert all("Authorization" not in r.headers for r in public)  # the AppView is read anonymously
    search = requests_to(httpserver, SEARCH)
    assert [r.args.get("cursor") for r in search] == [None, "100"]
    assert search[0].args.to_dict() == {
        "q": "*",
        "mentions": DID,
        "since": "2025-03-01T00:00:00Z",
        "until": "2025-03-11T00:00:00Z",
        "sort": "latest",
        "limit": "100",
    }
    assert all(r.headers["Authorization"] == f"Bearer {SESSION['accessJwt']}" for r in search)
    assert not requests_to(httpserver, REFRESH)


async def test_checkpoints_resume_with_the_remaining_records(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    stored = {**LOGIN, "access_jwt": SESSION["accessJwt"], "refresh_jwt": SESSION["refreshJwt"]}
    account = AccountRef(handle="bsky.app", credentials=stored)
    full = await collect(httpserver, account)
    assert await collect(httpserver, account) == full
    checkpoints = [i for i, record in enumerate(full) if isinstance(record, Checkpoint)]
    assert len(checkpoints) == 5  # two feed pages, the stage change, one search page, the end
    for index in checkpoints[:-1]:
        assert await collect(httpserver, account, state=full[index].state) == full[index + 1 :], index
    assert not requests_to(httpserver, CREATE)  # the stored session was used


# --- public data -----------------------------------------------------------------------------------------------


async def test_competitor_uses_only_the_public_appview(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    used = connector(httpserver)
    records = await collect(httpserver, COMPETITOR, instance=used)
    assert {request.path for request, _ in httpserver.log} == {PROFILE, FEED}
    assert all("Authorization" not in request.headers for request, _ in httpserver.log)
    assert not of_type(records, Mention)
    assert {p.quality for p in of_type(records, MetricPoint)} == {"public_only"}
    assert len(of_type(records, Post)) == 5
    assert used.refreshed_credentials is None


async def test_owned_account_without_login_has_no_mentions(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    records = await collect(httpserver, PUBLIC_OWNED)
    assert {request.path for request, _ in httpserver.log} == {PROFILE, FEED}
    assert not of_type(records, Mention)
    assert of_type(records, MetricPoint)[0].quality == "exact"


async def test_real_hosts_are_the_appview_and_the_pds() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.scheme}://{request.url.host}{request.url.path}")
        name = request.url.path.rsplit("/", 1)[-1]
        bodies = {
            "app.bsky.actor.getProfile": fixture("getProfile.json"),
            "app.bsky.feed.getAuthorFeed": {"feed": []},
            "com.atproto.server.createSession": SESSION,
            "app.bsky.feed.searchPosts": {"posts": []},
        }
        return httpx.Response(200, json=bodies[name])

    plain = BlueskyConnector(transport=httpx.MockTransport(handler))
    _ = [r async for r in plain.fetch(OWNED, WINDOW, {})]
    assert seen == [
        "GET https://public.api.bsky.app/xrpc/app.bsky.actor.getProfile",
        "GET https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed",
        "POST https://bsky.social/xrpc/com.atproto.server.createSession",
        "GET https://bsky.social/xrpc/app.bsky.feed.searchPosts",
    ]
    seen.clear()
    own_pds = AccountRef(handle="bsky.app", credentials={**LOGIN, "pds_url": "https://pds.example.org"})
    _ = [r async for r in plain.fetch(own_pds, WINDOW, {})]
    assert seen[2:] == [
        "POST https://pds.example.org/xrpc/com.atproto.server.createSession",
        "GET https://pds.example.org/xrpc/app.bsky.feed.searchPosts",
    ]


# --- sessions ------------------------------------------------------------------------------------------------------


async def test_expired_access_token_is_refreshed(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(SEARCH).respond_with_json(
        {"error": "ExpiredToken", "message": "Token has expired"}, status=400
    )
    serve_all(httpserver)
    stored = {**LOGIN, "access_jwt": "old-access", "refresh_jwt": "old-refresh"}
    used = connector(httpserver)
    records = await collect(httpserver, AccountRef(handle="bsky.app", credentials=stored), instance=used)
    assert len(of_type(records, Mention)) == 3
    refresh = requests_to(httpserver, REFRESH)
    assert len(refresh) == 1
    assert refresh[0].headers["Authorization"] == "Bearer old-refresh"
    search = requests_to(httpserver, SEARCH)
    assert [r.headers["Authorization"] for r in search] == [
        "Bearer old-access",
        f"Bearer {REFRESHED['accessJwt']}",
        f"Bearer {REFRESHED['accessJwt']}",
    ]
    assert not requests_to(httpserver, CREATE)
    assert used.refreshed_credentials == {
        **LOGIN,
        "access_jwt": REFRESHED["accessJwt"],
        "refresh_jwt": REFRESHED["refreshJwt"],
    }


async def test_refused_refresh_token_falls_back_to_a_new_session(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(SEARCH).respond_with_json({"error": "ExpiredToken"}, status=400)
    httpserver.expect_oneshot_request(REFRESH).respond_with_json(
        {"error": "ExpiredToken", "message": "Token has been revoked"}, status=400
    )
    serve_all(httpserver)
    stored = {**LOGIN, "access_jwt": "old-access", "refresh_jwt": "revoked"}
    used = connector(httpserver)
    records = await collect(httpserver, AccountRef(handle="bsky.app", credentials=stored), instance=used)
    assert len(of_type(records, Mention)) == 3
    assert len(requests_to(httpserver, CREATE)) == 1
    assert used.refreshed_credentials is not None
    assert used.refreshed_credentials["access_jwt"] == SESSION["accessJwt"]


async def test_refused_app_password_names_network_and_endpoint(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_json({"error": "ExpiredToken"}, status=400)
    httpserver.expect_request(REFRESH).respond_with_json({"error": "ExpiredToken"}, status=400)
    httpserver.expect_request(CREATE).respond_with_json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, status=401
    )
    serve_all(httpserver)
    stored = {**LOGIN, "access_jwt": "old-access", "refresh_jwt": "old-refresh"}
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver, AccountRef(handle="bsky.app", credentials=stored))
    message = str(raised.value)
    assert "bluesky" in message
    assert CREATE in message
    for secret in (PASSWORD, "old-access", "old-refresh"):
        assert secret not in message


# --- errors ---------------------------------------------------------------------------------------------------------


async def test_429_with_retry_after_then_success(httpserver: HTTPServer, waits: list[float]) -> None:
    httpserver.expect_oneshot_request(FEED).respond_with_json(
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        status=429,
        headers={"Retry-After": "5", "RateLimit-Remaining": "0"},
    )
    serve_all(httpserver)
    records = await collect(httpserver, PUBLIC_OWNED)
    assert 5.0 in waits
    assert len(of_type(records, Post)) == 5
    assert len(requests_to(httpserver, FEED)) == 4


async def test_5xx_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(FEED).respond_with_json({"error": "InternalServerError"}, status=500)
    httpserver.expect_oneshot_request(PROFILE).respond_with_data("upstream timeout", status=504)
    serve_all(httpserver)
    assert len(of_type(await collect(httpserver, PUBLIC_OWNED), Post)) == 5


async def test_malformed_bodies_are_bad_responses(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROFILE).respond_with_json(fixture("getProfile.json"))
    httpserver.expect_request(FEED).respond_with_json({"cursor": "x"})
    with pytest.raises(BadResponseError, match=r"bluesky: app\.bsky\.feed\.getAuthorFeed feed is not a JSON array"):
        await collect(httpserver, PUBLIC_OWNED)


async def test_non_json_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROFILE).respond_with_data("<html>403 Forbidden</html>", content_type="text/html")
    with pytest.raises(BadResponseError, match="bluesky"):
        await collect(httpserver, PUBLIC_OWNED)


async def test_unknown_actor(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROFILE).respond_with_json(
        {"error": "InvalidRequest", "message": "Profile not found"}, status=400
    )
    with pytest.raises(BadResponseError, match=r"bluesky GET /xrpc/app.bsky.actor.getProfile answered 400"):
        await collect(httpserver, PUBLIC_OWNED)


# --- check() ----------------------------------------------------------------------------------------------


async def test_check_with_bad_credentials(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, status=401
    )
    with pytest.raises(AuthenticationError, match="bluesky") as raised:
        await connector(httpserver).check({"identifier": "bsky.app", "app_password": "wrong-password-1"})
    assert "wrong-password-1" not in str(raised.value)


async def test_check_with_good_credentials_keeps_the_session(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_json(SESSION)
    used = connector(httpserver)
    await used.check(LOGIN)
    assert used.refreshed_credentials == {
        **LOGIN,
        "access_jwt": SESSION["accessJwt"],
        "refresh_jwt": SESSION["refreshJwt"],
    }
    await used.check({})
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    "credentials",
    [
        {"identifier": "bsky.app"},
        {"app_password": PASSWORD},
        {"identifier": "bsky.app", "app_password": PASSWORD, "password": "x"},
        {**LOGIN, "pds_url": "http://pds.example.org"},
    ],
)
async def test_check_rejects_malformed_credentials(credentials: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationError) as raised:
        await BlueskyConnector().check(credentials)
    assert PASSWORD not in str(raised.value)
