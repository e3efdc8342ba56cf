"""The `linkedin` connector against a local server answering LinkedIn's recorded response shapes."""

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

from plugins.connectors import linkedin
from plugins.connectors.linkedin import LinkedInConnector
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

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
ORG = "urn:li:organization:2414183"
TODAY = date(2026, 11, 10)
WINDOW = Window(since=date(2026, 11, 2), until=date(2026, 11, 8))
SECRETS = {
    "access_token": "AQV-live-access-token-4242",
    "refresh_token": "AQW-live-refresh-token-4242",
    "client_id": "86abcdefghij",
    "client_secret": "WPL_AP1.secret-value-4242",
}
ACCOUNT = AccountRef(handle="acme-industries", external_id="2414183", credentials=dict(SECRETS))
P1, P2, P3, P4, P5 = (
    "urn:li:share:7392000000000000001",
    "urn:li:ugcPost:7391000000000000002",
    "urn:li:share:7390000000000000003",
    "urn:li:share:7389000000000000004",
    "urn:li:share:7380000000000000005",
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


# --- a small router in front of pytest-httpserver ----------------------------------------------------


def full_run_answers() -> list[Answer]:
    """Everything one check() and one fetch of ACCOUNT over WINDOW ask for."""
    return [
        Answer("GET", "/organizationAcls", {"q": "roleAssignee"}, fixture("organization_acls.json")),
        Answer(
            "GET", f"/networkSizes/{ORG}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}, fixture("network_sizes.json")
        ),
        Answer(
            "GET",
            "/organizationalEntityFollowerStatistics",
            {"q": "organizationalEntity", "organizationalEntity": ORG},
            fixture("follower_statistics_daily.json"),
        ),
        Answer(
            "GET",
            "/organizationalEntityShareStatistics",
            {"shares": f"List({P3})", "ugcPosts": f"List({P2})"},
            fixture("post_statistics_page1.json"),
        ),
        Answer(
            "GET",
            "/organizationalEntityShareStatistics",
            {"shares": f"List({P4})"},
            fixture("post_statistics_page2.json"),
        ),
        Answer(
            "GET",
            "/organizationalEntityShareStatistics",
            {"q": "organizationalEntity", "organizationalEntity": ORG},
            fixture("share_statistics_daily.json"),
        ),
        Answer(
            "GET",
            "/organizationalEntityShareStatistics",
            {"shares": f"List({P1})"},
            fixture("post_statistics_latest.json"),
        ),
        Answer("GET", "/posts", {"q": "author", "author": ORG, "start": "3"}, fixture("posts_page2.json")),
        Answer("GET", "/posts", {"q": "author", "author": ORG, "start": "0"}, fixture("posts_page1.json")),
        Answer("GET", f"/socialActions/{P2}/comments", {"start": "2"}, fixture("comments_post2_page2.json")),
        Answer("GET", f"/socialActions/{P2}/comments", {"start": "0"}, fixture("comments_post2_page1.json")),
        Answer("GET", f"/socialActions/{P1}/comments", None, fixture("comments_empty.json")),
        Answer("GET", f"/socialActions/{P3}/comments", None, fixture("comments_post3.json")),
        Answer("GET", f"/socialActions/{P4}/comments", None, fixture("comments_empty.json")),
        Answer("GET", f"/socialActions/{P5}/comments", None, fixture("comments_post5.json")),
    ]


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pinned "today" (see the fixtures' README)."""
    monkeypatch.setattr(linkedin, "_today", lambda: TODAY)


@pytest.fixture
def router(httpserver: HTTPServer) -> Router:
    return Router(httpserver, full_run_answers())


def connector_for(server: HTTPServer, transport: httpx.AsyncBaseTransport | None = None) -> LinkedInConnector:
    return LinkedInConnector(base_url=server.url_for("/"), transport=transport)


async def collect(
    server: HTTPServer,
    account: AccountRef = ACCOUNT,
    window: Window = WINDOW,
    state: dict[str, Any] | None = None,
    connector: LinkedInConnector | None = None,
) -> list[Record]:
    connector = connector or connector_for(server)
    return [record async for record in connector.fetch(account, window, state or {})]


def secret_free(message: str) -> None:
    for secret in (SECRETS["access_token"], SECRETS["refresh_token"], SECRETS["client_secret"]):
        assert secret not in message


# --- metadata ---------------------------------------------------------------------------------------


def test_registers_through_the_plugin_hook_with_real_oauth_endpoints() -> None:
    assert_registers(linkedin, LinkedInConnector)
    oauth = LinkedInConnector.oauth
    assert oauth is not None
    assert oauth.authorize_url == "https://www.linkedin.com/oauth/v2/authorization"
    assert oauth.token_url == "https://www.linkedin.com/oauth/v2/accessToken"
    assert set(oauth.scopes) == {"rw_organization_admin", "r_organization_social"}
    assert "public_data" not in LinkedInConnector.capabilities
    assert "administer" in (LinkedInConnector.__doc__ or "")


def test_metrics_map_to_the_catalogue_and_secrets_are_write_only() -> None:
    catalogue = built_in_metrics()
    mapping = {declaration.native: declaration.canonical for declaration in LinkedInConnector.metrics}
    assert mapping == {
        "firstDegreeSize": "followers",
        "impressionCount": "impressions",
        "uniqueImpressionsCount": "reach",
        "clickCount": "clicks",
        "likeCount": "reactions",
        "commentCount": "comments",
        "shareCount": "shares",
    }
    for declaration in LinkedInConnector.metrics:
        assert catalogue[declaration.canonical].unit == declaration.unit
    schema = LinkedInConnector.credentials_schema
    assert schema["additionalProperties"] is False
    for secret in ("access_token", "refresh_token", "client_secret"):
        assert schema["properties"][secret]["writeOnly"] is True


# --- fetch: metrics, posts, comments ---------------------------------------------------------------


async def test_daily_share_statistics_map_to_their_days(httpserver: HTTPServer, router: Router) -> None:
    records = await collect(httpserver)
    points = {(p.native_metric, p.day): p for p in of_type(records, MetricPoint)}
    for element in fixture("share_statistics_daily.json")["elements"]:
        day = datetime.fromtimestamp(element["timeRange"]["start"] / 1000, tz=UTC).date()
        totals = element["totalShareStatistics"]
        for native in ("impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount"):
            assert points[native, day].value == totals[native]
            assert points[native, day].quality == "exact"
        assert points["shareCount", day].value == totals["shareCount"]
    assert points["impressionCount", date(2026, 11, 4)].value == 7900
    assert not any(native == "engagement" for native, _ in points), "engagement is a rate, not a counted metric"
    assert {day for _, day in points} == {WINDOW.since + timedelta(days=n) for n in range(7)}


async def test_followers_are_rebuilt_from_the_count_now_and_the_daily_gains(
    httpserver: HTTPServer, router: Router
) -> None:
    records = await collect(httpserver)
    followers = {p.day: p for p in of_type(records, MetricPoint) if p.native_metric == "firstDegreeSize"}
    now = fixture("network_sizes.json")["firstDegreeSize"]
    gains = {
        datetime.fromtimestamp(e["timeRange"]["start"] / 1000, tz=UTC).date(): e["followerGains"]["organicFollowerGain"]
        + e["followerGains"]["paidFollowerGain"]
        for e in fixture("follower_statistics_daily.json")["elements"]
    }
    for day, point in followers.items():
        assert point.value == now - sum(gain for gain_day, gain in gains.items() if gain_day > day)
        assert point.quality == "estimated"
    assert followers[date(2026, 11, 8)].value == 48198  # 48210 minus the 12 gained on Nov 9
    assert sorted(followers) == [WINDOW.since + timedelta(days=n) for n in range(7)]
    follower_query = router.to("/organizationalEntityFollowerStatistics")[0].args
    assert follower_query["timeIntervals"] == (
        f"(timeRange:(start:{ms(WINDOW.since)},end:{ms(TODAY)}),timeGranularityType:DAY)"
    )


async def test_todays_follower_count_is_exact(httpserver: HTTPServer, router: Router) -> None:
    records = await collect(httpserver, window=Window(since=date(2026, 11, 8), until=TODAY))
    followers = {p.day: p for p in of_type(records, MetricPoint) if p.native_metric == "firstDegreeSize"}
    assert followers[TODAY].value == 48210
    assert followers[TODAY].quality == "exact"
    assert followers[date(2026, 11, 9)].quality == "estimated"


async def test_posts_in_the_window_carry_their_lifetime_statistics(httpserver: HTTPServer, router: Router) -> None:
    posts = {post.external_id: post for post in of_type(await collect(httpserver), Post)}
    assert list(posts) == [P2, P3, P4], "P1 is after the window and P5 before it"
    video = posts[P2]
    assert video.published_at == datetime(2026, 11, 6, 14, 30, tzinfo=UTC)
    assert video.media_type == "video"
    assert video.text.startswith("Behind the scenes at our Lyon workshop")
    assert video.url == f"https://www.linkedin.com/feed/update/{P2}/"
    assert video.metrics == {
        "impressionCount": 9120.0,
        "uniqueImpressionsCount": 6044.0,
        "clickCount": 133.0,
        "likeCount": 260.0,
        "commentCount": 31.0,
        "shareCount": 12.0,
    }
    assert posts[P3].media_type == "link"
    assert posts[P4].media_type == "text"
    assert posts[P4].metrics["impressionCount"] == 12650.0
    assert all(post.published_at.tzinfo is not None for post in posts.values())


async def test_comments_in_the_window_become_mentions(httpserver: HTTPServer, router: Router) -> None:
    mentions = {mention.external_id: mention for mention in of_type(await collect(httpserver), Mention)}
    activity2 = "urn:li:activity:7391000000000000020"
    first = mentions[f"urn:li:comment:({activity2},7391500000000000011)"]
    assert first.text == "Superbe atelier, bravo à toute l'équipe !"
    assert first.author == "urn:li:person:Xy12AbCdEf"
    assert first.kind == "comment"
    assert first.post_external_id == P2
    assert first.published_at == datetime(2026, 11, 6, 15, 2, tzinfo=UTC)
    assert str(first.url).startswith(f"https://www.linkedin.com/feed/update/{P2}/?commentUrn=")
    reply = mentions["urn:li:comment:(urn:li:activity:7390000000000000030,7390500000000000032)"]
    assert reply.kind == "reply"
    assert reply.post_external_id == P3
    older_post = mentions["urn:li:comment:(urn:li:activity:7380000000000000050,7380500000000000051)"]
    assert older_post.post_external_id == P5, "comments on posts from the look-back period are collected"
    assert len(mentions) == 4, "the page's own comment and comments outside the window are left out"
    assert len(router.to(f"/socialActions/{P2}/comments")) == 2, "both comment pages are read"
    assert not router.to(f"/socialActions/{P1}/comments"), "a post published after the window has no comment in it"


async def test_every_record_is_valid_for_the_engine(httpserver: HTTPServer, router: Router) -> None:
    validator = RecordValidator(LinkedInConnector, WINDOW)
    for record in await collect(httpserver):
        validator.check(record)


async def test_two_pages_of_posts_are_followed_with_a_checkpoint_after_each(
    httpserver: HTTPServer, router: Router
) -> None:
    records = await collect(httpserver)
    assert [seen.args["start"] for seen in router.to("/posts")] == ["0", "3"]
    states = [record.state for record in of_type(records, Checkpoint)]
    assert states == [{"phase": "posts", "start": 0}, {"phase": "posts", "start": 3}, {"phase": "done"}]


async def test_paging_stops_at_posts_older_than_the_comment_look_back(httpserver: HTTPServer) -> None:
    page = fixture("posts_page2.json")
    page["paging"]["total"] = 500  # more pages exist, but these posts already predate the look-back
    router = Router(
        httpserver,
        [
            Answer("GET", "/posts", None, page),
            Answer(
                "GET",
                "/organizationalEntityShareStatistics",
                {"shares": f"List({P4})"},
                fixture("post_statistics_page2.json"),
            ),
            Answer("GET", f"/socialActions/{P4}/comments", None, fixture("comments_empty.json")),
        ],
    )
    account = AccountRef(
        handle=ACCOUNT.handle,
        external_id=ACCOUNT.external_id,
        credentials=dict(SECRETS),
        settings={"comments_lookback_days": 7},
    )
    records = await collect(httpserver, account=account, state={"phase": "posts", "start": 0})
    assert len(router.to("/posts")) == 1
    assert of_type(records, Checkpoint)[-1].state == {"phase": "done"}
    assert not router.to(f"/socialActions/{P5}/comments"), "P5 predates the 7-day look-back"


async def test_resuming_from_a_checkpoint_yields_the_remaining_records(httpserver: HTTPServer, router: Router) -> None:
    full = await collect(httpserver)
    middle = full.index(Checkpoint(state={"phase": "posts", "start": 3}))
    router.seen.clear()
    resumed = await collect(httpserver, state={"phase": "posts", "start": 3})
    assert resumed == full[middle + 1 :]
    assert not router.to(f"/networkSizes/{ORG}"), "finished phases are not fetched again"


async def test_a_rerun_yields_identical_records(httpserver: HTTPServer, router: Router) -> None:
    assert await collect(httpserver) == await collect(httpserver)


# --- the wire format -------------------------------------------------------------------------------


async def test_requests_use_rest_li_2_syntax_and_the_version_headers(httpserver: HTTPServer, router: Router) -> None:
    await collect(httpserver)
    size = router.to(f"/networkSizes/{ORG}")[0]
    assert "/networkSizes/urn%3Ali%3Aorganization%3A2414183?edgeType=COMPANY_FOLLOWED_BY_MEMBER" in size.raw_uri
    shares = router.to("/organizationalEntityShareStatistics")[0]
    window_end = ms(WINDOW.until + timedelta(days=1))
    assert (
        f"organizationalEntity=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:{ms(WINDOW.since)},"
        f"end:{window_end}),timeGranularityType:DAY)"
    ) in shares.raw_uri
    per_post = router.to("/organizationalEntityShareStatistics")[1]
    assert "shares=List(urn%3Ali%3Ashare%3A7390000000000000003)" in per_post.raw_uri
    assert "ugcPosts=List(urn%3Ali%3AugcPost%3A7391000000000000002)" in per_post.raw_uri
    assert (
        "/socialActions/urn%3Ali%3AugcPost%3A7391000000000000002/comments"
        in router.to(f"/socialActions/{P2}/comments")[0].raw_uri
    )
    assert "author=urn%3Ali%3Aorganization%3A2414183" in router.to("/posts")[0].raw_uri
    for seen in router.seen:
        assert seen.headers["Linkedin-Version"] == "202603"
        assert seen.headers["X-Restli-Protocol-Version"] == "2.0.0"
        assert seen.headers["Authorization"] == f"Bearer {SECRETS['access_token']}"


async def test_the_version_header_follows_the_account_setting(httpserver: HTTPServer, router: Router) -> None:
    account = AccountRef(
        handle="acme", external_id=ORG, credentials=dict(SECRETS), settings={"linkedin_version": "202607"}
    )
    await collect(httpserver, account=account, state={"phase": "done"})
    await collect(httpserver, account=account, window=Window(since=date(2026, 11, 8), until=date(2026, 11, 8)))
    assert {seen.headers["Linkedin-Version"] for seen in router.seen} == {"202607"}
    broken = AccountRef(handle="acme", external_id=ORG, credentials=dict(SECRETS), settings={"linkedin_version": "v2"})
    with pytest.raises(ConnectorError, match="linkedin_version"):
        await collect(httpserver, account=broken)


async def test_statistics_older_than_twelve_months_are_not_asked_for(httpserver: HTTPServer, router: Router) -> None:
    old = Window(since=date(2025, 6, 1), until=date(2025, 6, 30))
    records = await collect(httpserver, window=old)
    assert not of_type(records, MetricPoint)
    assert not router.to("/organizationalEntityShareStatistics") or all(
        "timeIntervals" not in seen.args for seen in router.to("/organizationalEntityShareStatistics")
    )
    follower_query = router.to("/organizationalEntityFollowerStatistics")
    assert follower_query, "gains within the last 12 months still date the follower count"
    assert f"start:{ms(TODAY - timedelta(days=364))}," in follower_query[0].args["timeIntervals"]


# --- failures ---------------------------------------------------------------------------------------


async def test_a_429_with_retry_after_is_waited_out_then_retried(
    httpserver: HTTPServer, router: Router, waits: list[float]
) -> None:
    expected = await collect(httpserver)
    router.prepend(
        Answer(
            "GET",
            "/posts",
            None,
            fixture("error_daily_limit.json") | {"message": "Too many requests"},
            status=429,
            headers={"Retry-After": "7"},
            times=1,
        )
    )
    assert await collect(httpserver) == expected
    assert 7.0 in waits
    assert len(router.to("/posts")) == 2 + 3  # two pages in the first run, a refused one and two in the second


async def test_the_daily_application_limit_ends_the_run(httpserver: HTTPServer, router: Router) -> None:
    router.prepend(Answer("GET", "/posts", None, fixture("error_daily_limit.json"), status=429))
    with pytest.raises(RateLimitedError) as limited:
        await collect(httpserver)
    assert "linkedin" in str(limited.value)
    assert (limited.value.retry_after or 0) > 60


async def test_a_server_error_is_retried(httpserver: HTTPServer, router: Router) -> None:
    expected = await collect(httpserver)
    router.prepend(
        Answer("GET", f"/networkSizes/{ORG}", None, {"message": "Internal Server Error"}, status=503, times=2)
    )
    assert await collect(httpserver) == expected


async def test_an_expired_token_is_refreshed_and_the_new_credentials_kept(httpserver: HTTPServer) -> None:
    answers = full_run_answers()
    old = {"Authorization": f"Bearer {SECRETS['access_token']}"}
    answers.insert(
        0,
        Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_expired_token.json"), status=401, when_headers=old),
    )
    answers.insert(0, Answer("POST", "/oauth/v2/accessToken", None, fixture("token_refreshed.json")))
    router = Router(httpserver, answers)
    connector = connector_for(httpserver)
    records = await collect(httpserver, connector=connector, window=Window(since=WINDOW.until, until=WINDOW.until))
    assert of_type(records, MetricPoint)
    token_call = router.to("/oauth/v2/accessToken")[0]
    assert token_call.form == {
        "grant_type": "refresh_token",
        "refresh_token": SECRETS["refresh_token"],
        "client_id": SECRETS["client_id"],
        "client_secret": SECRETS["client_secret"],
    }
    assert "Authorization" not in token_call.headers
    assert router.seen[-1].headers["Authorization"] == "Bearer AQV-refreshed-access-token-0001"
    assert renewed_expiry(connector.refreshed_credentials, 5184000) == {
        **SECRETS,
        "access_token": "AQV-refreshed-access-token-0001",
        "refresh_token": "AQW-rotated-refresh-token-0002",
    }


async def test_an_expired_token_without_refresh_token_needs_reconnecting(httpserver: HTTPServer) -> None:
    Router(httpserver, [Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_expired_token.json"), status=401)])
    account = AccountRef(handle="acme", external_id="2414183", credentials={"access_token": SECRETS["access_token"]})
    with pytest.raises(AuthenticationError) as refused:
        await collect(httpserver, account=account)
    message = str(refused.value)
    assert "linkedin" in message
    assert "/networkSizes/" in message
    assert "EXPIRED_ACCESS_TOKEN" in message
    secret_free(message)


async def test_a_refused_refresh_is_an_authentication_error_without_secrets(httpserver: HTTPServer) -> None:
    router = Router(
        httpserver,
        [
            Answer("POST", "/oauth/v2/accessToken", None, fixture("error_refresh_refused.json"), status=400),
            Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_expired_token.json"), status=401),
        ],
    )
    with pytest.raises(AuthenticationError) as refused:
        await collect(httpserver)
    assert "linkedin" in str(refused.value)
    assert "accessToken" in str(refused.value)
    secret_free(str(refused.value))
    assert len(router.to("/oauth/v2/accessToken")) == 1, "a refused refresh is not retried"


async def test_a_member_who_is_not_admin_is_told_why(httpserver: HTTPServer, router: Router) -> None:
    router.prepend(Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_access_denied.json"), status=403))
    account = AccountRef(handle="acme", external_id="2414183", credentials={"access_token": SECRETS["access_token"]})
    with pytest.raises(AuthenticationError, match="ADMINISTRATOR"):
        await collect(httpserver, account=account)


async def test_a_sunset_version_is_reported(httpserver: HTTPServer, router: Router) -> None:
    router.prepend(Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_version_sunset.json"), status=426))
    with pytest.raises(BadResponseError, match="Linkedin-Version"):
        await collect(httpserver)


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/posts", Answer("GET", "/posts", None, body="<html>upstream proxy error</html>")),
        ("/posts", Answer("GET", "/posts", None, {"paging": {"start": 0, "count": 50}})),
        (f"/networkSizes/{ORG}", Answer("GET", f"/networkSizes/{ORG}", None, {"size": 12})),
    ],
    ids=["not-json", "no-elements", "no-firstDegreeSize"],
)
async def test_a_malformed_body_is_a_bad_response_naming_linkedin(
    httpserver: HTTPServer, router: Router, path: str, answer: Answer
) -> None:
    router.prepend(answer)
    with pytest.raises(BadResponseError) as failure:
        await collect(httpserver)
    assert "linkedin" in str(failure.value)
    assert path.split("/")[1] in str(failure.value)


async def test_a_competitor_is_refused_before_any_request(httpserver: HTTPServer, router: Router) -> None:
    competitor = AccountRef(handle="globex", external_id="1035", kind="competitor", credentials=dict(SECRETS))
    with pytest.raises(ConnectorError) as refused:
        await collect(httpserver, account=competitor)
    message = str(refused.value)
    assert "linkedin" in message
    assert "competitor" in message
    assert "administers" in message
    assert not isinstance(refused.value, AuthenticationError), "nothing is wrong with the credentials"
    assert router.seen == []


async def test_an_account_without_organization_id_is_refused(httpserver: HTTPServer, router: Router) -> None:
    with pytest.raises(ConnectorError, match="external_id"):
        await collect(httpserver, account=AccountRef(handle="acme", credentials=dict(SECRETS)))


# --- check -----------------------------------------------------------------------------------------


async def test_check_accepts_an_administrator_token(httpserver: HTTPServer, router: Router) -> None:
    await connector_for(httpserver).check(dict(SECRETS))
    assert router.to("/organizationAcls")[0].args == {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}


async def test_check_refuses_bad_credentials_without_echoing_them(httpserver: HTTPServer) -> None:
    Router(httpserver, [Answer("GET", "/organizationAcls", None, fixture("error_invalid_token.json"), status=401)])
    bad = {"access_token": SECRETS["access_token"]}
    with pytest.raises(AuthenticationError) as refused:
        await connector_for(httpserver).check(bad)
    assert "linkedin" in str(refused.value)
    assert "INVALID_ACCESS_TOKEN" in str(refused.value)
    secret_free(str(refused.value))


async def test_check_refuses_missing_token_without_a_request(httpserver: HTTPServer, router: Router) -> None:
    with pytest.raises(AuthenticationError, match="access_token"):
        await connector_for(httpserver).check({})
    assert router.seen == []


# --- hosts ----------------------------------------------------------------------------------------


async def test_no_request_leaves_the_base_url(httpserver: HTTPServer) -> None:
    answers = full_run_answers()
    answers.insert(0, Answer("POST", "/oauth/v2/accessToken", None, fixture("token_refreshed.json")))
    answers.insert(
        0,
        Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_expired_token.json"), status=401, times=1),
    )
    Router(httpserver, answers)
    transport = Recording()
    await collect(httpserver, connector=connector_for(httpserver, transport))
    base = httpserver.url_for("/")
    assert transport.urls
    assert all(url.startswith(base) for url in transport.urls)
    assert any(url.endswith("/oauth/v2/accessToken") for url in transport.urls), "the refresh stays under the base"


async def test_default_hosts_are_the_api_and_the_token_endpoint_only() -> None:
    async with LinkedInConnector().http() as client:
        assert client.resolve("posts").startswith("https://api.linkedin.com/rest/posts")
        assert client.resolve(linkedin.TOKEN_URL) == "https://www.linkedin.com/oauth/v2/accessToken"
        with pytest.raises(ForbiddenUrlError):
            client.resolve("https://www.linkedin.com/company/acme/")


async def test_no_refresh_is_tried_without_the_client_secret(httpserver: HTTPServer) -> None:
    router = Router(
        httpserver,
        [
            Answer("POST", "/oauth/v2/accessToken", None, fixture("token_refreshed.json")),
            Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_expired_token.json"), status=401),
        ],
    )
    partial = {key: value for key, value in SECRETS.items() if key != "client_secret"}
    with pytest.raises(AuthenticationError):
        await collect(httpserver, account=AccountRef(handle="acme", external_id="2414183", credentials=partial))
    assert not router.to("/oauth/v2/accessToken")


async def test_todays_partial_statistics_are_not_asked_for(httpserver: HTTPServer, router: Router) -> None:
    await collect(httpserver, window=Window(since=date(2026, 11, 8), until=TODAY), state={})
    daily = [seen for seen in router.to("/organizationalEntityShareStatistics") if "timeIntervals" in seen.args]
    assert daily[0].args["timeIntervals"] == (
        f"(timeRange:(start:{ms(date(2026, 11, 8))},end:{ms(TODAY)}),timeGranularityType:DAY)"
    )


# --- OAuth onboarding and the operator's OAuth app ---------------------------------------------------

OPERATOR = OAuthClient(client_id=SECRETS["client_id"], client_secret=SECRETS["client_secret"])
OAUTH_TOKEN = {
    "access_token": SECRETS["access_token"],
    "expires_in": 5184000,
    "refresh_token": SECRETS["refresh_token"],
    "refresh_token_expires_in": 31536000,
    "scope": "r_organization_social,rw_organization_admin",
}
"""What the token endpoint answers an authorization code."""


async def test_the_oauth_token_becomes_credentials_the_schema_accepts_and_fetch_reads(httpserver: HTTPServer) -> None:
    router = Router(httpserver, full_run_answers())
    instance = LinkedInConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    credentials = await instance.credentials_from_oauth(
        OAUTH_TOKEN, account=AccountRef(handle="acme-industries", external_id="2414183")
    )

    jsonschema.validate(credentials, dict(LinkedInConnector.credentials_schema))
    assert renewed_expiry(credentials, 5184000) == {
        "access_token": SECRETS["access_token"],
        "refresh_token": SECRETS["refresh_token"],
        "scope": OAUTH_TOKEN["scope"],
        "token_type": OAUTH_TOKEN.get("token_type", "Bearer"),
        "organization_id": "2414183",
    }, "the operator's app is not stored with the account"
    assert [seen.path for seen in router.seen] == ["/organizationAcls"], "onboarding only checks the page"
    router.seen.clear()

    typed = await collect(httpserver)
    onboarded = await collect(httpserver, account=msgspec.structs.replace(ACCOUNT, credentials=credentials))
    assert onboarded == typed
    assert of_type(onboarded, Post)
    assert all(seen.headers["Authorization"] == f"Bearer {SECRETS['access_token']}" for seen in router.seen)


async def test_a_mid_run_refresh_uses_the_operators_app_when_the_credentials_name_none(
    httpserver: HTTPServer,
) -> None:
    answers = full_run_answers()
    old = {"Authorization": f"Bearer {SECRETS['access_token']}"}
    answers.insert(
        0,
        Answer("GET", f"/networkSizes/{ORG}", None, fixture("error_expired_token.json"), status=401, when_headers=old),
    )
    answers.insert(0, Answer("POST", "/oauth/v2/accessToken", None, fixture("token_refreshed.json")))
    router = Router(httpserver, answers)
    stored = {
        "access_token": SECRETS["access_token"],
        "refresh_token": SECRETS["refresh_token"],
        "expires_at": "2026-11-10T08:00:00+00:00",
        "scope": OAUTH_TOKEN["scope"],
        "token_type": "Bearer",
    }
    instance = LinkedInConnector(base_url=httpserver.url_for("/"), oauth_client=OPERATOR)
    account = msgspec.structs.replace(ACCOUNT, credentials=stored)
    assert of_type(
        await collect(
            httpserver, account=account, window=Window(since=WINDOW.until, until=WINDOW.until), connector=instance
        ),
        MetricPoint,
    )

    (token_call,) = router.to("/oauth/v2/accessToken")
    assert (token_call.form["client_id"], token_call.form["client_secret"]) == (
        OPERATOR.client_id,
        OPERATOR.client_secret,
    )
    renewed = instance.refreshed_credentials
    assert renewed is not None
    assert not {"client_id", "client_secret"} & set(renewed), "the operator's app is never stored"
    assert renewed["expires_at"] > stored["expires_at"]
    jsonschema.validate(renewed, dict(LinkedInConnector.credentials_schema))
