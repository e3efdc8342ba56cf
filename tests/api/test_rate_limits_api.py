"""Per-agency rate limits by plan over HTTP, and the api_calls meter: refused requests never reach the
handler nor the bill, accepted ones are written to the ledger exactly once."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from litestar.types import Scope
from sqlalchemy import select

from api.app import create_app
from api.auth import Principal
from api.billing.metering import UsageEvent
from api.billing.rate_limits import MemoryRateLimits, RateLimits
from api.billing.subscriptions import Subscription
from api.clients.models import Client
from api.metrics import fast_path
from api.services import Services
from tenants.database import Database
from tenants.settings import Settings, SettingsError
from tests.api.conftest import (
    assert_problem,
    count_rows,
    insert_metric_points,
    make_client_and_account,
    owner_connection,
    table,
)
from tests.conftest import Agency, TestDatabase, TestRedis, make_settings, sign_up

START = 1_772_445_600.0  # 2026-03-02T10:00:00Z
MINUTE = "2026-03-02T10:00"
POLICY = '"api_requests_per_minute";q=3;w=60'
PLANS = json.dumps(
    {
        "starter": {"name": "Starter", "quotas": {"api_requests_per_minute": 3}},
        "agency": {"name": "Agency", "quotas": {"api_requests_per_minute": 50}},
        "scale": {"name": "Scale", "quotas": {"api_requests_per_minute": None}},
        "tiny": {"name": "Tiny", "quotas": {"api_requests_per_minute": 1}},
    }
)
HEADER = re.compile(r'^"api_requests_per_minute";r=(\d+);t=(\d+)$')


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def serving(database: TestDatabase, clock: Clock | None = None, **overrides: Any) -> Iterator[TestClient[Litestar]]:
    """An app on the test plans (starter: 3 requests a minute), its store on `clock`, the RateLimit headers on every
    limited response (`rate_limit_headers_from=0`) unless `overrides` say otherwise."""
    defaults = {"plans_config": PLANS, "default_plan": "starter", "rate_limit_headers_from": 0.0}
    app = create_app(make_settings(database, **{**defaults, **overrides}))
    if app.state.services.rate_limits is not None:
        app.state.services.rate_limits.flush_interval = 3600.0  # the tests flush by hand, at the moments they choose
        if clock is not None:
            app.state.services.rate_limits.clock = clock
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(database: TestDatabase, clock: Clock) -> Iterator[TestClient[Litestar]]:
    with serving(database, clock) as client:
        yield client


def flush(client: TestClient[Litestar], now: float, *, final: bool = False) -> int:
    store: RateLimits = client.app.state.services.rate_limits
    with client.portal() as portal:
        return int(portal.call(partial(store.flush, client.app.state.services.database, now, final=final)))


def ledger(database: TestDatabase, agency: Agency) -> list[tuple[str, int, datetime, uuid.UUID | None]]:
    """The agency's api_calls rows: key, quantity, occurred_at, client_id."""
    events = table(UsageEvent)
    with owner_connection(database) as connection:
        rows = connection.execute(
            select(events.c.idempotency_key, events.c.quantity, events.c.occurred_at, events.c.client_id)
            .where(events.c.tenant_id == uuid.UUID(agency.tenant_id), events.c.meter == "api_calls")
            .order_by(events.c.idempotency_key)
        ).all()
    return [(key, quantity, _utc(occurred), client_id) for key, quantity, occurred, client_id in rows]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def put_on_plan(database: TestDatabase, agency: Agency, plan: str) -> None:
    with owner_connection(database) as connection:
        connection.execute(
            table(Subscription)
            .insert()
            .values(
                tenant_id=uuid.UUID(agency.tenant_id),
                id=uuid.uuid4(),
                plan=plan,
                status="active",
                cancel_at_period_end=False,
                stripe_state_at=0,
                updated_at=datetime.now(UTC),
            )
        )


