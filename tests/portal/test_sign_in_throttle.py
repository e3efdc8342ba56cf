"""Repeated failed sign-ins are slowed, per account and per address, in memory and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.portal.throttle import (
    ACCOUNT,
    ADDRESS,
    Limit,
    MemorySignInThrottle,
    RedisSignInThrottle,
    SignInThrottle,
    email_link_throttle,
    sign_in_throttle,
    throttle_keys,
)
from tests.conftest import Agency, TestRedis
from tests.portal.conftest import PASSWORD, add_member, csrf_token

LIMITS = {
    ACCOUNT: Limit(free=3, first_wait=10, longest=40, forget=600),
    ADDRESS: Limit(free=6, first_wait=10, longest=40, forget=600),
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[SignInThrottle, Clock]]:
    clock = Clock()
    throttle: SignInThrottle
    if request.param == "memory":
        throttle = MemorySignInThrottle(LIMITS, clock)
    else:
        redis: TestRedis = request.getfixturevalue("redis_server")
        throttle = RedisSignInThrottle(redis.url, redis.prefix, LIMITS, clock)
    yield throttle, clock
    await throttle.close()


async def test_waits_start_after_the_free_failures_double_up_to_the_longest_and_are_forgotten(
    store: tuple[SignInThrottle, Clock],
) -> None:
    throttle, clock = store
    keys = throttle_keys("Anne@Example.com", "203.0.113.7")
    for _ in range(3):
        assert await throttle.wait(keys) == 0
        await throttle.failed(keys)
    assert await throttle.wait(keys) == 10
    clock.now += 4
    assert await throttle.wait(keys) == 6
    clock.now += 6
    assert await throttle.wait(keys) == 0
    waits = []
    for _ in range(4):
        await throttle.failed(keys)
        waits.append(await throttle.wait(keys))
    assert waits == [20, 40, 40, 40]
    clock.now += 600  # an hour of quiet... here ten minutes: the count starts again
    assert await throttle.wait(keys) == 0
    await throttle.failed(keys)
    assert await throttle.wait(keys) == 0


async def test_a_success_clears_the_account_but_not_the_address(store: tuple[SignInThrottle, Clock]) -> None:
    throttle, _ = store
    for number in range(6):  # six accounts tried once each from one address
        await throttle.failed(throttle_keys(f"person{number}@example.com", "203.0.113.7"))
    fresh = throttle_keys("someone.else@example.com", "203.0.113.7")
    assert await throttle.wait(fresh) == 10  # the address is slowed for every account
    assert await throttle.wait(throttle_keys("someone.else@example.com", "198.51.100.1")) == 0

    anne = throttle_keys("anne@example.com", "198.51.100.1")
    for _ in range(3):
        await throttle.failed(anne)
    assert await throttle.wait(anne) == 10
    await throttle.succeeded(anne)
    assert await throttle.wait(anne) == 0
    assert await throttle.wait(fresh) == 10


async def test_e_mailed_links_are_counted_apart_from_failed_sign_ins_in_redis(redis_server: TestRedis) -> None:
    keys = throttle_keys("ana@example.com", "203.0.113.9")
    links = email_link_throttle(redis_server.url, redis_server.prefix)
    sign_ins = sign_in_throttle(redis_server.url, redis_server.prefix)
    try:
        for _ in range(3):  # LINK_LIMITS: three e-mails to one address, then a wait of five minutes
            assert await links.wait(keys) == 0
            await links.failed(keys)
        assert 0 < await links.wait(keys) <= 300
        assert await sign_ins.wait(keys) == 0  # the sign-in's counts are other keys
    finally:
        await links.close()
        await sign_ins.close()


def test_the_account_key_ignores_case_and_spaces_and_keeps_no_address() -> None:
    keys = throttle_keys("  Anne@Example.COM ", None)
    assert keys == throttle_keys("anne@example.com", None)
    assert "anne" not in keys[ACCOUNT]
    assert ADDRESS not in keys


def _attempt(client: TestClient[Litestar], email: str, password: str) -> tuple[int, str, str | None]:
    response = client.post(
        "/portal/sign-in",
        data={"email": email, "password": password, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    return response.status_code, response.text, response.headers.get("retry-after")


def test_the_portal_slows_an_account_after_five_failures_with_a_plain_sentence(
    client: TestClient[Litestar], agency: Agency
) -> None:
    member = add_member(client, agency.tenant_id)
    clock = Clock()
    client.app.state.services.sign_in_throttle.clock = clock
    for _ in range(5):
        assert _attempt(client, member.email, "not the password")[0] == 401
    status, text, retry_after = _attempt(client, member.email, PASSWORD)  # even the right password waits
    assert status == 429
    assert retry_after == "30"
    assert "Too many failed sign-ins: wait 1 minute(s) and try again" in text
    assert "rsn_portal" not in client.cookies

    # An address nobody has gets the same treatment, so the wait says nothing about who has an account.
    for _ in range(5):
        assert _attempt(client, "nobody@example.com", "whatever it is")[0] == 401
    status, stranger, _ = _attempt(client, "nobody@example.com", "whatever it is")
    assert status == 429
    assert stranger.replace("nobody@example.com", "EMAIL") == text.replace(member.email, "EMAIL")

    clock.now += 31
    assert _attempt(client, member.email, PASSWORD)[0] == 303
