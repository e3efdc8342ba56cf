"""The `facebook_pages` connector against a local Graph API serving recorded/derived responses.

Fixtures are in tests/connectors/fixtures/facebook_pages/ (see its README): the shapes of Meta's
Graph API answers, with `{base}` in `paging.next` links replaced by the local server's URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from plugins.connectors import _meta_graph, facebook_pages
from plugins.connectors._meta_graph import GRAPH_API_VERSION, exchange_long_lived_user_token, page_access_token
from plugins.connectors.facebook_pages import POST_FIELDS, FacebookPagesConnector
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    BearerToken,
    Checkpoint,
    ConnectorError,
    ConnectorHttp,
    EgressPolicy,
    MetricPoint,
    OAuthClient,
    RateLimitedError,
    Record,
    RecordValidator,
    TransientError,
    Window,
    built_in_metrics,
)
from tests.connectors.answering import Recording
from tests.connectors.graph_api import Graph
from tests.connectors.records import at, mentions, posts
from tests.connectors.registration import assert_registers

FIXTURES = Path(__file__).parent / "fixtures" / "facebook_pages"
PAGE_ID = "104017745210123"
TOKEN = "EAAGm0PX4ZCpsBAKZAZBsecret-page-token"
WINDOW = Window(since=date(2026, 3, 1), until=date(2026, 3, 3))
ACCOUNT = AccountRef(handle="boulangerie.dupont", external_id=PAGE_ID, credentials={"page_access_token": TOKEN})
V = f"/{GRAPH_API_VERSION}"
INSIGHTS = f"{V}/{PAGE_ID}/insights"
POSTS = f"{V}/{PAGE_ID}/posts"
TAGGED = f"{V}/{PAGE_ID}/tagged"
POST_A, POST_B, POST_C = f"{PAGE_ID}_1201", f"{PAGE_ID}_1198", f"{PAGE_ID}_1190"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- a local Graph API ----------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


def full_fetch(graph: Graph) -> Graph:
    """Every response of one fetch of the account over WINDOW."""
    return (
        graph.add("GET", f"{V}/me", json=fixture("me.json"))
        .add("GET", INSIGHTS, json=fixture("page_insights.json"))
        .add(
            "GET",
            POSTS,
            query={"after": fixture("posts_page1.json")["paging"]["cursors"]["after"]},
            json=fixture("posts_page2.json"),
        )
        .add("GET", POSTS, json=fixture("posts_page1.json"))
        .add(
            "GET",
            f"{V}/{POST_A}/comments",
            query={"after": fixture("comments_1201_page1.json")["paging"]["cursors"]["after"]},
            json=fixture("comments_1201_page2.json"),
        )
        .add("GET", f"{V}/{POST_A}/comments", json=fixture("comments_1201_page1.json"))
        .add("GET", f"{V}/{POST_C}/comments", json=fixture("comments_1190.json"))
        .add("GET", TAGGED, json=fixture("tagged.json"))
    )


def connector(graph: Graph, transport: httpx.AsyncBaseTransport | None = None) -> FacebookPagesConnector:
    return FacebookPagesConnector(base_url=graph.base, transport=transport)


def collect(
    graph: Graph,
    account: AccountRef = ACCOUNT,
    window: Window = WINDOW,
    state: Mapping[str, Any] | None = None,
) -> list[Record]:
    async def run() -> list[Record]:
        return [record async for record in connector(graph).fetch(account, window, dict(state or {}))]

    return asyncio.run(run())


def points(records: list[Record]) -> dict[tuple[str, date], float]:
    return {(r.native_metric, r.day): r.value for r in records if isinstance(r, MetricPoint)}


# --- metadata ---------------------------------------------------------------------------------------


def test_registers_through_the_plugin_hook_and_maps_to_the_catalogue() -> None:
    assert_registers(facebook_pages, FacebookPagesConnector)
    catalogue = built_in_metrics()
    declared = FacebookPagesConnector.declared()
    assert all(d.canonical in catalogue for d in declared.values())
    assert declared["page_follows"].canonical == "followers"
    assert declared["page_media_view"].canonical == "impressions"
    assert declared["page_total_media_view_unique"].canonical == "reach"


def test_deprecated_page_metrics_are_declared_with_their_replacements() -> None:
    declared = FacebookPagesConnector.declared()
    expected = {
        "page_fans": ("page_follows", date(2025, 11, 15)),
        "page_impressions": ("page_media_view", date(2025, 11, 15)),
        "page_impressions_unique": ("page_total_media_view_unique", date(2026, 6, 15)),
        "post_impressions": ("post_media_view", date(2025, 11, 15)),
        "post_impressions_unique": ("post_total_media_view_unique", date(2026, 6, 15)),
    }
    for native, (replacement, until) in expected.items():
        assert declared[native].replaced_by == replacement
        assert declared[native].valid_until == until
        assert declared[native].canonical == declared[replacement].canonical
    assert not set(expected) & set(facebook_pages.PAGE_METRICS), "a removed metric is still requested"


def test_oauth_is_facebook_login_at_the_shared_version_and_no_public_data() -> None:
    oauth = FacebookPagesConnector.oauth
    assert oauth is not None
    assert oauth.authorize_url == f"https://www.facebook.com/{GRAPH_API_VERSION}/dialog/oauth"
    assert oauth.token_url == f"https://graph.facebook.com/{GRAPH_API_VERSION}/oauth/access_token"
    assert {"pages_read_engagement", "read_insights"} <= set(oauth.scopes)
    assert "public_data" not in FacebookPagesConnector.capabilities
    assert "Page Public Content Access" in " ".join((FacebookPagesConnector.__doc__ or "").split())
    schema = FacebookPagesConnector.credentials_schema
    assert schema["additionalProperties"] is False
    assert schema["properties"]["page_access_token"]["writeOnly"] is True
    assert schema["properties"]["app_secret"]["writeOnly"] is True


# --- a full fetch -----------------------------------------------------------------------------------


def test_daily_insights_are_parsed_per_day_from_end_time(graph: Graph) -> None:
    records = collect(full_fetch(graph))
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    expected: dict[tuple[str, date], float] = {}
    for metric in fixture("page_insights.json")["data"]:
        if metric["period"] == "day":
            for day, entry in zip(days, metric["values"], strict=True):
                expected[metric["name"], day] = float(entry["value"])
    assert points(records) == expected
    assert len(expected) == 21  # 7 metrics x 3 days; the weekly series is not a daily value
    assert points(records)["page_media_view", date(2026, 3, 3)] == 12044.0
    assert points(records)["page_follows", date(2026, 3, 1)] == 5120.0
    assert all(r.quality == "exact" for r in records if isinstance(r, MetricPoint))


def test_posts_carry_text_url_type_and_declared_metrics(graph: Graph) -> None:
    found = posts(collect(full_fetch(graph)))
    assert list(found) == [POST_A, POST_B, POST_C]
    a = found[POST_A]
    assert a.published_at == at("2026-03-03T16:42:10")
    assert a.text.startswith("Nouvelle fournée de croissants")
    assert a.url == f"https://www.facebook.com/{PAGE_ID}/posts/1201"
    assert a.media_type == "photo"
    assert a.metrics == {
        "reactions": 143.0,
        "comments": 3.0,
        "shares": 7.0,
        "post_media_view": 5210.0,
        "post_total_media_view_unique": 3980.0,
        "post_clicks": 211.0,
    }
    b = found[POST_B]
    assert b.media_type == "mobile_status_update"  # no attachment: the status type says what it is
    assert b.metrics["shares"] == 0.0  # Meta omits `shares` when nobody shared
    c = found[POST_C]
    assert c.media_type == "video"
    assert c.metrics["post_media_view"] == 20400.0
    assert c.metrics["reactions"] == 512.0
    assert set().union(*(p.metrics for p in found.values())) <= set(FacebookPagesConnector.declared())


def test_comments_replies_and_tags_become_mentions(graph: Graph) -> None:
    found = mentions(collect(full_fetch(graph)))
    assert set(found) == {"1201_501", "1201_502", "1201_504", "1190_601", "100004512345678_889911"}
    comment, reply = found["1201_501"], found["1201_502"]
    assert (comment.kind, comment.author, comment.post_external_id) == ("comment", "Camille Martin", POST_A)
    assert comment.text == "Les meilleurs croissants du quartier, merci !"
    assert comment.published_at == at("2026-03-03T17:01:44")
    assert comment.url == f"https://www.facebook.com/{PAGE_ID}/posts/1201?comment_id=501"
    assert (reply.kind, reply.post_external_id) == ("reply", POST_A)
    assert found["1201_504"].text == "Vous ouvrez à quelle heure dimanche ?"  # from the second comments page
    assert "1201_503" not in found  # a sticker has no text to analyse
    tag = found["100004512345678_889911"]
    assert (tag.kind, tag.author, tag.post_external_id) == ("mention", "Julien Petit", None)
    assert tag.url == "https://www.facebook.com/100004512345678/posts/889911"


def test_every_record_passes_the_engine_validation(graph: Graph) -> None:
    validator = RecordValidator(FacebookPagesConnector, WINDOW)
    records = collect(full_fetch(graph))
    for record in records:
        validator.check(record)
    assert isinstance(records[-1], Checkpoint)
    assert records[-1].state["last_day"] == "2026-03-03"
    assert records[-1].state["resume"]["stage"] == "done"


def test_requests_use_the_documented_endpoints_and_parameters(graph: Graph) -> None:
    collect(full_fetch(graph))
    (insights,) = graph.to(INSIGHTS)
    assert insights.query["metric"] == [",".join(facebook_pages.PAGE_METRICS)]
    assert insights.query["period"] == ["day"]
    assert (insights.query["since"], insights.query["until"]) == (["2026-03-01"], ["2026-03-04"])
    first, second = graph.to(POSTS)
    assert first.query["fields"] == [POST_FIELDS]
    assert first.query["since"] == [str(int(at("2026-03-01T00:00:00").timestamp()))]
    assert first.query["until"] == [str(int(at("2026-03-04T00:00:00").timestamp()))]
    assert second.query["after"] == [fixture("posts_page1.json")["paging"]["cursors"]["after"]]
    assert second.query["fields"] == [POST_FIELDS]
    assert len(graph.to(f"{V}/{POST_A}/comments")) == 2
    assert graph.to(f"{V}/{POST_A}/comments")[0].query["filter"] == ["stream"]
    assert graph.to(f"{V}/{POST_B}/comments") == []  # comments.summary.total_count is 0
    assert len(graph.to(TAGGED)) == 1
    for seen in graph.seen:
        assert seen.headers["authorization"] == f"Bearer {TOKEN}"
        assert "access_token" not in seen.query, "the token goes in the header, never in a URL"


def test_the_insights_paging_links_are_not_followed_beyond_the_window(graph: Graph) -> None:
    collect(full_fetch(graph))
    assert len(graph.to(INSIGHTS)) == 1


def test_windows_longer_than_90_days_are_split(graph: Graph) -> None:
    window = Window(since=date(2025, 6, 1), until=date(2025, 12, 17))  # 200 days
    graph.add("GET", INSIGHTS, json={"data": []}).add("GET", POSTS, json={"data": []}).add(
        "GET", TAGGED, json={"data": []}
    )
    records = collect(graph, window=window)
    ranges = [(s.query["since"][0], s.query["until"][0]) for s in graph.to(INSIGHTS)]
    assert ranges == [("2025-06-01", "2025-08-30"), ("2025-08-30", "2025-11-28"), ("2025-11-28", "2025-12-18")]
    stages = [r.state["resume"]["stage"] for r in records if isinstance(r, Checkpoint)]
    assert stages == ["insights", "insights", "posts", "tagged", "done"]


# --- failures ---------------------------------------------------------------------------------------


def test_a_429_with_retry_after_is_waited_then_retried(graph: Graph, waits: list[float]) -> None:
    expected = collect(full_fetch(graph))
    graph.first(
        "GET", POSTS, status=429, headers={"Retry-After": "7"}, json=fixture("error_32_page_rate_limit.json"), times=1
    )
    graph.seen.clear()
    assert collect(graph) == expected
    assert 7.0 in waits
    assert len(graph.to(POSTS)) == 3


def test_a_meta_rate_limit_error_is_retried(graph: Graph, waits: list[float]) -> None:
    expected = collect(full_fetch(graph))
    graph.first("GET", INSIGHTS, status=400, json=fixture("error_32_page_rate_limit.json"), times=2)
    assert collect(graph) == expected
    assert len(waits) == 2


def test_a_meta_rate_limit_that_persists_ends_the_run_with_rate_limited(graph: Graph) -> None:
    full_fetch(graph).first("GET", INSIGHTS, status=400, json=fixture("error_32_page_rate_limit.json"))
    with pytest.raises(RateLimitedError, match="facebook_pages"):
        collect(graph)


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, {"error": {"message": "Internal", "code": 1}}), (503, "<html>Service Unavailable</html>"), (400, "error_2")],
)
def test_server_and_transient_errors_are_retried(graph: Graph, status: int, body: Any) -> None:
    expected = collect(full_fetch(graph))
    payload = fixture("error_2_transient.json") if body == "error_2" else body
    if isinstance(payload, str):
        graph.first("GET", POSTS, status=status, body=payload, times=1)
    else:
        graph.first("GET", POSTS, status=status, json=payload, times=1)
    assert collect(graph) == expected


def test_an_expired_token_is_an_authentication_error_naming_network_and_endpoint(graph: Graph) -> None:
    graph.add("GET", INSIGHTS, status=400, json=fixture("error_190_expired.json"))
    with pytest.raises(AuthenticationError) as refused:
        collect(graph)
    message = str(refused.value)
    assert "facebook_pages" in message
    assert INSIGHTS in message
    assert "Session has expired" in message
    assert "reconnect" in message
    assert TOKEN not in message
    assert len(graph.seen) == 1, "Meta tokens cannot be refreshed: no second attempt"


def test_a_missing_permission_is_an_authentication_error(graph: Graph) -> None:
    graph.add("GET", INSIGHTS, status=403, json=fixture("error_200_permission.json"))
    with pytest.raises(AuthenticationError, match="permission"):
        collect(graph)


def test_an_invalid_metric_is_a_bad_response_naming_the_endpoint(graph: Graph) -> None:
    graph.add("GET", INSIGHTS, status=400, json=fixture("error_100_invalid_metric.json"))
    with pytest.raises(
        BadResponseError, match=rf"facebook_pages: Graph API error on GET {INSIGHTS} \(OAuthException 100"
    ):
        collect(graph)


def test_a_malformed_body_is_a_bad_response_naming_the_network(graph: Graph) -> None:
    full_fetch(graph).first("GET", POSTS, body="{this is not json")
    with pytest.raises(BadResponseError, match="facebook_pages"):
        collect(graph)


def test_an_unexpected_shape_is_a_bad_response_naming_the_network(graph: Graph) -> None:
    full_fetch(graph).first("GET", INSIGHTS, json={"data": {"name": "page_follows"}})
    with pytest.raises(BadResponseError, match=r"facebook_pages.*`data` is not an array"):
        collect(graph)


def test_secrets_never_appear_in_error_messages(graph: Graph) -> None:
    secret = "app-secret-123456"
    account = AccountRef(
        handle="x", external_id=PAGE_ID, credentials={"page_access_token": TOKEN, "app_secret": secret}
    )
    echo = {
        "error": {"message": f"Malformed access token {TOKEN} (secret {secret})", "type": "OAuthException", "code": 190}
    }
    graph.add("GET", INSIGHTS, status=400, json=echo)
    with pytest.raises(AuthenticationError) as refused:
        collect(graph, account=account)
    assert TOKEN not in str(refused.value)
    assert secret not in str(refused.value)
    assert "***" in str(refused.value)


# --- competitors, check, base URL -------------------------------------------------------------------


def test_a_competitor_page_is_refused_without_calling_meta(graph: Graph) -> None:
    competitor = AccountRef(
        handle="concurrent", external_id="999", kind="competitor", credentials={"page_access_token": TOKEN}
    )
    with pytest.raises(ConnectorError, match="Page Public Content Access") as refused:
        collect(graph, account=competitor)
    assert not isinstance(refused.value, AuthenticationError)
    assert graph.seen == []


def test_check_accepts_a_page_token(graph: Graph) -> None:
    graph.add("GET", f"{V}/me", json=fixture("me.json"))
    asyncio.run(connector(graph).check({"page_access_token": TOKEN}))
    (seen,) = graph.seen
    assert seen.query["fields"] == ["id,name"]


def test_check_refuses_bad_credentials(graph: Graph) -> None:
    bad = "EAAbadbadbadtoken"
    graph.add("GET", f"{V}/me", status=400, json=fixture("error_190_invalid.json"))
    with pytest.raises(AuthenticationError) as refused:
        asyncio.run(connector(graph).check({"page_access_token": bad}))
    assert "facebook_pages" in str(refused.value)
    assert bad not in str(refused.value)
    with pytest.raises(AuthenticationError, match="page_access_token"):
        asyncio.run(connector(graph).check({}))


def test_no_request_leaves_the_base_url_even_when_meta_links_elsewhere(graph: Graph) -> None:
    page1 = fixture("posts_page1.json")
    page1["paging"]["next"] = page1["paging"]["next"].replace("{base}", "https://graph.facebook.com")
    full_fetch(graph).first(
        "GET", POSTS, query={"fields": POST_FIELDS, "limit": "50", "since": "1772323200"}, json=page1, times=1
    )
    transport = Recording()

    async def run() -> list[Record]:
        fetching = FacebookPagesConnector(base_url=graph.base, transport=transport)
        return [record async for record in fetching.fetch(ACCOUNT, WINDOW, {})]

    records = asyncio.run(run())
    assert graph.routes[0].used == 1, "the page linking to graph.facebook.com was served"
    assert POST_C in posts(records)  # the second page was read, from the local server
    assert transport.urls
    assert all(url.startswith(graph.base + "/") for url in transport.urls)


def test_default_base_url_is_the_graph_host() -> None:
    assert FacebookPagesConnector.default_base_url == "https://graph.facebook.com"
    assert FacebookPagesConnector().http().base_url == "https://graph.facebook.com/"


# --- resume and idempotency -------------------------------------------------------------------------


def test_rerun_yields_identical_records(graph: Graph) -> None:
    full_fetch(graph)
    assert collect(graph) == collect(graph)


def test_resuming_from_any_checkpoint_yields_exactly_the_rest(graph: Graph) -> None:
    records = collect(full_fetch(graph))
    positions = [n for n, record in enumerate(records) if isinstance(record, Checkpoint)]
    assert len(positions) == 4  # insights, posts page 1, posts page 2, tagged
    for position in positions:
        checkpoint = records[position]
        assert isinstance(checkpoint, Checkpoint)
        assert TOKEN not in json.dumps(checkpoint.state), "a checkpoint must not keep the token"
        assert collect(graph, state=checkpoint.state) == records[position + 1 :]


def test_a_checkpoint_of_another_window_starts_over(graph: Graph) -> None:
    records = collect(full_fetch(graph))
    midway = next(r for r in records if isinstance(r, Checkpoint) and r.state["resume"]["stage"] == "tagged")
    assert isinstance(midway, Checkpoint)
    other = Window(since=date(2026, 3, 3), until=date(2026, 3, 3))
    graph.seen.clear()
    again = collect(graph, window=other, state=midway.state)
    assert graph.to(INSIGHTS), "a new window restarts at the insights"
    assert set(posts(again)) == {POST_A}


def test_checkpoints_tell_the_engine_where_the_next_window_starts(graph: Graph) -> None:
    checkpoints = [r for r in collect(full_fetch(graph)) if isinstance(r, Checkpoint)]
    assert [c.state["last_day"] for c in checkpoints] == ["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-03"]


def test_app_secret_proof_is_sent_on_every_request(graph: Graph) -> None:
    secret = "0123456789abcdef"
    account = AccountRef(
        handle="x", external_id=PAGE_ID, credentials={"page_access_token": TOKEN, "app_secret": secret}
    )
    records = collect(full_fetch(graph), account=account)
    proof = hmac.new(secret.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert graph.seen
    assert all(seen.query.get("appsecret_proof") == [proof] for seen in graph.seen)
    assert all(proof not in json.dumps(r.state) for r in records if isinstance(r, Checkpoint))


# --- helpers of the shared Meta module ---------------------------------------------------------------


def test_insights_end_time_is_the_end_of_the_measured_day() -> None:
    sample = fixture("page_insights_page_impressions_unique_docs.json")  # Meta's documented example
    daily = sample["data"][0]["values"]
    assert [_meta_graph.insights_day(v["end_time"]) for v in daily] == [date(2020, 3, 9), date(2020, 3, 10)]
    assert facebook_pages._insight_points(sample["data"], date(2020, 3, 1), date(2020, 3, 31)) == []


def test_the_documented_error_without_metric_is_a_graph_error(graph: Graph) -> None:
    graph.add("GET", INSIGHTS, status=400, json=fixture("error_3001_no_metric_specified_docs.json"))
    with pytest.raises(BadResponseError) as failure:
        collect(graph)
    assert isinstance(failure.value, _meta_graph.GraphApiError)
    assert (failure.value.code, failure.value.subcode) == (3001, 1504028)


def test_long_lived_token_exchange_and_page_token(graph: Graph) -> None:
    graph.add(
        "GET",
        f"{V}/oauth/access_token",
        query={"grant_type": "fb_exchange_token", "client_id": "1234"},
        json={"access_token": "EAALONGLIVED", "token_type": "bearer", "expires_in": 5183944},
    )
    graph.add(
        "GET", f"{V}/{PAGE_ID}", query={"fields": "access_token"}, json={"access_token": "EAAPAGE", "id": PAGE_ID}
    )

    async def run() -> tuple[dict[str, Any], str]:
        local = EgressPolicy.parse("127.0.0.0/8")  # the fake Graph API listens on loopback
        async with ConnectorHttp(network="facebook_pages", base_url=graph.base, egress=local) as anonymous:
            exchanged = await exchange_long_lived_user_token(
                anonymous, app_id="1234", app_secret="s3cr3t", short_lived_token="EAASHORT"
            )
        async with ConnectorHttp(
            network="facebook_pages", base_url=graph.base, token=BearerToken(exchanged["access_token"]), egress=local
        ) as user:
            return exchanged, await page_access_token(user, PAGE_ID)

    exchanged, page_token = asyncio.run(run())
    assert exchanged["expires_in"] == 5183944
    assert page_token == "EAAPAGE"
    assert "authorization" not in graph.seen[0].headers
    assert graph.seen[1].headers["authorization"] == "Bearer EAALONGLIVED"


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (401, {"message": "Unauthorized", "type": "OAuthException"}, AuthenticationError),
        (400, {"message": "Session invalid", "type": "OAuthException", "code": 102}, AuthenticationError),
        (429, {"message": "Too many calls", "type": "OAuthException", "code": 100}, RateLimitedError),
        (400, {"message": "(#80001) BUC limit", "type": "OAuthException", "code": 80001}, RateLimitedError),
        (400, {"message": "(#17) User request limit reached", "type": "OAuthException", "code": 17}, RateLimitedError),
        (
            400,
            {"message": "retry", "type": "OAuthException", "code": 99, "is_transient": True},
            TransientError,
        ),
        (
            400,
            {"message": "(#803) Some of the aliases you requested do not exist", "code": 803},
            _meta_graph.GraphApiError,
        ),
    ],
)
def test_meta_error_codes_are_classified(status: int, error: dict[str, Any], expected: type[Exception]) -> None:
    classify = _meta_graph.error_classifier("facebook_pages", [TOKEN])
    request = httpx.Request("GET", f"https://graph.facebook.com{INSIGHTS}?access_token={TOKEN}")
    classified = classify(httpx.Response(status, json={"error": error}, request=request), {"error": error})
    assert type(classified) is expected
    assert "facebook_pages: " in str(classified)
    assert INSIGHTS in str(classified)
    assert TOKEN not in str(classified)
    assert classify(httpx.Response(503, text="down", request=request), "down") is None  # the SDK's own handling


# --- OAuth onboarding ---------------------------------------------------------------------------------

APP = OAuthClient(client_id="1234567890", client_secret="meta-app-s3cret-value")
SHORT_LIVED = "EAAGm0PX4ZCpsBAshort-lived-user-token"
LONG_LIVED = fixture("token_long_lived.json")["access_token"]
FACEBOOK_LOGIN_TOKEN = {
    "access_token": SHORT_LIVED,
    "token_type": "bearer",
    "expires_in": 5179,
    "scope": "pages_show_list,pages_read_engagement,read_insights,pages_read_user_content",
}
"""Facebook Login's answer to the authorization code (the scope filled in by Resonance: Meta does not say)."""


