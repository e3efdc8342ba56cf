"""Reading back what a connector did in a test: its records by kind, the requests a local server saw."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from plugins.sdk import Mention, MetricPoint, Post, Record


def of_type(records: list[Record], kind: type[Any]) -> list[Any]:
    """The records of one kind, in the order they were yielded."""
    return [record for record in records if isinstance(record, kind)]


def points(records: list[Record]) -> dict[tuple[str, date], MetricPoint]:
    """The metric points by native metric and day."""
    return {(r.native_metric, r.day): r for r in records if isinstance(r, MetricPoint)}


def posts(records: list[Record]) -> dict[str, Post]:
    """The posts by their id on the network."""
    return {r.external_id: r for r in records if isinstance(r, Post)}


def mentions(records: list[Record]) -> dict[str, Mention]:
    """The mentions by their id on the network."""
    return {r.external_id: r for r in records if isinstance(r, Mention)}


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    """The requests a pytest-httpserver received on `path`, in order."""
    return [request for request, _response in server.log if request.path == path]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer for a pytest-httpserver handler."""
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def at(text: str) -> datetime:
    """A UTC datetime from an ISO 8601 text without an offset."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def unix(day: date) -> str:
    """Midnight UTC of `day` in Unix seconds, as the Graph API's `since`/`until` parameters carry it."""
    return str(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()))
