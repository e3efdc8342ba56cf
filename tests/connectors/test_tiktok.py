"""The `tiktok` connector against a local server speaking the Display API v2 (fixtures in fixtures/tiktok/)."""

from __future__ import annotations

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

from plugins.connectors import tiktok
from plugins.connectors.tiktok import CompetitorNotSupportedError, TikTokConnector
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Checkpoint,
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

FIXTURES = Path(__file__).parent / "fixtures" / "tiktok"
WINDOW = Window(since=date(2025, 3, 10), until=date(2025, 3, 12))
FIRST_CURSOR = 1741824000000  # 2025-03-13T00:00:00Z: the end of the window
SECOND_CURSOR = 1741723200000
ACCESS_TOKEN = "act.old-SECRET-1"
REFRESH_TOKEN = "rft.old-SECRET-2"
CLIENT_SECRET = "client-secret-SECRET-3"
SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)
CREDENTIALS = {
    "access_token": ACCESS_TOKEN,
    "refresh_token": REFRESH_TOKEN,
    "client_key": "awxyz123",
    "client_secret": CLIENT_SECRET,
}
OWNED = AccountRef(handle="techcreator", external_id="6784563321783754498", credentials=CREDENTIALS)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def video_pages(request: Request) -> Response:
    cursor = json.loads(request.get_data(as_text=True) or "{}").get("cursor")
    pages = {FIRST_CURSOR: "video_list_page1.json", SECOND_CURSOR: "video_list_page2.json"}
    if cursor not in pages:
        return json_response(
            {"data": {}, "error": {"code": "invalid_params", "message": f"cursor {cursor}", "log_id": "x"}}, 400
        )
    return json_response(fixture(pages[cursor]))