def test_over_the_limit_is_a_429_naming_the_quota_usage_limit_plan_and_how_to_upgrade(
    limited: TestClient[Litestar], clock: Clock
) -> None:
    agency = sign_up(limited)
    for _ in range(3):
        assert limited.get("/v1/clients", headers=agency.headers).status_code == 200
    clock.now = START + 20.5

    response = limited.get("/v1/clients", headers=agency.headers)

    body = assert_problem(response, 429, code="rate_limited")
    assert (body["quota"], body["usage"], body["limit"], body["plan"]) == ("api_requests_per_minute", 3, 3, "starter")
    # Plans allowing more, the closest first; the Tiny plan allows less and is not offered.
    assert body["upgrade"]["plans"] == [
        {"id": "agency", "name": "Agency", "limit": 50},
        {"id": "scale", "name": "Scale", "limit": None},
    ]
    assert "resonance tenant plan" in body["upgrade"]["how"]  # local mode: the operator moves the agency
    assert "Starter plan (3 per minute" in body["detail"]
    assert "Agency (50 per minute), Scale (no limit)" in body["detail"]
    # The three of second 0 count until second 61: 61 - 20.5 = 40.5, 41 whole seconds.
    assert response.headers["retry-after"] == "41"
    assert body["retry_after"] == 41
    assert response.headers["ratelimit-policy"] == POLICY
    assert response.headers["ratelimit"] == '"api_requests_per_minute";r=0;t=41'


def test_accepted_responses_carry_the_policy_and_what_is_left(limited: TestClient[Litestar], clock: Clock) -> None:
    agency = sign_up(limited)
    seen = []
    for step in range(3):
        clock.now = START + step * 10
        response = limited.get("/v1/clients", headers=agency.headers)
        assert response.status_code == 200
        assert response.headers["ratelimit-policy"] == POLICY
        match = HEADER.match(response.headers["ratelimit"])
        assert match, response.headers["ratelimit"]
        seen.append((int(match.group(1)), int(match.group(2))))
        assert "retry-after" not in response.headers

    # Remaining 2, 1, 0; the oldest request (second 0) stops counting at second 61.
    assert seen == [(2, 61), (1, 51), (0, 41)]


def test_the_limit_recovers_once_the_window_has_passed(limited: TestClient[Litestar], clock: Clock) -> None:
    agency = sign_up(limited)
    for _ in range(3):
        limited.get("/v1/clients", headers=agency.headers)
    clock.now = START + 59.5
    refused = limited.get("/v1/clients", headers=agency.headers)
    assert refused.status_code == 429
    clock.now = START + 59.5 + int(refused.headers["retry-after"])

    response = limited.get("/v1/clients", headers=agency.headers)

    assert response.status_code == 200
    assert response.headers["ratelimit"].startswith('"api_requests_per_minute";r=2;')


def test_a_refused_request_never_reaches_the_handler_and_is_not_billed(
    limited: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(limited)
    for name in ("One", "Two", "Three"):
        assert limited.post("/v1/clients", json={"name": name}, headers=agency.headers).status_code == 201

    for _ in range(4):
        assert_problem(limited.post("/v1/clients", json={"name": "Four"}, headers=agency.headers), 429)

    assert count_rows(database, Client, tenant_id=agency.tenant_id) == 3
    assert flush(limited, START + 60) == 1
    meter = limited.app.state.services.rate_limits.name
    assert ledger(database, agency) == [
        (f"api_calls:{MINUTE}:{meter}", 3, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), None)
    ]


def test_api_calls_are_written_per_minute_once_each_and_shown_in_usage(database: TestDatabase, clock: Clock) -> None:
    with serving(database, clock, default_plan="agency") as client:
        agency = sign_up(client)
        for _ in range(7):
            assert client.get("/v1/clients", headers=agency.headers).status_code == 200
        clock.now = START + 75  # 10:01:15
        for _ in range(4):
            assert client.get("/v1/clients", headers=agency.headers).status_code == 200
        name = client.app.state.services.rate_limits.name

        first = flush(client, START + 80)  # 10:00 is over, 10:01 is not
        assert ledger(database, agency) == [
            (f"api_calls:{MINUTE}:{name}", 7, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), None)
        ]
        again = flush(client, START + 80)
        later = flush(client, START + 125)  # 10:01 is over too
        twice = flush(client, START + 125)

        assert (first, again, later, twice) == (1, 0, 1, 0)
        assert [(key, quantity) for key, quantity, _, _ in ledger(database, agency)] == [
            (f"api_calls:{MINUTE}:{name}", 7),
            (f"api_calls:2026-03-02T10:01:{name}", 4),
        ]
        clock.now = START + 130
        usage = client.get("/v1/usage", params={"period": "2026-03"}, headers=agency.headers).json()
        assert {meter["meter"]: meter["quantity"] for meter in usage["meters"]}["api_calls"] == 11


