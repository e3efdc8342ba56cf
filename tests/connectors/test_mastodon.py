"""The Mastodon connector against a local server speaking the documented REST API."""

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

from plugins.connectors import mastodon
from plugins.connectors.mastodon import MastodonConnector, parse_handle, plain_text
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Checkpoint,
    ForbiddenUrlError,
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

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
WINDOW = Window(since=date(2019, 12, 1), until=date(2019, 12, 10))
TODAY = date(2019, 12, 10)
TOKEN = "s3cr3t-mastodon-token-value"
STATUSES = "/api/v1/accounts/1/statuses"
NOTIFICATIONS = "/api/v1/notifications"
VERIFY = "/api/v1/accounts/verify_credentials"
LOOKUP = "/api/v1/accounts/lookup"
OWNED = AccountRef(handle="@Gargron@mastodon.social", credentials={"access_token": TOKEN})
COMPETITOR = AccountRef(handle="@Gargron@mastodon.social", kind="competitor")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


pytestmark = pytest.mark.usefixtures("waits")  # the SDK's waits are instant (tests/connectors/conftest.py)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "Today" is the window's last day."""
    monkeypatch.setattr(mastodon, "_today", lambda: TODAY)


def paged(httpserver: HTTPServer, path: str, pages: list[str], cursor_ids: list[str]) -> None:
    """Serve `pages` in turn: page n+1 is asked for with max_id=cursor_ids[n], given in a Link header."""

    def handler(request: Request) -> Response:
        index = cursor_ids.index(request.args["max_id"]) + 1 if "max_id" in request.args else 0
        headers = {}
        if index < len(cursor_ids):
            query = "limit=40&exclude_reblogs=true" if path == STATUSES else "limit=40&types%5B%5D=mention"
            next_url = httpserver.url_for(path) + f"?{query}&max_id={cursor_ids[index]}"
            prev_url = httpserver.url_for(path) + "?min_id=999"
            headers["Link"] = f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'
        return Response(json.dumps(fixture(pages[index])), headers=headers, content_type="application/json")

    httpserver.expect_request(path, method="GET").respond_with_handler(handler)


STATUS_CURSORS = ["103267810090684562", "103246567800836242", "103214953267204242"]
NOTIFICATION_CURSORS = ["34970001", "34950000"]


def serve_all(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY, method="GET").respond_with_json(fixture("verify_credentials.json"))
    httpserver.expect_request(LOOKUP, method="GET").respond_with_json(fixture("account.json"))
    httpserver.expect_request("/api/v1/accounts/1", method="GET").respond_with_json(fixture("account.json"))
    paged(httpserver, STATUSES, [f"statuses_page{n}.json" for n in (1, 2, 3, 4)], STATUS_CURSORS)
    paged(httpserver, NOTIFICATIONS, [f"notifications_page{n}.json" for n in (1, 2, 3)], NOTIFICATION_CURSORS)


def connector(httpserver: HTTPServer) -> MastodonConnector:
    return MastodonConnector(base_url=httpserver.url_for("/"))


async def collect(
    httpserver: HTTPServer, account: AccountRef = OWNED, state: dict[str, Any] | None = None
) -> list[Record]:
    return [record async for record in connector(httpserver).fetch(account, WINDOW, state or {})]


# --- metadata --------------------------------------------------------------------------------------------


def test_metadata_schema_and_catalogue() -> None:
    jsonschema.Draft202012Validator.check_schema(MastodonConnector.credentials_schema)
    schema = MastodonConnector.credentials_schema
    assert schema["additionalProperties"] is False
    assert schema["properties"]["access_token"]["writeOnly"] is True
    assert "writeOnly" not in schema["properties"]["instance_url"]
    jsonschema.validate({"access_token": "x", "instance_url": "https://mastodon.social"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"password": "x"}, schema)
    catalogue = built_in_metrics()
    mapping = {d.native: d.canonical for d in MastodonConnector.metrics}
    assert mapping == {
        "followers_count": "followers",
        "statuses": "posts_published",
        "favourites_count": "reactions",
        "reblogs_count": "shares",
        "replies_count": "comments",
    }
    assert all(canonical in catalogue for canonical in mapping.values())
    assert MastodonConnector.capabilities == {"account_metrics", "posts", "mentions", "public_data"}
    assert MastodonConnector.oauth is None
    assert MastodonConnector.default_base_url == "https://mastodon.social"


def test_registers_through_the_plugin_hook() -> None:
    assert_registers(mastodon, MastodonConnector)


