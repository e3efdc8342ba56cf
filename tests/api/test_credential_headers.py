"""Which credential a request presents is decided once, the same way for the cached metrics fast path and the app.

A request may carry `Authorization: Bearer …` or `X-API-Key: …`. Whatever the combination, a repeated (cached)
metrics read and an ordinary route give the same status: a valid key beside a bad or conflicting one is refused
on both, never let through by whichever header happens to come first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tenants import api_keys
from tests.api.conftest import Key, create_key, insert_metric_points, make_client_and_account
from tests.conftest import Agency, TestDatabase, make_settings, sign_up

DAY = date(2026, 3, 2)
Headers = list[tuple[str, str]]


@pytest.fixture
def cached_client(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(make_settings(database, metrics_cache_seconds=60))) as test_client:
        yield test_client


def _bearer(secret: str) -> tuple[str, str]:
    return ("Authorization", f"Bearer {secret}")


def _x_api_key(secret: str) -> tuple[str, str]:
    return ("X-API-Key", secret)


MALFORMED = "rsn_live_not-a-key"
UNKNOWN = api_keys.generate().secret

CASES: dict[str, tuple[Callable[[str, str], Headers], int]] = {
    "only Authorization": (lambda key, other: [_bearer(key)], 200),
    "only X-API-Key": (lambda key, other: [_x_api_key(key)], 200),
    "both, the same key": (lambda key, other: [_bearer(key), _x_api_key(key)], 200),
    "both, the same key, X-API-Key first": (lambda key, other: [_x_api_key(key), _bearer(key)], 200),
    "lower-case bearer scheme": (lambda key, other: [("Authorization", f"bearer {key}")], 200),
    "both, two different valid keys": (lambda key, other: [_bearer(key), _x_api_key(other)], 401),
    "bad Authorization, valid X-API-Key": (lambda key, other: [_bearer(MALFORMED), _x_api_key(key)], 401),
    "valid X-API-Key, then a bad Authorization": (lambda key, other: [_x_api_key(key), _bearer(MALFORMED)], 401),
    "unknown key in Authorization, valid X-API-Key": (lambda key, other: [_x_api_key(key), _bearer(UNKNOWN)], 401),
    "Basic scheme beside a valid X-API-Key": (
        lambda key, other: [_x_api_key(key), ("Authorization", "Basic dXNlcjpwYXNz")],
        401,
    ),
    "malformed scheme": (lambda key, other: [("Authorization", f"Token {key}")], 401),
    "Bearer without a key": (lambda key, other: [("Authorization", "Bearer ")], 401),
    "Bearer without a key, valid X-API-Key": (lambda key, other: [_x_api_key(key), ("Authorization", "Bearer")], 401),
    "two Authorization headers": (lambda key, other: [_bearer(key), _bearer(MALFORMED)], 401),
    "two X-API-Key headers": (lambda key, other: [_x_api_key(key), _x_api_key(other)], 401),
    "malformed X-API-Key": (lambda key, other: [_x_api_key(MALFORMED)], 401),
    "no credential": (lambda key, other: [], 401),
}


def _warm(client: TestClient[Litestar], agency: Agency, key: Key, params: dict[str, str]) -> None:
    """Fill the key cache and the metrics cache, so that the fast path can answer the next reads itself."""
    for headers in (agency.headers, key.headers):
        assert client.get("/v1/metrics", params=params, headers=headers).status_code == 200
    assert client.get("/v1/metrics", params=params, headers=key.headers).headers["x-cache"] == "hit"


def test_every_combination_of_credential_headers_gets_the_same_status_on_the_fast_path_and_elsewhere(
    cached_client: TestClient[Litestar], database: TestDatabase, subtests: pytest.Subtests
) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 10})
    key = create_key(cached_client, agency, ["read"], name="dashboard")
    params = {"account_id": account["id"], "metric": "impressions", "from": DAY.isoformat(), "to": DAY.isoformat()}
    _warm(cached_client, agency, key, params)

    for case, (build, expected) in CASES.items():
        with subtests.test(case):
            headers = build(key.secret, agency.key)
            cached = cached_client.get("/v1/metrics", params=params, headers=headers)
            ordinary = cached_client.get("/v1/tenant", headers=headers)

            assert (cached.status_code, ordinary.status_code) == (expected, expected), (cached.text, ordinary.text)
            if expected == 200:
                assert cached.headers["x-cache"] == "hit"  # answered by the fast path
            else:
                assert "x-cache" not in cached.headers
                assert cached.json()["detail"] == ordinary.json()["detail"]
                assert cached.headers["content-type"].startswith("application/problem+json")


def test_a_revoked_key_is_refused_on_the_fast_path_and_elsewhere(
    cached_client: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    key = create_key(cached_client, agency, ["read"], name="dashboard")
    params = {"account_id": account["id"], "from": DAY.isoformat(), "to": DAY.isoformat()}
    _warm(cached_client, agency, key, params)

    assert cached_client.delete(f"/v1/api-keys/{key.id}", headers=agency.headers).status_code == 204

    for headers in ([_bearer(key.secret)], [_x_api_key(key.secret)], [_x_api_key(key.secret), _bearer(key.secret)]):
        cached = cached_client.get("/v1/metrics", params=params, headers=headers)
        ordinary = cached_client.get("/v1/tenant", headers=headers)
        assert (cached.status_code, ordinary.status_code) == (401, 401)
        assert "revoked" in cached.json()["detail"]
        assert cached.json()["detail"] == ordinary.json()["detail"]
