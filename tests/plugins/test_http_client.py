"""The SDK's HTTP client: retries, rate limits, token refresh, pagination and declared hosts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from plugins.sdk import (
    AuthenticationError,
    BadResponseError,
    BearerToken,
    Connector,
    ConnectorHttp,
    EgressPolicy,
    ForbiddenUrlError,
    HttpPolicy,
    RateLimitedError,
    RequestPacer,
    TransientError,
    cursor_param,
    link_header,
    next_link,
    rate_limit_wait,
)
from plugins.sdk.testing import FixtureServer, Route, serving

NOW = 1_800_000_000.0
LOOPBACK = EgressPolicy.parse("127.0.0.0/8")
"""The fixture server listens on loopback, which connectors may reach only when an operator allows it."""


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with serving([]) as running:
        yield running


def client(server: FixtureServer, sleeps: Sleeps, **options: object) -> ConnectorHttp:
    policy = options.pop("policy", HttpPolicy(max_attempts=3, backoff_initial_seconds=0.01))
    return ConnectorHttp(
        network="chirp",
        base_url=server.base_url + "/v1",
        sleep=sleeps,
        policy=policy,
        egress=LOOPBACK,
        **options,  # type: ignore[arg-type]
    )


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def response(status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://x.example/"))


def test_retry_after_in_seconds_and_as_a_date() -> None:
    assert rate_limit_wait(response(429, {"Retry-After": "7"}), NOW) == 7
    later = format_datetime(datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=30), usegmt=True)
    assert rate_limit_wait(response(429, {"Retry-After": later}), NOW) == pytest.approx(30, abs=1)


def test_spent_quota_headers_of_each_network_style() -> None:
    x_style = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW + 90))}
    assert rate_limit_wait(response(200, x_style), NOW) == pytest.approx(90)
    mastodon = {
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": (datetime.fromtimestamp(NOW, UTC) + timedelta(minutes=5)).isoformat(),
    }
    assert rate_limit_wait(response(200, mastodon), NOW) == pytest.approx(300)
    ietf = {"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}
    assert rate_limit_wait(response(200, ietf), NOW) == 12
    assert rate_limit_wait(response(200, {"x-rate-limit-remaining": "5", "x-rate-limit-reset": "1"}), NOW) is None


def test_meta_usage_headers_pause_near_the_quota() -> None:
    busy = {"X-App-Usage": json.dumps({"call_count": 96, "total_time": 10, "total_cputime": 10})}
    assert rate_limit_wait(response(200, busy), NOW) == 60
    business = {
        "X-Business-Use-Case-Usage": json.dumps(
            {"123": [{"type": "pages", "call_count": 100, "total_time": 5, "estimated_time_to_regain_access": 7}]}
        )
    }
    assert rate_limit_wait(response(200, business), NOW) == 420
    calm = {"X-App-Usage": json.dumps({"call_count": 12, "total_time": 3, "total_cputime": 2})}
    assert rate_limit_wait(response(200, calm), NOW) is None


def test_a_5xx_is_retried_until_it_succeeds(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes += [
        Route("GET", "/v1/me", status=503, json={"error": "down"}, times=2),
        Route("GET", "/v1/me", json={"ok": True}),
    ]
    assert run(client(server, sleeps).get_json("me")) == {"ok": True}
    assert len(server.requests_to("/v1/me")) == 3
    assert len(sleeps.calls) == 2


def test_a_5xx_that_persists_ends_as_a_transient_error_naming_the_endpoint(
    server: FixtureServer, sleeps: Sleeps
) -> None:
    server.routes.append(Route("GET", "/v1/me", status=502, json={"error": {"message": "bad gateway"}}))
    with pytest.raises(TransientError, match=r"chirp GET /v1/me answered 502"):
        run(client(server, sleeps).get_json("me", params={"access_token": "secret-token-value"}))
    assert len(server.requests_to("/v1/me")) == 3


def test_a_short_retry_after_is_waited_then_retried(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes += [
        Route("GET", "/v1/me", status=429, headers={"Retry-After": "2"}, times=1),
        Route("GET", "/v1/me", json={"ok": 1}),
    ]
    assert run(client(server, sleeps).get_json("me")) == {"ok": 1}
    assert sleeps.calls == [2]


def test_a_long_retry_after_ends_the_run_with_a_resumable_rate_limit(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes.append(Route("GET", "/v1/me", status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as limited:
        run(client(server, sleeps).get_json("me"))
    assert limited.value.retry_after == 3600
    assert sleeps.calls == []


def test_a_spent_quota_pauses_before_the_next_request(server: FixtureServer, sleeps: Sleeps) -> None:
    reset = datetime.now(UTC).timestamp() + 20
    server.routes.append(
        Route("GET", "/v1/me", json={}, headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(reset))})
    )
    http = client(server, sleeps)

    async def twice() -> None:
        await http.get_json("me")
        await http.get_json("me")

    run(twice())
    assert len(sleeps.calls) == 1
    assert 15 <= sleeps.calls[0] <= 21


def test_an_expired_token_is_refreshed_once(server: FixtureServer, sleeps: Sleeps) -> None:
    refreshed: list[str] = []

    async def refresh() -> str:
        refreshed.append("yes")
        return "fresh-token"

    server.routes.append(Route("GET", "/v1/me", status=401, json={"error": "expired"}, times=1))
    server.routes.append(Route("GET", "/v1/me", json={"me": 1}))
    http = client(server, sleeps, token=BearerToken("stale-token", refresh=refresh))
    assert run(http.get_json("me")) == {"me": 1}
    assert refreshed == ["yes"]
    assert [served.headers["authorization"] for served in server.log] == ["Bearer stale-token", "Bearer fresh-token"]


def test_refused_credentials_name_the_network_and_endpoint_but_no_secret(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes.append(Route("GET", "/v1/me", status=401, json={"error": {"message": "Invalid OAuth token"}}))
    http = client(server, sleeps, token=BearerToken("super-secret-token"))
    with pytest.raises(AuthenticationError) as refused:
        run(http.get_json("me", params={"access_token": "super-secret-token"}))
    message = str(refused.value)
    assert "chirp" in message
    assert "/v1/me" in message
    assert "super-secret-token" not in message


def test_a_network_specific_error_body_is_classified(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes.append(Route("GET", "/v1/me", status=400, json={"error": {"code": 190, "message": "expired"}}))

    def classify(_response: httpx.Response, body: object) -> AuthenticationError | None:
        if isinstance(body, dict) and body.get("error", {}).get("code") == 190:
            return AuthenticationError("chirp: the token expired")
        return None

    with pytest.raises(AuthenticationError, match="the token expired"):
        run(client(server, sleeps, classify_error=classify).get_json("me"))


def test_another_4xx_is_a_bad_response_without_retries(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes.append(Route("GET", "/v1/me", status=400, json={"error": {"message": "unknown field"}}))
    with pytest.raises(BadResponseError, match="answered 400: unknown field"):
        run(client(server, sleeps).get_json("me"))
    assert len(server.log) == 1


def test_a_body_that_is_not_json_is_a_bad_response(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes.append(Route("GET", "/v1/me", body="<html>oops</html>"))
    with pytest.raises(BadResponseError, match=r"chirp GET /v1/me answered a body that is not valid JSON"):
        run(client(server, sleeps).get_json("me", params={"access_token": "hidden-value"}))


def test_a_connection_failure_is_transient(sleeps: Sleeps) -> None:
    http = ConnectorHttp(
        network="chirp",
        base_url="http://127.0.0.1:9",
        sleep=sleeps,
        policy=HttpPolicy(max_attempts=2, backoff_initial_seconds=0.01),
        egress=LOOPBACK,
    )
    with pytest.raises(TransientError, match=r"chirp GET /me: no answer \(the connection failed or timed out\)"):
        run(http.get_json("me"))


def test_urls_outside_the_declared_bases_are_refused(server: FixtureServer, sleeps: Sleeps) -> None:
    http = client(server, sleeps, allowed_base_urls=["https://auth.chirp.example/oauth"])
    with pytest.raises(ForbiddenUrlError, match=r"evil\.example"):
        run(http.get_json("https://evil.example/v1/me"))
    with pytest.raises(ForbiddenUrlError):
        run(http.get_json(server.base_url + "/v2/me"))  # same host, outside the base path
    assert http.resolve("https://auth.chirp.example/oauth/token") == "https://auth.chirp.example/oauth/token"
    assert server.log == []


def test_pagination_by_link_header(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes += [
        Route("GET", "/v1/items", query={"max_id": "7"}, json=[{"id": 3}]),
        Route(
            "GET",
            "/v1/items",
            json=[{"id": 9}, {"id": 8}],
            headers={"Link": '<{base}/v1/items?max_id=7>; rel="next", <{base}/v1/items?min_id=9>; rel="prev"'},
        ),
    ]

    async def collect() -> list[object]:
        return [
            item async for item in client(server, sleeps).paginate("items", items=lambda b: b, next_page=link_header)
        ]

    assert run(collect()) == [{"id": 9}, {"id": 8}, {"id": 3}]


def test_pagination_by_next_link_and_by_cursor(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes += [
        Route("GET", "/v1/feed", query={"after": "B"}, json={"data": [2], "paging": {}}),
        Route("GET", "/v1/feed", json={"data": [1], "paging": {"next": "{base}/v1/feed?after=B"}}),
        Route("GET", "/v1/list", query={"cursor": "n2"}, json={"data": ["b"], "cursor": None}),
        Route("GET", "/v1/list", json={"data": ["a"], "cursor": "n2"}),
    ]

    async def collect(url: str, next_page: object) -> list[object]:
        http = client(server, sleeps)
        return [item async for item in http.paginate(url, items=lambda body: body["data"], next_page=next_page)]  # type: ignore[arg-type]

    assert run(collect("feed", next_link(lambda body: body["paging"].get("next")))) == [1, 2]
    assert run(collect("list", cursor_param("cursor", lambda body: body["cursor"]))) == ["a", "b"]


class Pacer:
    """A deployment's pacer that answers from a script: the seconds to wait, 0 to admit."""

    def __init__(self, *answers: float) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def admit(self, network: str) -> float:
        self.asked.append(network)
        return self.answers.pop(0) if self.answers else 0.0