def onboarding(graph: Graph) -> Graph:
    """Meta's answers to OAuth onboarding: the long-lived token exchange, the granted Pages, the Page token."""
    after = fixture("me_accounts_page1.json")["paging"]["cursors"]["after"]
    return (
        graph.add(
            "GET",
            f"{V}/oauth/access_token",
            query={"grant_type": "fb_exchange_token"},
            json=fixture("token_long_lived.json"),
        )
        .add("GET", f"{V}/me/accounts", query={"after": after}, json=fixture("me_accounts_page2.json"))
        .add("GET", f"{V}/me/accounts", json=fixture("me_accounts_page1.json"))
        .add("GET", f"{V}/{PAGE_ID}", query={"fields": "access_token"}, json=fixture("page_access_token.json"))
    )


def from_oauth(graph: Graph, account: AccountRef, app: OAuthClient | None = APP) -> dict[str, Any]:
    instance = FacebookPagesConnector(base_url=graph.base, oauth_client=app)
    return asyncio.run(instance.credentials_from_oauth(FACEBOOK_LOGIN_TOKEN, account=account))


def test_the_oauth_token_becomes_the_pages_token_and_id_which_the_schema_accepts_and_fetch_reads(
    graph: Graph,
) -> None:
    credentials = from_oauth(onboarding(graph), AccountRef(handle="boulangerie.dupont"))

    jsonschema.validate(credentials, dict(FacebookPagesConnector.credentials_schema))
    assert credentials == {
        "page_access_token": TOKEN,
        "page_id": PAGE_ID,
        "scope": FACEBOOK_LOGIN_TOKEN["scope"],
        "token_type": "bearer",
    }, "no user token, no expiry (a Page token does not expire), no app secret"

    exchange, first, second, page = graph.seen
    assert (exchange.path, exchange.query["client_id"], exchange.query["fb_exchange_token"]) == (
        f"{V}/oauth/access_token",
        [APP.client_id],
        [SHORT_LIVED],
    )
    assert exchange.query["client_secret"] == [APP.client_secret]
    assert "authorization" not in exchange.headers
    proof = hmac.new(str(APP.client_secret).encode(), LONG_LIVED.encode(), hashlib.sha256).hexdigest()
    for call in (first, second, page):
        assert call.headers["authorization"] == f"Bearer {LONG_LIVED}"
        assert call.query["appsecret_proof"] == [proof]
        assert "access_token" not in call.query, "the token in Meta's paging link is not replayed"
    assert (first.path, second.path, page.path) == (f"{V}/me/accounts", f"{V}/me/accounts", f"{V}/{PAGE_ID}")

    graph.seen.clear()
    typed = collect(full_fetch(graph))
    onboarded = collect(graph, account=AccountRef(handle="boulangerie.dupont", credentials=credentials))
    assert onboarded == typed
    assert posts(onboarded)
    assert all(seen.headers["authorization"] == f"Bearer {TOKEN}" for seen in graph.seen)


