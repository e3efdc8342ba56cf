"""Cached metrics reads answered by the first middleware: the same answer, only when everything is in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from litestar.types import Scope

from api.app import create_app
from api.auth import Principal
from api.metrics import fast_path
from api.services import Services
from tests.api.conftest import assert_problem, create_key, insert_metric_points, make_client_and_account
from tests.conftest import TestDatabase, make_settings, sign_up

DAY = date(2026, 3, 2)
QUERY = {"metric": "impressions", "from": DAY.isoformat(), "to": DAY.isoformat()}


@pytest.fixture
def cached_client(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(make_settings(database, metrics_cache_seconds=60))) as test_client:
        yield test_client


def test_a_cached_read_is_the_same_answer_with_its_own_request_id(
    cached_client: TestClient[Litestar], database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[bool] = []
    original = fast_path._cached_answer

    def spy(scope: Scope, services: Services) -> tuple[Principal, bytes] | None:
        answer = original(scope, services)
        answered.append(answer is not None)
        return answer

    monkeypatch.setattr(fast_path, "_cached_answer", spy)
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 10})
    params = {"account_id": account["id"], **QUERY}

    first = cached_client.get("/v1/metrics", params=params, headers=agency.headers)
    second = cached_client.get("/v1/metrics", params=params, headers={**agency.headers, "X-Request-ID": "dash-42"})
    by_header = cached_client.get(
        "/v1/metrics", params=params, headers={"X-API-Key": agency.key, "X-Request-ID": "dash-43"}
    )

    assert (first.headers["x-cache"], second.headers["x-cache"], by_header.headers["x-cache"]) == ("miss", "hit", "hit")
    assert second.content == first.content == by_header.content
    assert second.headers["content-type"] == "application/json"
    assert (second.headers["x-request-id"], by_header.headers["x-request-id"]) == ("dash-42", "dash-43")
    assert answered == [False, True, True]  # the first read filled the caches; the next two never reached the handler


def test_a_key_revoked_in_this_process_is_refused_at_once(cached_client: TestClient[Litestar]) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    reader = create_key(cached_client, agency, ["read"], name="dashboard")
    headers = {"Authorization": f"Bearer {reader.secret}"}
    params = {"account_id": account["id"], **QUERY}
    assert cached_client.get("/v1/metrics", params=params, headers=headers).status_code == 200
    assert cached_client.get("/v1/metrics", params=params, headers=headers).headers["x-cache"] == "hit"

    assert cached_client.delete(f"/v1/api-keys/{reader.id}", headers=agency.headers).status_code == 204

    assert_problem(cached_client.get("/v1/metrics", params=params, headers=headers), 401, code="unauthorized")


def test_another_tenant_with_the_same_query_never_gets_the_cached_answer(
    cached_client: TestClient[Litestar], database: TestDatabase
) -> None:
    agency, other = sign_up(cached_client), sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 5})
    params = {"account_id": account["id"], **QUERY}
    assert cached_client.get("/v1/clients", headers=other.headers).status_code == 200  # its key is cached too
    assert cached_client.get("/v1/metrics", params=params, headers=agency.headers).status_code == 200

    response = cached_client.get("/v1/metrics", params=params, headers=other.headers)

    assert_problem(response, 404, code="not_found", field="account_id")
    assert "x-cache" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer rsn_live_not-a-key"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
def test_a_request_without_a_usable_key_gets_the_usual_401(
    cached_client: TestClient[Litestar], headers: dict[str, str]
) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    params = {"account_id": account["id"], **QUERY}
    assert cached_client.get("/v1/metrics", params=params, headers=agency.headers).status_code == 200

    assert_problem(cached_client.get("/v1/metrics", params=params, headers=headers), 401, code="unauthorized")
