"""A small request router over pytest-httpserver, shared by connector tests that need raw request details.

Unlike the kit's `FixtureServer`, it records the raw request URI (Rest.li encodings), headers and forms,
and can match on request headers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def renewed_expiry(credentials: dict[str, Any] | None, seconds: int) -> dict[str, Any]:
    """The refreshed credentials without `expires_at`, after checking it is `seconds` from now (ISO, UTC)."""
    assert credentials is not None
    rest = dict(credentials)
    expires_at = datetime.fromisoformat(rest.pop("expires_at"))
    assert expires_at.utcoffset() == timedelta(0)
    assert seconds - 10 <= (expires_at - datetime.now(UTC)).total_seconds() <= seconds
    return rest


@dataclass
class Answer:
    """One canned response: method, decoded path, a subset of the query and (optionally) headers to match."""

    method: str
    path: str
    query: dict[str, str] | None = None
    json: Any = None
    body: str | None = None
    status: int = 200
    headers: dict[str, str] | None = None
    when_headers: dict[str, str] | None = None
    times: int | None = None
    used: int = field(default=0, init=False)

    def matches(self, request: Request) -> bool:
        if request.method != self.method or request.path.rstrip("/") != self.path.rstrip("/"):
            return False
        if self.times is not None and self.used >= self.times:
            return False
        if any(request.args.get(name) != value for name, value in (self.query or {}).items()):
            return False
        return all(request.headers.get(name) == value for name, value in (self.when_headers or {}).items())


@dataclass
class Seen:
    method: str
    path: str
    raw_uri: str
    args: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]


class Router:
    """Answers every request from an ordered list of `Answer`s (first match wins) and logs them."""

    def __init__(self, server: HTTPServer, answers: list[Answer]) -> None:
        self.answers = answers
        self.seen: list[Seen] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def prepend(self, answer: Answer) -> None:
        self.answers.insert(0, answer)

    def handle(self, request: Request) -> Response:
        raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.full_path
        self.seen.append(
            Seen(
                request.method,
                request.path,
                str(raw),
                request.args.to_dict(),
                dict(request.headers),
                request.form.to_dict(),
            )
        )
        answer = next((candidate for candidate in self.answers if candidate.matches(request)), None)
        if answer is None:
            return Response(json.dumps({"message": f"no answer for {request.method} {request.full_path}"}), 404)
        answer.used += 1
        payload = answer.body if answer.body is not None else json.dumps(answer.json)
        return Response(payload, answer.status, headers=answer.headers, content_type="application/json")

    def to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]


class Recording(httpx.AsyncBaseTransport):
    """A real transport that notes the URL of every request it sends (to check where a connector went)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