@pytest.mark.parametrize(
    "account",
    [
        AccountRef(handle=PAGE_ID),
        AccountRef(handle="Boulangerie Dupont"),
        AccountRef(handle="@Boulangerie.Dupont"),
        AccountRef(handle="renamed-since", external_id=PAGE_ID),
    ],
    ids=["page id", "page name", "username", "external id when reconnecting"],
)
def test_the_page_is_found_by_external_id_id_username_or_name(graph: Graph, account: AccountRef) -> None:
    assert from_oauth(onboarding(graph), account)["page_id"] == PAGE_ID


def test_a_user_who_does_not_manage_the_page_is_refused_with_the_pages_they_granted(graph: Graph) -> None:
    with pytest.raises(ConnectorError) as refused:
        from_oauth(onboarding(graph), AccountRef(handle="patisserie.martin"))
    message = str(refused.value)
    assert message.startswith("facebook_pages: the Facebook user who consented does not manage the Page")
    assert "'patisserie.martin'" in message
    assert "Dupont Traiteur (100200300400500)" in message
    assert "Boulangerie Dupont (104017745210123)" in message
    for secret in (SHORT_LIVED, LONG_LIVED, TOKEN, str(APP.client_secret)):
        assert secret not in message
    assert not graph.to(f"{V}/{PAGE_ID}"), "no Page token is read for a Page the user does not manage"