def test_a_minute_written_again_by_the_same_process_adds_nothing(
    limited: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(limited)
    for _ in range(2):
        limited.get("/v1/clients", headers=agency.headers)
    assert flush(limited, START + 60) == 1
    store: MemoryRateLimits = limited.app.state.services.rate_limits
    # As if the write had committed but the process had failed before forgetting the counts.
    store._pending[(uuid.UUID(agency.tenant_id), int(START) // 60)] = 2

    assert flush(limited, START + 60) == 1

    assert [quantity for _, quantity, _, _ in ledger(database, agency)] == [2]


def test_the_calls_left_are_written_when_the_app_stops(database: TestDatabase, clock: Clock) -> None:
    with serving(database, clock) as client:
        agency = sign_up(client)
        for _ in range(2):
            client.get("/v1/clients", headers=agency.headers)
        name = client.app.state.services.rate_limits.name
        assert ledger(database, agency) == []

    assert [(key, quantity) for key, quantity, _, _ in ledger(database, agency)] == [(f"api_calls:{MINUTE}:{name}", 2)]


def test_public_paths_and_refused_keys_are_neither_limited_nor_counted(
    limited: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(limited)
    for _ in range(5):
        health = limited.get("/health")
        assert health.status_code == 200
        assert "ratelimit" not in health.headers
        sign_up(limited)
        assert limited.get("/docs/openapi.json").status_code == 200
        assert_problem(limited.get("/v1/clients", headers={"Authorization": "Bearer rsn_live_nope"}), 401)

    assert (
        limited.get("/v1/clients", headers=agency.headers)
        .headers["ratelimit"]
        .startswith('"api_requests_per_minute";r=2;')
    )
    flush(limited, START + 60)
    assert [quantity for _, quantity, _, _ in ledger(database, agency)] == [1]


def test_one_agency_over_its_limit_does_not_limit_another(limited: TestClient[Litestar]) -> None:
    busy, other = sign_up(limited), sign_up(limited)
    for _ in range(4):
        limited.get("/v1/clients", headers=busy.headers)
    assert limited.get("/v1/clients", headers=busy.headers).status_code == 429

    response = limited.get("/v1/clients", headers=other.headers)

    assert response.status_code == 200
    assert response.headers["ratelimit"].startswith('"api_requests_per_minute";r=2;')


def test_the_plan_of_the_agencys_subscription_sets_its_limit(
    limited: TestClient[Litestar], database: TestDatabase
) -> None:
    unlimited, tiny = sign_up(limited), sign_up(limited)
    put_on_plan(database, unlimited, "scale")
    put_on_plan(database, tiny, "tiny")

    answers = [limited.get("/v1/clients", headers=unlimited.headers) for _ in range(10)]
    assert limited.get("/v1/clients", headers=tiny.headers).status_code == 200
    refused = limited.get("/v1/clients", headers=tiny.headers)

    assert [answer.status_code for answer in answers] == [200] * 10
    assert all("ratelimit" not in answer.headers for answer in answers)  # no limit, no limit headers
    body = assert_problem(refused, 429, code="rate_limited")
    assert (body["plan"], body["limit"], [offer["id"] for offer in body["upgrade"]["plans"]]) == (
        "tiny",
        1,
        ["starter", "agency", "scale"],
    )
    flush(limited, START + 60)
    assert [quantity for _, quantity, _, _ in ledger(database, unlimited)] == [10]  # still metered
    assert [quantity for _, quantity, _, _ in ledger(database, tiny)] == [1]


def test_billing_off_means_no_limit_no_headers_and_no_metering(database: TestDatabase) -> None:
    with serving(database, billing_enabled=False) as client:
        agency = sign_up(client)
        answers = [client.get("/v1/clients", headers=agency.headers) for _ in range(6)]
        assert client.app.state.services.rate_limits is None
        rate = client.get("/v1/subscription", headers=agency.headers).json()["quotas"]["api_requests_per_minute"]
        assert (rate["limit"], rate["usage"], rate["remaining"]) == (3, None, None)  # the plan's, not enforced

    assert [answer.status_code for answer in answers] == [200] * 6
    assert all("ratelimit" not in answer.headers for answer in answers)
    assert ledger(database, agency) == []


def test_cached_metrics_reads_are_limited_and_counted_with_the_same_headers(
    database: TestDatabase, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[bool] = []
    original = fast_path._cached_answer

    def spy(scope: Scope, services: Services) -> tuple[Principal, bytes] | None:
        answer = original(scope, services)
        answered.append(answer is not None)
        return answer

    monkeypatch.setattr(fast_path, "_cached_answer", spy)
    with serving(database, clock, metrics_cache_seconds=60, default_plan="agency") as client:
        agency = sign_up(client)
        _, account = make_client_and_account(client, agency)  # 2 requests
        day = date(2026, 3, 2)
        insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {day: 4})
        params = {"account_id": account["id"], "metric": "impressions", "from": "2026-03-02", "to": "2026-03-02"}
        put_on_plan(database, agency, "starter")
        client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))
        clock.now = START + 61  # the two setup requests no longer count

        miss = client.get("/v1/metrics", params=params, headers=agency.headers)
        hits = [client.get("/v1/metrics", params=params, headers=agency.headers) for _ in range(2)]
        refused = client.get("/v1/metrics", params=params, headers=agency.headers)

        assert miss.headers["x-cache"] == "miss"
        assert [hit.headers["x-cache"] for hit in hits] == ["hit", "hit"]
        assert [hit.headers["ratelimit"][:30] for hit in hits] == [
            '"api_requests_per_minute";r=1;',
            '"api_requests_per_minute";r=0;',
        ]
        assert all(hit.headers["ratelimit-policy"] == POLICY for hit in hits)
        assert answered == [False, True, True, True]  # the refused one was cached, yet the application refused it
        body = assert_problem(refused, 429, code="rate_limited")
        assert body["usage"] == 3
        assert flush(client, START + 180) == 2
        assert [quantity for _, quantity, _, _ in ledger(database, agency)] == [2, 3]  # 10:00 setup, 10:01 reads


def test_a_cached_read_of_an_agency_whose_standing_is_not_cached_goes_through_the_application(
    database: TestDatabase, clock: Clock
) -> None:
    with serving(database, clock, metrics_cache_seconds=60) as client:
        agency = sign_up(client)
        _, account = make_client_and_account(client, agency)
        params = {"account_id": account["id"], "metric": "impressions", "from": "2026-03-02", "to": "2026-03-02"}
        assert client.get("/v1/metrics", params=params, headers=agency.headers).status_code == 200  # third
        client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))

        response = client.get("/v1/metrics", params=params, headers=agency.headers)

        assert "x-cache" not in response.headers
        assert_problem(response, 429, code="rate_limited")


