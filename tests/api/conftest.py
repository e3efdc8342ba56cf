"""Helpers shared by the API suites: problem assertions, objects made through the API, owner-level DB access.

Test modules import them as `from tests.api.conftest import ...` (run pytest as `python -m pytest`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, Table, Uuid, func, select

from api.accounts.models import SocialAccount
from api.content.models import StoredMention, StoredPost
from api.metrics.models import StoredMetricPoint
from api.sync.models import SyncRun
from tenants.database import sync_engine
from tests.conftest import Agency, TestDatabase, run_syncs

PROBLEM_MEDIA_TYPE = "application/problem+json"


def assert_problem(
    response: httpx.Response, status: int, *, code: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """`response` is an RFC 9457 problem with this status (and code, field); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:resonance:problem:{body['code']}"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert len(body["detail"].split()) >= 3, body["detail"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


def create_client(client: TestClient[Litestar], agency: Agency, name: str = "Boulangerie Martin", **fields: Any) -> Any:
    response = client.post("/v1/clients", json={"name": name, **fields}, headers=agency.headers)
    assert response.status_code == 201, response.text
    return response.json()


def create_account(
    client: TestClient[Litestar], agency: Agency, client_id: str, handle: str = "martin", **fields: Any
) -> Any:
    body = {"network": "demo", "handle": handle, **fields}
    response = client.post(f"/v1/clients/{client_id}/accounts", json=body, headers=agency.headers)
    assert response.status_code == 201, response.text
    return response.json()


def make_client_and_account(
    client: TestClient[Litestar], agency: Agency, *, name: str = "Boulangerie Martin", handle: str = "martin"
) -> tuple[Any, Any]:
    made = create_client(client, agency, name)
    return made, create_account(client, agency, made["id"], handle)


def sync_account(client: TestClient[Litestar], agency: Agency, account_id: str, since: date, until: date) -> Any:
    """Queue a sync of the window, run it to completion and return the finished run."""
    response = client.post(
        f"/v1/accounts/{account_id}/syncs",
        json={"since": since.isoformat(), "until": until.isoformat()},
        headers=agency.headers,
    )
    assert response.status_code == 202, response.text
    run_syncs(client)
    finished = client.get(f"/v1/syncs/{response.json()['id']}", headers=agency.headers).json()
    assert finished["status"] == "succeeded", finished
    return finished


def list_all(client: TestClient[Litestar], agency: Agency, path: str, **params: Any) -> list[Any]:
    """Every item of a cursor-paginated list, following next_cursor."""
    items: list[Any] = []
    cursor = None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=agency.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{path} never stopped paginating")


@dataclass(frozen=True)
class Key:
    """An extra API key of an agency."""

    id: str
    secret: str
    prefix: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def create_key(client: TestClient[Litestar], agency: Agency, scopes: list[str], name: str = "extra") -> Key:
    response = client.post("/v1/api-keys", json={"name": name, "scopes": scopes}, headers=agency.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    return Key(id=body["id"], secret=body["secret"], prefix=body["prefix"])


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@contextmanager
def owner_connection(database: TestDatabase) -> Iterator[Connection]:
    """A connection as the tables' owner (a superuser on PostgreSQL), which sees every tenant's rows."""
    engine = sync_engine(database.owner_url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def table(model: Any) -> Table:
    result: Table = model.__table__
    return result


def count_rows(database: TestDatabase, model: Any, **where: Any) -> int:
    """Rows of `model`'s table matching every `column=value` (uuids as strings or UUIDs)."""
    target = table(model)
    statement = select(func.count()).select_from(target)
    for name, value in where.items():
        column = target.c[name]
        if isinstance(column.type, Uuid) and isinstance(value, str):
            value = uuid.UUID(value)
        statement = statement.where(column == value)
    with owner_connection(database) as connection:
        return int(connection.execute(statement).scalar_one())


CASCADED_BY_ACCOUNT = (SyncRun, StoredMetricPoint, StoredPost, StoredMention)
"""Tables whose rows belong to an account and must go with it."""


def account_footprint(database: TestDatabase, account_id: str) -> dict[str, int]:
    """How many rows the account has in itself and every table that hangs off it."""
    counts = {"accounts": count_rows(database, SocialAccount, id=account_id)}
    for model in CASCADED_BY_ACCOUNT:
        counts[table(model).name] = count_rows(database, model, account_id=account_id)
    return counts


def insert_metric_points(
    database: TestDatabase,
    tenant_id: str,
    account_id: str,
    metric: str,
    native_metric: str,
    values: dict[date, float],
) -> None:
    """Store daily values as a sync would, directly as the owner."""
    rows = [
        {
            "tenant_id": uuid.UUID(tenant_id),
            "account_id": uuid.UUID(account_id),
            "metric": metric,
            "day": day,
            "value": value,
            "native_metric": native_metric,
            "quality": "exact",
            "fetched_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
            "sync_run_id": None,
        }
        for day, value in values.items()
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredMetricPoint).insert(), rows)


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Key",
    "account_footprint",
    "assert_problem",
    "count_rows",
    "create_account",
    "create_client",
    "create_key",
    "insert_metric_points",
    "list_all",
    "make_client_and_account",
    "owner_connection",
    "parse_time",
    "sync_account",
]