def serve(server: HTTPServer, token: str | None = None) -> None:
    """Every response one full fetch needs; with `token`, any other bearer gets access_token_invalid."""

    def guarded(answer: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            if token is not None and request.headers.get("Authorization") != f"Bearer {token}":
                return json_response(fixture("error_access_token_invalid.json"), 401)
            return answer(request)

        return handler

    server.expect_request("/user/info/", method="GET").respond_with_handler(
        guarded(lambda _request: json_response(fixture("user_info.json")))
    )
    server.expect_request("/video/list/", method="POST").respond_with_handler(guarded(video_pages))


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pinned "today", the day after the window."""
    monkeypatch.setattr(tiktok, "today", lambda: date(2025, 3, 12))


def connector(server: HTTPServer, transport: httpx.AsyncBaseTransport | None = None) -> TikTokConnector:
    return TikTokConnector(base_url=server.url_for("/"), transport=transport)


async def collect(
    server: HTTPServer,
    account: AccountRef = OWNED,
    state: dict[str, Any] | None = None,
    instance: TikTokConnector | None = None,
) -> list[Record]:
    instance = instance or connector(server)
    return [record async for record in instance.fetch(account, WINDOW, state or {})]


# --- metadata -----------------------------------------------------------------------------------------


def test_registers_and_maps_onto_the_catalogue() -> None:
    assert_registers(tiktok, TikTokConnector)
    catalogue = built_in_metrics()
    for declaration in TikTokConnector.metrics:
        assert declaration.unit == catalogue[declaration.canonical].unit, declaration.native


def test_declares_what_the_display_api_can_and_cannot_do() -> None:
    assert TikTokConnector.default_base_url == "https://open.tiktokapis.com/v2"
    assert TikTokConnector.capabilities == {"account_metrics", "posts"}
    doc = TikTokConnector.__doc__ or ""
    assert "No `mentions`" in doc
    assert "No `public_data`" in doc
    oauth = TikTokConnector.oauth
    assert oauth is not None
    assert oauth.authorize_url == "https://www.tiktok.com/v2/auth/authorize/"
    assert oauth.token_url == "https://open.tiktokapis.com/v2/oauth/token/"
    assert set(oauth.scopes) == {"user.info.basic", "user.info.stats", "video.list"}
    assert oauth.scope_separator == ","
    schema = TikTokConnector.credentials_schema
    assert schema["additionalProperties"] is False
    for secret in ("access_token", "refresh_token", "client_secret", "client_key"):
        assert schema["properties"][secret]["writeOnly"] is True


# --- a full fetch -------------------------------------------------------------------------------------


async def test_fetch_parses_followers_videos_and_daily_sums(httpserver: HTTPServer) -> None:
    serve(httpserver)
    records = await collect(httpserver)

    validator = RecordValidator(TikTokConnector, WINDOW)
    for record in records:
        validator.check(record)

    posts = [r for r in records if isinstance(r, Post)]
    assert [p.external_id for p in posts] == [
        "7480812345678901234",
        "7480671234567890123",
        "7480459876543210987",
        "7480078765432109876",
    ]  # the video of 2025-03-09 is before the window
    first = posts[0]
    assert first.published_at == datetime(2025, 3, 12, 18, 30, tzinfo=UTC)
    assert first.text == "Behind the scenes of our API launch #dev #tiktokdevelopers"
    assert first.url == "https://www.tiktok.com/@techcreator/video/7480812345678901234"
    assert first.media_type == "video"
    assert first.metrics == {"like_count": 1520, "comment_count": 48, "share_count": 31, "view_count": 40210}
    assert posts[1].text == "3 tips for clean APIs"  # the title when there is no description

    daily = points(records)
    expected = {
        "like_count": {12: 1830, 11: 95, 10: 44},
        "comment_count": {12: 60, 11: 7, 10: 3},
        "share_count": {12: 35, 11: 2, 10: 0},
        "view_count": {12: 49330, 11: 3050, 10: 1280},
        "videos_published": {12: 2, 11: 1, 10: 1},
    }
    for native, by_day in expected.items():
        for day, value in by_day.items():
            point = daily[native, date(2025, 3, day)]
            assert (point.value, point.quality) == (value, "estimated"), (native, day)
    followers = daily["follower_count", date(2025, 3, 12)]
    assert (followers.value, followers.quality) == (15234, "exact")
    assert len([key for key in daily if key[0] == "follower_count"]) == 1
    assert isinstance(records[-1], Checkpoint)
    assert records[-1].state == {"stage": "done"}


async def test_requests_follow_the_cursor_from_the_end_of_the_window(httpserver: HTTPServer) -> None:
    serve(httpserver)
    await collect(httpserver)

    info = requests_to(httpserver, "/user/info/")
    assert len(info) == 1
    assert set(info[0].args["fields"].split(",")) >= {"open_id", "follower_count", "likes_count", "video_count"}
    pages = requests_to(httpserver, "/video/list/")
    assert [json.loads(p.get_data(as_text=True)) for p in pages] == [
        {"max_count": 20, "cursor": FIRST_CURSOR},
        {"max_count": 20, "cursor": SECOND_CURSOR},
    ]  # page 2 reaches before the window: no third page although has_more is true
    fields = set(pages[0].args["fields"].split(","))
    assert fields >= {"id", "create_time", "share_url", "like_count", "comment_count", "share_count", "view_count"}
    assert pages[0].headers["Content-Type"] == "application/json"
    for request, _response in httpserver.log:
        assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_no_follower_point_when_the_fetch_day_is_outside_the_window(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiktok, "today", lambda: date(2025, 4, 2))
    serve(httpserver)
    records = await collect(httpserver)
    assert not [key for key in points(records) if key[0] == "follower_count"]
    assert points(records)["videos_published", date(2025, 3, 12)].value == 2


async def test_pagination_stops_when_has_more_is_false(httpserver: HTTPServer) -> None:
    last = fixture("video_list_page1.json")
    last["data"]["has_more"] = False
    httpserver.expect_request("/user/info/").respond_with_json(fixture("user_info.json"))
    httpserver.expect_request("/video/list/", method="POST").respond_with_json(last)
    records = await collect(httpserver)
    assert len(requests_to(httpserver, "/video/list/")) == 1
    assert len([r for r in records if isinstance(r, Post)]) == 3


# --- competitors --------------------------------------------------------------------------------------


async def test_a_competitor_is_refused_before_any_request(httpserver: HTTPServer) -> None:
    serve(httpserver)
    competitor = AccountRef(handle="rivalcreator", kind="competitor", credentials=CREDENTIALS)
    with pytest.raises(CompetitorNotSupportedError) as raised:
        await collect(httpserver, account=competitor)
    assert "rivalcreator" in str(raised.value)
    assert "Research API" in str(raised.value)
    assert httpserver.log == []


# --- resilience ---------------------------------------------------------------------------------------


async def test_a_429_with_retry_after_is_waited_out(httpserver: HTTPServer, waits: list[float]) -> None:
    httpserver.expect_oneshot_request("/video/list/").respond_with_response(
        Response(
            json.dumps(fixture("error_rate_limit_exceeded.json")),
            status=429,
            headers={"Retry-After": "9"},
            content_type="application/json",
        )
    )
    serve(httpserver)
    records = await collect(httpserver)
    assert 9.0 in waits
    assert len(requests_to(httpserver, "/video/list/")) == 3
    assert len([r for r in records if isinstance(r, Post)]) == 4


async def test_rate_limit_exceeded_that_never_ends_is_a_rate_limited_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/video/list/").respond_with_response(
        json_response(fixture("error_rate_limit_exceeded.json"), 429)
    )
    serve(httpserver)
    with pytest.raises(RateLimitedError, match="tiktok"):
        await collect(httpserver)


async def test_an_internal_error_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/video/list/").respond_with_response(
        json_response(fixture("error_internal.json"), 500)
    )
    serve(httpserver)
    records = await collect(httpserver)
    assert len(requests_to(httpserver, "/video/list/")) == 3
    assert len([r for r in records if isinstance(r, Post)]) == 4


async def test_a_non_ok_error_code_on_a_200_is_not_success(httpserver: HTTPServer) -> None:
    body = fixture("error_scope_not_authorized.json")
    httpserver.expect_request("/video/list/").respond_with_json(body)
    serve(httpserver)
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver)
    assert "scope_not_authorized" in str(raised.value)
    assert "video.list" in str(raised.value)


async def test_a_malformed_body_is_a_bad_response_naming_the_network(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/video/list/").respond_with_data("{not json", content_type="application/json")
    serve(httpserver)
    with pytest.raises(BadResponseError) as raised:
        await collect(httpserver)
    assert str(raised.value).startswith("tiktok POST /video/list/")


async def test_a_body_of_the_wrong_shape_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/video/list/").respond_with_json(
        {"data": {"videos": {"id": "1"}}, "error": {"code": "ok", "message": "", "log_id": "1"}}
    )
    serve(httpserver)
    with pytest.raises(BadResponseError, match=r"^tiktok POST /video/list/ answered a 'data.videos'"):
        await collect(httpserver)


async def test_has_more_without_a_new_cursor_is_a_bad_response(httpserver: HTTPServer) -> None:
    stuck = fixture("video_list_page1.json")
    stuck["data"]["cursor"] = FIRST_CURSOR
    httpserver.expect_request("/user/info/").respond_with_json(fixture("user_info.json"))
    httpserver.expect_request("/video/list/", method="POST").respond_with_json(stuck)
    with pytest.raises(BadResponseError, match="has_more without a new cursor"):
        await collect(httpserver)


# --- tokens -------------------------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_and_handed_back(httpserver: HTTPServer) -> None:
    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth/token/", method="POST").respond_with_json(refreshed)
    serve(httpserver, token=refreshed["access_token"])
    instance = connector(httpserver)
    records = await collect(httpserver, instance=instance)

    assert len([r for r in records if isinstance(r, Post)]) == 4
    token_requests = requests_to(httpserver, "/oauth/token/")
    assert len(token_requests) == 1
    assert parse_qs(token_requests[0].get_data(as_text=True)) == {
        "client_key": ["awxyz123"],
        "client_secret": [CLIENT_SECRET],
        "grant_type": ["refresh_token"],
        "refresh_token": [REFRESH_TOKEN],
    }
    assert "Authorization" not in token_requests[0].headers
    assert instance.refreshed_credentials is not None
    expires_at = datetime.fromisoformat(instance.refreshed_credentials.pop("expires_at"))
    assert 86390 <= (expires_at - datetime.now(UTC)).total_seconds() <= 86400
    assert instance.refreshed_credentials == {
        **CREDENTIALS,
        "access_token": refreshed["access_token"],
        "refresh_token": refreshed["refresh_token"],
        "open_id": refreshed["open_id"],
    }


async def test_a_refused_refresh_is_an_authentication_error_without_secrets(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/oauth/token/", method="POST").respond_with_response(
        json_response(fixture("token_error.json"), 400)
    )
    serve(httpserver, token="never")
    instance = connector(httpserver)
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver, instance=instance)
    message = str(raised.value)
    assert message.startswith("tiktok refused to refresh the access token on POST /oauth/token/")
    assert "invalid_grant" in message
    assert not [secret for secret in SECRETS if secret in message]
    assert instance.refreshed_credentials is None


async def test_an_oauth_error_answered_with_200_is_refused_too(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/oauth/token/", method="POST").respond_with_json(fixture("token_error.json"))
    serve(httpserver, token="never")
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        await collect(httpserver)


async def test_an_expired_token_without_refresh_material_is_an_authentication_error(httpserver: HTTPServer) -> None:
    serve(httpserver, token="never")
    account = AccountRef(handle="techcreator", credentials={"access_token": ACCESS_TOKEN})
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver, account=account)
    message = str(raised.value)
    assert message.startswith("tiktok refused the credentials on GET /user/info/ (access_token_invalid")
    assert ACCESS_TOKEN not in message
    assert not requests_to(httpserver, "/oauth/token/")


# --- check() ------------------------------------------------------------------------------------------


async def test_check_accepts_good_credentials(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/user/info/").respond_with_json(fixture("user_info.json"))
    await connector(httpserver).check({"access_token": ACCESS_TOKEN})
    (request,) = requests_to(httpserver, "/user/info/")
    assert request.args["fields"] == "open_id,display_name"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_check_refuses_bad_credentials_without_leaking_them(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/user/info/").respond_with_response(
        json_response(fixture("error_access_token_invalid.json"), 401)
    )
    with pytest.raises(AuthenticationError) as raised:
        await connector(httpserver).check({"access_token": ACCESS_TOKEN})
    assert str(raised.value).startswith("tiktok refused the credentials")
    assert ACCESS_TOKEN not in str(raised.value)


async def test_check_without_a_token_is_refused() -> None:
    with pytest.raises(AuthenticationError, match="no access_token"):
        await TikTokConnector(base_url="http://127.0.0.1:9/").check({})


# --- resume, idempotence, hosts -----------------------------------------------------------------------


async def test_resuming_from_each_checkpoint_yields_exactly_the_remaining_records(httpserver: HTTPServer) -> None:
    serve(httpserver)
    full = await collect(httpserver)
    checkpoints = [n for n, record in enumerate(full) if isinstance(record, Checkpoint)]
    assert len(checkpoints) == 3  # after the user, after page 1, at the end
    for n in checkpoints:
        state = json.loads(json.dumps(full[n].state))  # type: ignore[union-attr]
        assert await collect(httpserver, state=state) == full[n + 1 :], state


async def test_resuming_mid_list_continues_from_the_saved_cursor(httpserver: HTTPServer) -> None:
    serve(httpserver)
    full = await collect(httpserver)
    mid = next(r for r in full if isinstance(r, Checkpoint) and "cursor" in r.state)
    httpserver.clear_log()
    await collect(httpserver, state=mid.state)
    assert not requests_to(httpserver, "/user/info/")
    bodies = [json.loads(r.get_data(as_text=True)) for r in requests_to(httpserver, "/video/list/")]
    assert bodies == [{"max_count": 20, "cursor": SECOND_CURSOR}]


async def test_a_rerun_yields_identical_records(httpserver: HTTPServer) -> None:
    serve(httpserver)
    assert await collect(httpserver) == await collect(httpserver)


async def test_no_request_leaves_the_base_url(httpserver: HTTPServer) -> None:
    seen: list[str] = []

    class Recording(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return await super().handle_async_request(request)

    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth/token/", method="POST").respond_with_json(refreshed)
    serve(httpserver, token=refreshed["access_token"])
    await collect(httpserver, instance=connector(httpserver, transport=Recording()))

    base = httpserver.url_for("/")
    assert seen
    assert [url for url in seen if not url.startswith(base)] == []
    assert any(url.startswith(base + "oauth/token/") for url in seen)


# --- OAuth onboarding and the operator's OAuth app ---------------------------------------------------

OPERATOR = OAuthClient(client_id="awxyz123", client_secret=CLIENT_SECRET)


def test_login_kit_names_the_client_client_key_and_takes_the_secret_in_the_body() -> None:
    oauth = TikTokConnector.oauth
    assert oauth is not None
    assert (oauth.client_id_param, oauth.client_auth) == ("client_key", "body")


async def test_the_oauth_token_becomes_credentials_with_the_open_id_and_fetch_reads_them(
    httpserver: HTTPServer,
) -> None:
    token = fixture("token_refreshed.json")  # the authorization code's answer has the same shape
    instance = TikTokConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    credentials = await instance.credentials_from_oauth(token, account=AccountRef(handle="techcreator"))

    jsonschema.validate(credentials, dict(TikTokConnector.credentials_schema))
    expires_at = datetime.fromisoformat(credentials.pop("expires_at"))
    assert 86390 <= (expires_at - datetime.now(UTC)).total_seconds() <= 86400
    assert credentials == {
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "open_id": "6784563321783754498",
        "scope": "user.info.basic,user.info.stats,video.list",
        "token_type": "Bearer",
    }, "the operator's app is not stored with the account"
    assert not httpserver.log, "nothing is called: the open_id comes with the token"

    serve(httpserver, token=token["access_token"])
    account = AccountRef(handle="techcreator", credentials={**credentials, "expires_at": expires_at.isoformat()})
    records = await collect(httpserver, account=account)
    assert len([r for r in records if isinstance(r, Post)]) == 4
    assert not requests_to(httpserver, "/oauth/token/")


async def test_a_mid_run_refresh_uses_the_operators_app_when_the_credentials_name_none(
    httpserver: HTTPServer,
) -> None:
    refreshed = fixture("token_refreshed.json")
    httpserver.expect_request("/oauth/token/", method="POST").respond_with_json(refreshed)
    serve(httpserver, token=refreshed["access_token"])
    stored = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "open_id": "6784563321783754498"}
    instance = TikTokConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    records = await collect(httpserver, account=AccountRef(handle="techcreator", credentials=stored), instance=instance)

    assert len([r for r in records if isinstance(r, Post)]) == 4
    (token_request,) = requests_to(httpserver, "/oauth/token/")
    form = parse_qs(token_request.get_data(as_text=True))
    assert (form["client_key"], form["client_secret"]) == (["awxyz123"], [CLIENT_SECRET])
    renewed = instance.refreshed_credentials
    assert renewed is not None
    assert not {"client_key", "client_secret"} & set(renewed), "the operator's app is never stored"
    jsonschema.validate(renewed, dict(TikTokConnector.credentials_schema))