def test_by_default_accepted_responses_carry_the_headers_once_half_the_limit_is_used(
    database: TestDatabase, clock: Clock
) -> None:
    with serving(
        database, clock, default_plan="agency", rate_limit_headers_from=Settings().rate_limit_headers_from
    ) as client:
        agency = sign_up(client)
        answers = [client.get("/v1/clients", headers=agency.headers) for _ in range(51)]

    assert [answer.status_code for answer in answers] == [200] * 50 + [429]
    # 50 a minute: the first 24 answers say nothing, the 25th (half the limit used) and later ones say what is left.
    assert [answer.headers.get("ratelimit") for answer in answers[:24]] == [None] * 24
    assert [answer.headers.get("ratelimit-policy") for answer in answers[:24]] == [None] * 24
    assert [HEADER.match(answer.headers["ratelimit"]).group(1) for answer in answers[24:50]] == [  # type: ignore[union-attr]
        str(left) for left in range(25, -1, -1)
    ]
    assert all(answer.headers["ratelimit-policy"] == '"api_requests_per_minute";q=50;w=60' for answer in answers[24:])
    assert answers[50].headers["ratelimit"] == '"api_requests_per_minute";r=0;t=61'


def test_cached_metrics_reads_follow_the_same_rule_for_the_headers(database: TestDatabase, clock: Clock) -> None:
    with serving(
        database, clock, metrics_cache_seconds=60, default_plan="agency", rate_limit_headers_from=0.1
    ) as client:
        agency = sign_up(client)
        _, account = make_client_and_account(client, agency)  # 2 requests
        params = {"account_id": account["id"], "metric": "impressions", "from": "2026-03-02", "to": "2026-03-02"}
        answers = [client.get("/v1/metrics", params=params, headers=agency.headers) for _ in range(4)]

    # 50 a minute, headers from 5 requests on (a tenth): the 3rd and 4th requests say nothing, the 5th does.
    assert [answer.headers.get("x-cache") for answer in answers] == ["miss", "hit", "hit", "hit"]
    assert [answer.headers.get("ratelimit") for answer in answers[:2]] == [None, None]
    assert [answer.headers["ratelimit"][:31] for answer in answers[2:]] == [
        '"api_requests_per_minute";r=45;',
        '"api_requests_per_minute";r=44;',
    ]


