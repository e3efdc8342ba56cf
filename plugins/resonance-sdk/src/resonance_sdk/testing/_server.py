"""A local HTTP server that answers a connector with recorded responses, standard library only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx


@dataclass
class Route:
    """One recorded response: served when method, path and (a subset of) the query match.

    `{base}` inside `json` strings and `headers` values becomes the server's base URL, so next-page
    links point back at the local server. `times` limits how often it answers (None: always).
    """

    method: str
    path: str
    query: Mapping[str, str] | None = None
    json: Any = None
    body: str | bytes | None = None
    status: int = 200
    headers: Mapping[str, str] | None = None
    times: int | None = None
    used: int = field(default=0, init=False)

    def matches(self, method: str, path: str, query: Mapping[str, list[str]]) -> bool:
        if self.method.upper() != method or self.path.rstrip("/") != path.rstrip("/"):
            return False
        if self.times is not None and self.used >= self.times:
            return False
        return all(value in query.get(name, []) for name, value in (self.query or {}).items())


@dataclass(frozen=True)
class Served:
    """A request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


def _substitute(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [_substitute(item, base) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, base) for key, item in value.items()}
    return value


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-response (a test that stopped early) is not worth a traceback."""


class FixtureServer:
    """Serves `Route`s in order (first match wins) and records every request."""

    def __init__(self, routes: Sequence[Route] = ()) -> None:
        self.routes: list[Route] = list(routes)
        self.log: list[Served] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, no trailing slash."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def prepend(self, route: Route) -> None:
        """Serve `route` before every other (to inject a 429, a 5xx or a broken body)."""
        with self._lock:
            self.routes.insert(0, route)

    def requests_to(self, path: str) -> list[Served]:
        """Requests received for `path`."""
        return [served for served in self.log if served.path.rstrip("/") == path.rstrip("/")]

    def _answer(self, served: Served) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.log.append(served)
            route = next((r for r in self.routes if r.matches(served.method, served.path, served.query)), None)
            if route is not None:
                route.used += 1
        if route is None:
            message = f"no recorded response for {served.method} {served.path} {served.query}"
            return 404, {"Content-Type": "application/json"}, json.dumps({"error": message}).encode()
        headers = {key: _substitute(value, self.base_url) for key, value in (route.headers or {}).items()}
        if route.body is not None:
            payload = route.body.encode() if isinstance(route.body, str) else route.body
        else:
            payload = json.dumps(_substitute(route.json, self.base_url)).encode()
            headers.setdefault("Content-Type", "application/json")
        return route.status, headers, payload

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                served = Served(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                )
                status, headers, payload = server._answer(served)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serving(routes: Sequence[Route]) -> Iterator[FixtureServer]:
    """A started `FixtureServer`, stopped on exit."""
    server = FixtureServer(routes).start()
    try:
        yield server
    finally:
        server.stop()


class RecordingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends for real and remembers every URL it was asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