# --- a full fetch ------------------------------------------------------------------------------------------


async def test_owned_account_fetch_parses_every_record(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    records = await collect(httpserver)
    validator = RecordValidator(MastodonConnector, WINDOW)
    for record in records:
        validator.check(record)

    followers = [p for p in of_type(records, MetricPoint) if p.native_metric == "followers_count"]
    assert followers == [MetricPoint(native_metric="followers_count", day=TODAY, value=322930, quality="exact")]

    posts = {post.external_id: post for post in of_type(records, Post)}
    assert list(posts) == [
        "103270115826048975",
        "103267810090684562",
        "103254412492804242",
        "103246567800836242",
        "103229580967940242",
    ]  # the direct message and the status before the window are left out
    first = posts["103270115826048975"]
    assert first.published_at == datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC)
    assert first.text == (
        '"I lost my inheritance with one wrong digit on my sort code"\n\n'
        "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    )
    assert first.url == "https://mastodon.social/@Gargron/103270115826048975"
    assert first.media_type == "link"
    assert first.metrics == {"favourites_count": 11, "reblogs_count": 6, "replies_count": 5}
    french = posts["103267810090684562"]
    assert french.text == (
        "Mastodon 3.0.1 est sorti\u00a0! #Mastodon\nNotes de version : "
        "https://github.com/tootsuite/mastodon/releases/tag/v3.0.1"
    )
    assert french.media_type == "image"
    assert french.tags == ("mastodon",)
    assert french.metrics == {"favourites_count": 210, "reblogs_count": 140, "replies_count": 12}
    assert posts["103246567800836242"].media_type == "video"
    poll = posts["103229580967940242"]
    assert poll.media_type == "poll"
    assert poll.text == "Poll: roadmap\n\nWhich should we ship first?"
    assert poll.published_at == datetime(2019, 12, 1, 0, 0, 1, tzinfo=UTC)

    daily = {(p.native_metric, p.day): p for p in of_type(records, MetricPoint) if p.native_metric != "followers_count"}
    assert len(daily) == 10 * 4  # every day of the window, zeros included
    assert {p.quality for p in daily.values()} == {"estimated"}
    expected = {
        date(2019, 12, 1): (1, 9, 1, 4),
        date(2019, 12, 3): (1, 30, 7, 1),
        date(2019, 12, 5): (1, 40, 3, 2),
        date(2019, 12, 7): (1, 210, 140, 12),
        date(2019, 12, 8): (1, 11, 6, 5),
    }
    for offset in range(10):
        day = date(2019, 12, 1 + offset)
        values = tuple(daily[(name, day)].value for name in mastodon.DAILY)
        assert values == expected.get(day, (0, 0, 0, 0)), day

    mentions = of_type(records, Mention)
    assert mentions == [
        Mention(
            external_id="103276885573636242",
            published_at=datetime(2019, 12, 9, 8, 30, 12, tzinfo=UTC),
            text="@Gargron sup! the sort code story is wild",
            author="@zsc",
            url="https://mastodon.social/@zsc/103276885573636242",
            language="en",
            kind="reply",
            post_external_id="103270115826048975",
        ),
        Mention(
            external_id="103261274112004242",
            published_at=datetime(2019, 12, 6, 14, 20, tzinfo=UTC),
            text="@Gargron merci pour la mise à jour, c'est top\u00a0!",
            author="@noiob@awoo.space",
            url="https://awoo.space/@noiob/103261274112004242",
            language="fr",
            kind="mention",
            post_external_id=None,
        ),
    ]
    assert records[-1] == Checkpoint(state={"last_day": "2019-12-10"})


async def test_follows_every_link_page_and_stops_before_the_window(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    await collect(httpserver)
    statuses = requests_to(httpserver, STATUSES)
    assert [r.args.get("max_id") for r in statuses] == [None, "103267810090684562", "103246567800836242"]
    assert statuses[0].args["limit"] == "40"
    assert statuses[0].args["exclude_reblogs"] == "true"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in statuses)
    notifications = requests_to(httpserver, NOTIFICATIONS)
    assert [r.args.get("max_id") for r in notifications] == [None, "34970001"]
    assert notifications[0].args.getlist("types[]") == ["mention"]
    assert not requests_to(httpserver, LOOKUP)


async def test_checkpoints_resume_with_the_remaining_records(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    full = await collect(httpserver)
    again = await collect(httpserver)
    assert again == full  # idempotent
    checkpoints = [i for i, record in enumerate(full) if isinstance(record, Checkpoint)]
    assert len(checkpoints) >= 4
    for index in checkpoints[:-1]:
        state = full[index].state
        assert state["last_day"] == "2019-12-01"
        resumed = await collect(httpserver, state=state)
        assert resumed == full[index + 1 :], index
    # a checkpoint of another window starts afresh
    other = Window(since=date(2019, 12, 2), until=date(2019, 12, 10))
    stale = full[checkpoints[0]].state
    fresh = [r async for r in connector(httpserver).fetch(OWNED, other, stale)]
    assert any(isinstance(r, MetricPoint) and r.native_metric == "followers_count" for r in fresh)


# --- competitors and public data ---------------------------------------------------------------------------


async def test_competitor_uses_only_public_endpoints(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    account = AccountRef(handle="@Gargron@mastodon.social", kind="competitor", credentials={"access_token": TOKEN})
    records = await collect(httpserver, account)
    paths = {request.path for request, _ in httpserver.log}
    assert paths == {LOOKUP, STATUSES}
    assert all("Authorization" not in request.headers for request, _ in httpserver.log)
    assert requests_to(httpserver, LOOKUP)[0].args["acct"] == "Gargron"
    assert not of_type(records, Mention)
    points = of_type(records, MetricPoint)
    assert {p.quality for p in points} == {"public_only"}
    assert MetricPoint(native_metric="followers_count", day=TODAY, value=318699, quality="public_only") in points
    assert len(of_type(records, Post)) == 5


async def test_public_owned_account_with_a_known_id(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    records = await collect(httpserver, AccountRef(handle="Gargron", external_id="1"))
    assert {request.path for request, _ in httpserver.log} == {"/api/v1/accounts/1", STATUSES}
    assert of_type(records, MetricPoint)[0].quality == "exact"
    assert {p.quality for p in of_type(records, MetricPoint)[1:]} == {"estimated"}


async def test_instance_in_limited_federation_mode_is_explained(httpserver: HTTPServer) -> None:
    httpserver.expect_request(LOOKUP).respond_with_json({"error": "This API requires an authenticated user"}, 401)
    with pytest.raises(AuthenticationError, match="requires an authenticated user for GET /api/v1/accounts/lookup"):
        await collect(httpserver, COMPETITOR)


# --- the account's own instance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("@Gargron@mastodon.social", ("Gargron", "mastodon.social")),
        ("Gargron@Mastodon.Social", ("Gargron", "mastodon.social")),
        ("@Gargron", ("Gargron", None)),
        ("https://fosstodon.org/@kev", ("kev", "fosstodon.org")),
    ],
)
def test_parse_handle(handle: str, expected: tuple[str, str | None]) -> None:
    assert parse_handle(handle) == expected


async def test_each_account_is_read_on_its_own_instance() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("/lookup"):
            return httpx.Response(200, json=fixture("account.json"))
        return httpx.Response(200, json=[])

    plain = MastodonConnector(transport=httpx.MockTransport(handler))
    account = AccountRef(handle="@Gargron@fosstodon.org", kind="competitor")
    _ = [r async for r in plain.fetch(account, WINDOW, {})]
    assert seen[0] == "https://fosstodon.org/api/v1/accounts/lookup?acct=Gargron"
    assert all(url.startswith("https://fosstodon.org/") for url in seen)

    seen.clear()
    elsewhere = AccountRef(handle="@Gargron@mastodon.social", settings={"instance_url": "https://hachyderm.io/"})
    _ = [r async for r in plain.fetch(elsewhere, WINDOW, {})]
    assert seen[0] == "https://hachyderm.io/api/v1/accounts/lookup?acct=Gargron%40mastodon.social"


async def test_a_next_link_outside_the_instance_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json(fixture("verify_credentials.json"))
    httpserver.expect_request(STATUSES).respond_with_json(
        fixture("statuses_page1.json"),
        headers={"Link": '<https://evil.example/api/v1/accounts/1/statuses?max_id=1>; rel="next"'},
    )
    with pytest.raises(ForbiddenUrlError, match=r"evil\.example"):
        await collect(httpserver)
    assert {request.path for request, _ in httpserver.log} == {VERIFY, STATUSES}


async def test_http_instance_urls_are_refused() -> None:
    account = AccountRef(handle="@a@b.social", credentials={"instance_url": "http://b.social"})
    with pytest.raises(AuthenticationError, match="https://"):
        _ = [r async for r in MastodonConnector().fetch(account, WINDOW, {})]


# --- errors ---------------------------------------------------------------------------------------------------


async def test_429_with_retry_after_then_success(httpserver: HTTPServer, waits: list[float]) -> None:
    httpserver.expect_oneshot_request(STATUSES).respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"Retry-After": "7"}
    )
    serve_all(httpserver)
    records = await collect(httpserver)
    assert 7.0 in waits
    assert len(of_type(records, Post)) == 5
    assert len(requests_to(httpserver, STATUSES)) == 4