def test_the_subscription_reports_the_requests_of_the_last_minute(database: TestDatabase, clock: Clock) -> None:
    with serving(database, clock, default_plan="agency", rate_limit_headers_from=1.0) as client:
        agency = sign_up(client)
        for _ in range(6):
            client.get("/v1/clients", headers=agency.headers)

        answer = client.get("/v1/subscription", headers=agency.headers)

        assert "ratelimit" not in answer.headers  # far from the limit: the body says it
        assert answer.json()["quotas"]["api_requests_per_minute"] == {
            "limit": 50,
            "usage": 7,  # this request included
            "remaining": 43,
            "description": "API requests per minute, all keys of the agency together",
        }
        put_on_plan(database, agency, "scale")
        client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))
        unlimited = client.get("/v1/subscription", headers=agency.headers).json()["quotas"]["api_requests_per_minute"]
        assert (unlimited["limit"], unlimited["usage"], unlimited["remaining"]) == (None, None, None)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "half", "nan"])
def test_a_share_for_the_headers_outside_0_to_1_is_refused_with_a_sentence(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESONANCE_RATE_LIMIT_HEADERS_FROM", value)
    with pytest.raises(SettingsError, match="RESONANCE_RATE_LIMIT_HEADERS_FROM must be a"):
        Settings().validate()


# Scaled mode: every process shares one Redis.


@contextmanager
def redis_serving(
    database: TestDatabase, redis_server: TestRedis, clock: Clock | None = None, **overrides: Any
) -> Iterator[TestClient[Litestar]]:
    with serving(
        database, clock, redis_url=redis_server.url, redis_key_prefix=redis_server.prefix, **overrides
    ) as client:
        yield client


def test_two_app_instances_sharing_redis_share_one_limit_and_write_one_total(
    database: TestDatabase, redis_server: TestRedis, clock: Clock
) -> None:
    with (
        redis_serving(database, redis_server, clock, default_plan="agency") as first,
        redis_serving(database, redis_server, clock, default_plan="agency") as second,
    ):
        agency = sign_up(first)
        answers = [(first if index % 2 else second).get("/v1/clients", headers=agency.headers) for index in range(60)]
        statuses = [answer.status_code for answer in answers]
        assert statuses == [200] * 50 + [429] * 10
        assert answers[49].headers["ratelimit"].startswith('"api_requests_per_minute";r=0;')
        assert assert_problem(answers[50], 429, code="rate_limited")["usage"] == 50

        assert flush(first, START + 30) == 0  # the minute is not over
        assert (flush(first, START + 70), flush(second, START + 70)) == (1, 0)

    assert ledger(database, agency) == [(f"api_calls:{MINUTE}", 50, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), None)]


