"""A local Graph API for the Facebook Pages and Instagram connector tests, over pytest-httpserver.

It answers from `Route`s (first match wins; `query` is a subset match, so a test names only the
parameters it cares about), replaces `{base}` in the recorded `paging.next` links with the local
server's URL, and logs every request with its parsed query and headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class Route:
    """One canned answer to the requests it matches."""

    method: str
    path: str
    query: Mapping[str, str] | None = None
    json: Any = None
    body: str | None = None
    status: int = 200
    headers: Mapping[str, str] | None = None
    times: int | None = None
    used: int = field(default=0)


@dataclass(frozen=True)
class Seen:
    """One request the connector made."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class Graph:
    """Answers the connector from `Route`s (first match wins; `query` is a subset match) and logs requests."""

    def __init__(self, server: HTTPServer) -> None:
        self.base = server.url_for("/").rstrip("/")
        self.routes: list[Route] = []
        self.seen: list[Seen] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    def add(self, method: str, path: str, **options: Any) -> Graph:
        self.routes.append(Route(method, path, **options))
        return self

    def first(self, method: str, path: str, **options: Any) -> Graph:
        self.routes.insert(0, Route(method, path, **options))
        return self

    def to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def _handle(self, request: Request) -> Response:
        query = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
        seen = Seen(request.method, request.path, query, {k.lower(): v for k, v in request.headers.items()})
        self.seen.append(seen)
        for route in self.routes:
            if route.method != request.method or route.path != request.path:
                continue
            if route.times is not None and route.used >= route.times:
                continue
            if not all(value in query.get(name, []) for name, value in (route.query or {}).items()):
                continue
            route.used += 1
            text = route.body if route.body is not None else json.dumps(route.json).replace("{base}", self.base)
            return Response(
                text, status=route.status, headers=dict(route.headers or {}), content_type="application/json"
            )
        return Response(json.dumps({"error": f"no route for {request.path}"}), status=404)