async def test_rate_limit_headers_pause_before_the_next_call(httpserver: HTTPServer, waits: list[float]) -> None:
    reset = datetime.now(UTC).replace(microsecond=0).timestamp() + 30
    iso = datetime.fromtimestamp(reset, UTC).isoformat().replace("+00:00", "Z")
    httpserver.expect_oneshot_request(VERIFY).respond_with_json(
        fixture("verify_credentials.json"), headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": iso}
    )
    serve_all(httpserver)
    await collect(httpserver)
    assert any(20 < wait <= 31 for wait in waits)


async def test_5xx_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(STATUSES).respond_with_data("Bad gateway", status=502)
    httpserver.expect_oneshot_request(STATUSES).respond_with_json({"error": "oops"}, status=503)
    serve_all(httpserver)
    records = await collect(httpserver)
    assert len(of_type(records, Post)) == 5


async def test_refused_token_names_network_and_endpoint(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json({"error": "The access token is invalid"}, status=401)
    with pytest.raises(AuthenticationError) as raised:
        await collect(httpserver)
    message = str(raised.value)
    assert "mastodon" in message
    assert VERIFY in message
    assert "The access token is invalid" in message
    assert TOKEN not in message


async def test_token_of_another_account_is_refused(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    with pytest.raises(AuthenticationError, match="belongs to @Gargron, not to @someone"):
        await collect(httpserver, AccountRef(handle="@someone@mastodon.social", credentials={"access_token": TOKEN}))


async def test_malformed_bodies_are_bad_responses(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json(fixture("verify_credentials.json"))
    httpserver.expect_request(STATUSES).respond_with_data("<html>maintenance</html>", content_type="text/html")
    with pytest.raises(BadResponseError, match="mastodon") as raised:
        await collect(httpserver)
    assert TOKEN not in str(raised.value)


async def test_a_status_without_a_date_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json(fixture("verify_credentials.json"))
    broken = fixture("statuses_page1.json")
    del broken[0]["created_at"]
    httpserver.expect_request(STATUSES).respond_with_json(broken)
    with pytest.raises(BadResponseError, match=r"mastodon: status\.created_at"):
        await collect(httpserver)


async def test_an_object_instead_of_a_list_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json(fixture("verify_credentials.json"))
    httpserver.expect_request(STATUSES).respond_with_json({"statuses": []})
    with pytest.raises(BadResponseError, match="mastodon: GET /api/v1/accounts/1/statuses is not a JSON array"):
        await collect(httpserver)


# --- check() ----------------------------------------------------------------------------------------------------


async def test_check_with_bad_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json({"error": "The access token is invalid"}, status=401)
    with pytest.raises(AuthenticationError) as raised:
        await connector(httpserver).check({"access_token": "wrong-token-value"})
    assert "wrong-token-value" not in str(raised.value)
    assert requests_to(httpserver, VERIFY)[0].headers["Authorization"] == "Bearer wrong-token-value"


async def test_check_with_good_token_and_without_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(VERIFY).respond_with_json(fixture("verify_credentials.json"))
    await connector(httpserver).check({"access_token": TOKEN, "instance_url": "https://mastodon.social"})
    assert len(httpserver.log) == 1
    await connector(httpserver).check({})
    assert len(httpserver.log) == 1  # nothing to check without a token


@pytest.mark.parametrize("credentials", [{"access_token": ""}, {"access_token": 3}, {"password": "x"}])
async def test_check_rejects_malformed_credentials(credentials: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationError):
        await MastodonConnector().check(credentials)


# --- text ----------------------------------------------------------------------------------------------------------


def test_plain_text_of_the_official_examples() -> None:
    status = fixture("statuses_page1.json")[0]  # the documentation's Status example, verbatim
    assert plain_text(status["content"]).startswith('"I lost my inheritance')
    assert plain_text(fixture("account.json")["note"]).startswith("Developer of Mastodon")
    assert plain_text("<p>a &amp; b<br>c</p><p>d</p>") == "a & b\nc\n\nd"