def test_a_repeated_redis_flush_of_the_same_minute_counts_once(
    database: TestDatabase, redis_server: TestRedis, clock: Clock
) -> None:
    with redis_serving(database, redis_server, clock) as first:
        agency = sign_up(first)
        for _ in range(2):
            first.get("/v1/clients", headers=agency.headers)
        flush(first, START + 70)
        store = first.app.state.services.rate_limits
        with first.portal() as portal:  # as if a flush had died between its write and forgetting the minute
            portal.call(
                store.redis.zadd, redis_server.prefix + "calls:pending", {str(int(START) // 60): int(START) // 60}
            )

        assert flush(first, START + 70) == 1

    assert [(key, quantity) for key, quantity, _, _ in ledger(database, agency)] == [(f"api_calls:{MINUTE}", 2)]


def test_in_redis_mode_the_open_minute_survives_the_process_that_counted_it(
    database: TestDatabase, redis_server: TestRedis, clock: Clock
) -> None:
    with redis_serving(database, redis_server, clock) as first:
        agency = sign_up(first)
        for _ in range(3):
            first.get("/v1/clients", headers=agency.headers)
    assert ledger(database, agency) == []  # stopped within the minute: nothing written, nothing lost

    clock.now = START + 3600
    with redis_serving(database, redis_server, clock) as restarted:
        assert flush(restarted, START + 3600) == 1

    assert [(key, quantity) for key, quantity, _, _ in ledger(database, agency)] == [(f"api_calls:{MINUTE}", 3)]


def test_concurrent_requests_on_two_app_instances_accept_exactly_the_limit(
    database: TestDatabase, redis_server: TestRedis
) -> None:
    with (
        redis_serving(database, redis_server, default_plan="agency") as first,
        redis_serving(database, redis_server, default_plan="agency") as second,
    ):
        agency = sign_up(first)
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(
                pool.map(
                    lambda index: (
                        (first if index % 2 else second).get("/v1/clients", headers=agency.headers).status_code
                    ),
                    range(80),
                )
            )

    assert statuses.count(200) == 50
    assert statuses.count(429) == 30


def test_requests_are_refused_while_redis_does_not_answer(database: TestDatabase) -> None:
    with serving(database, redis_url="redis://127.0.0.1:9/0") as client:
        agency = sign_up(client)
        response = client.get("/v1/clients", headers=agency.headers)

    body = assert_problem(response, 503, code="unavailable")
    assert "rate-limit store" in body["detail"]
    assert response.headers["retry-after"] == "5"


def test_the_store_follows_the_settings(database: TestDatabase, redis_server: TestRedis) -> None:
    memory = create_app(make_settings(database))
    scaled = create_app(make_settings(database, redis_url=redis_server.url))
    assert type(memory.state.services.rate_limits).__name__ == "MemoryRateLimits"
    assert type(scaled.state.services.rate_limits).__name__ == "RedisRateLimits"
    assert isinstance(memory.state.services.database, Database)


def test_in_redis_mode_cached_metrics_reads_are_counted_in_redis_too(
    database: TestDatabase, redis_server: TestRedis, clock: Clock
) -> None:
    with redis_serving(database, redis_server, clock, metrics_cache_seconds=60) as client:
        agency = sign_up(client)
        _, account = make_client_and_account(client, agency)  # 2 of the 3 a minute
        params = {"account_id": account["id"], "metric": "impressions", "from": "2026-03-02", "to": "2026-03-02"}
        clock.now = START + 61

        answers = [client.get("/v1/metrics", params=params, headers=agency.headers) for _ in range(4)]

        assert [answer.headers.get("x-cache") for answer in answers[:3]] == ["miss", "hit", "hit"]
        assert [answer.headers["ratelimit"][:30] for answer in answers[:3]] == [
            '"api_requests_per_minute";r=2;',
            '"api_requests_per_minute";r=1;',
            '"api_requests_per_minute";r=0;',
        ]
        assert_problem(answers[3], 429, code="rate_limited")
        assert flush(client, START + 180) == 2

    assert [(key, quantity) for key, quantity, _, _ in ledger(database, agency)] == [
        (f"api_calls:{MINUTE}", 2),
        ("api_calls:2026-03-02T10:01", 3),
    ]