def test_every_attempt_waits_for_the_pacer_to_admit_it(server: FixtureServer, sleeps: Sleeps) -> None:
    server.routes += [
        Route("GET", "/v1/me", status=503, json={"error": "down"}, times=1),
        Route("GET", "/v1/me", json={"ok": True}),
    ]
    pacer = Pacer(0.4, 0.3, 0, 0.2, 0)  # the first attempt is admitted on the third ask, the retry on the second
    http = client(server, sleeps, pacer=pacer)
    assert run(http.get_json("me")) == {"ok": True}
    assert pacer.asked == ["chirp"] * 5
    assert len(server.requests_to("/v1/me")) == 2
    assert len(sleeps.calls) == 4  # the retry's backoff between the first two and the last
    assert sleeps.calls[:2] == [0.4, 0.3]
    assert sleeps.calls[-1] == 0.2
    assert http.stats["waited_seconds"] == pytest.approx(0.9)


def test_a_pacer_keeping_a_request_waiting_past_the_patience_ends_the_run_unsent(
    server: FixtureServer, sleeps: Sleeps
) -> None:
    server.routes.append(Route("GET", "/v1/me", json={}))
    pacer = Pacer(*[25.0] * 10)
    http = client(server, sleeps, pacer=pacer, policy=HttpPolicy(max_wait_seconds=60))
    with pytest.raises(RateLimitedError, match=r"chirp request rate of this deployment: /v1/me waited 50 s") as limited:
        run(http.get_json("me"))
    assert limited.value.retry_after == 25
    assert sleeps.calls == [25.0, 25.0]
    assert server.requests_to("/v1/me") == []


def test_a_connector_hands_its_pacer_to_its_client() -> None:
    class Chirp(Connector):
        id = "chirp"
        name = "Chirp"
        version = "1"
        default_base_url = "https://chirp.example/api"

    connector = Chirp()
    assert connector.http().pacer is None
    pacer = Pacer()
    connector.pacer = pacer
    assert connector.http().pacer is pacer
    assert isinstance(pacer, RequestPacer)