def test_a_reconnection_to_another_page_is_refused(graph: Graph) -> None:
    with pytest.raises(ConnectorError, match="does not manage the Page with ID 999"):
        from_oauth(onboarding(graph), AccountRef(handle="boulangerie.dupont", external_id="999"))


def test_without_the_operators_meta_app_the_exchange_is_refused_before_any_call(graph: Graph) -> None:
    with pytest.raises(ConnectorError, match="needs the Meta app's id and secret"):
        from_oauth(onboarding(graph), AccountRef(handle="boulangerie.dupont"), app=None)
    assert not graph.seen


def test_a_refused_exchange_is_an_authentication_error_without_secrets(graph: Graph) -> None:
    graph.add("GET", f"{V}/oauth/access_token", status=400, json=fixture("error_190_invalid.json"))
    with pytest.raises(AuthenticationError) as refused:
        from_oauth(graph, AccountRef(handle="boulangerie.dupont"))
    assert SHORT_LIVED not in str(refused.value)
    assert str(APP.client_secret) not in str(refused.value)


def test_a_competitor_page_cannot_be_connected(graph: Graph) -> None:
    with pytest.raises(ConnectorError, match="Page Public Content Access"):
        from_oauth(onboarding(graph), AccountRef(handle="rival", kind="competitor"))
    assert not graph.seen


def test_an_onboarded_page_proves_the_operators_app_secret_when_it_stores_none(graph: Graph) -> None:
    full_fetch(graph)

    async def run() -> list[Record]:
        instance = FacebookPagesConnector(base_url=graph.base, oauth_client=APP)
        return [record async for record in instance.fetch(ACCOUNT, WINDOW, {})]

    asyncio.run(run())
    assert APP.client_secret is not None
    proof = hmac.new(APP.client_secret.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert graph.seen
    assert all(seen.query.get("appsecret_proof") == [proof] for seen in graph.seen)
