"""The one HTTP client every connector uses.

It times out, retries network errors and 5xx with exponential backoff and full jitter, honours
`Retry-After` and each network's rate-limit headers (waiting when the wait is short, ending the run
with `RateLimitedError` when it is not, so the engine resumes later from the last checkpoint),
refreshes an expired token once, paginates, and refuses any URL outside the connector's declared
base URLs. Every connection obeys the deployment's egress policy (`_egress`): public addresses and the
operator's allowed hosts only. Error messages name the network and the endpoint's path, never its query
string (Meta and others take tokens there), and a connection that failed reads the same whatever the
cause (refused by the policy, closed port, timeout), so they tell a tenant nothing about the network.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from resonance_sdk._egress import EgressPolicy
from resonance_sdk._errors import (
    AuthenticationError,
    BadResponseError,
    ConnectorError,
    RateLimitedError,
    TransientError,
)
from resonance_sdk._pacing import RequestPacer

logger = logging.getLogger("resonance.connectors.http")

USER_AGENT = "Resonance/0.1 (+https://github.com/resonance-analytics/resonance)"
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
META_USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage", "x-business-use-case-usage")
META_THROTTLE_PERCENT = 95.0


class ForbiddenUrlError(ConnectorError):
    """A connector asked to call a URL outside the base URLs it declared."""


async def sleep_for(seconds: float) -> None:
    """How the client waits; looked up at call time so a test kit can make waits instant."""
    await asyncio.sleep(seconds)


@dataclass
class BearerToken:
    """An OAuth access token, with an optional coroutine that gets a fresh one when it has expired.

    `refresh` returns the new access token; the connector decides how (refresh-token grant, app
    password session…) and records the new credentials so the engine can store them.
    """

    access_token: str
    refresh: Callable[[], Awaitable[str]] | None = None
    header: str = "Authorization"
    scheme: str = "Bearer"

    def apply(self, headers: dict[str, str]) -> None:
        headers[self.header] = f"{self.scheme} {self.access_token}" if self.scheme else self.access_token


ErrorClassifier = Callable[[httpx.Response, Any], ConnectorError | None]
"""Maps a network's own error bodies (e.g. Meta's `OAuthException` code 190) to a typed error."""


def _parse_seconds(value: str, now: float) -> float | None:
    """A wait in seconds from a header value: delta seconds, epoch seconds, an HTTP date or ISO 8601."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)
    parsed: datetime | None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max(0.0, parsed.timestamp() - now)


def _header(headers: httpx.Headers, *names: str) -> str | None:
    for name in names:
        value: str | None = headers.get(name)
        if value is not None:
            return value
    return None


def _meta_usage_wait(headers: httpx.Headers) -> float | None:
    """Seconds to pause when Meta's usage headers say a quota is (nearly) used up."""
    worst = 0.0
    regain_minutes = 0.0
    for name in META_USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(usage, dict) and any(isinstance(v, list) for v in usage.values()):
            for items in usage.values():
                entries.extend(items if isinstance(items, list) else [])
        else:
            entries.append(usage)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
                value = entry.get(key)
                if isinstance(value, int | float):
                    worst = max(worst, float(value))
            regain = entry.get("estimated_time_to_regain_access")
            if isinstance(regain, int | float):
                regain_minutes = max(regain_minutes, float(regain))
    if worst < META_THROTTLE_PERCENT:
        return None
    return regain_minutes * 60 if regain_minutes else 60.0


def rate_limit_wait(response: httpx.Response, now: float | None = None) -> float | None:
    """How long the network asks us to wait before the next call, or None when it does not.

    Reads `Retry-After`; `X-RateLimit-*` (Mastodon: reset as ISO 8601), `x-rate-limit-*` (X: reset as
    epoch seconds), `RateLimit-*` (Bluesky, IETF draft) when the remaining count is zero; and Meta's
    `X-App-Usage` / `X-Business-Use-Case-Usage` percentages.
    """
    now = time.time() if now is None else now
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        wait = _parse_seconds(retry_after, now)
        if wait is not None:
            return wait
    remaining = _header(headers, "x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining")
    if remaining is not None and remaining.strip().split(",")[0].strip() in {"0", "0.0"}:
        reset = _header(headers, "x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
        wait = _parse_seconds(reset, now) if reset else None
        return wait if wait is not None else 60.0
    return _meta_usage_wait(headers)


@dataclass
class HttpPolicy:
    """How patient the client is; connectors rarely change it, tests shorten it."""

    timeout_seconds: float = 30.0
    max_attempts: int = 5
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    max_wait_seconds: float = 60.0
    """A rate-limit wait longer than this ends the run with `RateLimitedError` instead of sleeping."""


@dataclass
class _State:
    not_before: float = 0.0
    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)


class ConnectorHttp:
    """An HTTP client bound to one connector's network and base URLs."""

    def __init__(
        self,
        *,
        network: str,
        base_url: str,
        allowed_base_urls: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        token: BearerToken | None = None,
        policy: HttpPolicy | None = None,
        classify_error: ErrorClassifier | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        egress: EgressPolicy | None = None,
        pacer: RequestPacer | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`egress` says which hosts beyond the public internet may be reached (none by default);
        `transport` replaces the network altogether (tests), and the policy with it. `pacer`, when given,
        is asked for a send time before every attempt: the deployment's pace for the network."""
        self.network = network
        self.base_url = base_url.rstrip("/") + "/"
        self.allowed = [self.base_url, *(url.rstrip("/") + "/" for url in allowed_base_urls)]
        self.token = token
        self.policy = policy or HttpPolicy()
        self.pacer = pacer
        self.classify_error = classify_error
        self._sleep = sleep or (lambda seconds: sleep_for(seconds))
        self._clock = clock
        self._state = _State()
        self._client = httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(self.policy.timeout_seconds),
            transport=transport or (egress or EgressPolicy()).transport(),
            follow_redirects=False,
        )

    async def __aenter__(self) -> ConnectorHttp:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    @property
    def stats(self) -> dict[str, float]:
        """Requests made, retries and seconds spent waiting on rate limits (for logs and tests)."""
        return {
            "requests": self._state.requests,
            "retries": self._state.retries,
            "waited_seconds": self._state.waited_seconds,
        }

    def resolve(self, url: str) -> str:
        """`url` made absolute against the base URL; `ForbiddenUrlError` when outside the declared ones."""
        absolute = urljoin(self.base_url, url.lstrip("/")) if not urlsplit(url).scheme else url
        if not any(absolute.startswith(base) or absolute + "/" == base for base in self.allowed):
            raise ForbiddenUrlError(
                f"{self.network}: refused to call {urlsplit(absolute).netloc}{urlsplit(absolute).path}: "
                f"it is not under the connector's declared base URLs ({', '.join(self.allowed)})"
            )
        return absolute

    def _endpoint(self, url: str) -> str:
        return urlsplit(url).path or "/"

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.policy.backoff_max_seconds, self.policy.backoff_initial_seconds * (2**attempt))
        return random.uniform(0, ceiling)  # full jitter: retries from many workers spread out

    async def _wait(self, seconds: float, endpoint: str) -> None:
        if seconds > self.policy.max_wait_seconds:
            raise RateLimitedError(
                f"{self.network} rate limit on {endpoint}: asked to wait {seconds:.0f} s, more than the "
                f"{self.policy.max_wait_seconds:.0f} s this run waits; the next run resumes from the last checkpoint",
                retry_after=seconds,
            )
        if seconds > 0:
            logger.info("%s: waiting %.1f s for the rate limit on %s", self.network, seconds, endpoint)
            self._state.waited_seconds += seconds
            await self._sleep(seconds)

    async def _paced(self, pacer: RequestPacer, endpoint: str) -> None:
        """Wait for the deployment's pacer to admit the next request; `RateLimitedError` past the patience."""
        waited = 0.0
        while (seconds := await pacer.admit(self.network)) > 0:
            if waited + seconds > self.policy.max_wait_seconds:
                raise RateLimitedError(
                    f"{self.network} request rate of this deployment: {endpoint} waited {waited:.0f} s for its turn, "
                    f"and the next would pass the {self.policy.max_wait_seconds:.0f} s this run waits; the next run "
                    "resumes from the last checkpoint",
                    retry_after=seconds,
                )
            self._state.waited_seconds += seconds
            waited += seconds
            await self._sleep(seconds)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send a request with retries, rate-limit waits and one token refresh; return a 2xx response."""
        absolute = self.resolve(url)
        endpoint = self._endpoint(absolute)
        refreshed = False
        attempt = 0
        while True:
            pause = self._state.not_before - self._clock()
            if pause > 0:
                await self._wait(pause, endpoint)
            if self.pacer is not None:
                await self._paced(self.pacer, endpoint)
            request_headers = dict(headers or {})
            if authenticated and self.token is not None:
                self.token.apply(request_headers)
            self._state.requests += 1
            try:
                # params=None, not {}: an empty mapping would make httpx drop a next link's own query.
                response = await self._client.request(
                    method, absolute, params=params or None, json=json_body, data=data, headers=request_headers
                )
            except httpx.TransportError as error:
                # One sentence for every cause: which one (refused, closed, filtered, reset) stays in our log.
                logger.info("%s: %s %s failed: %s: %s", self.network, method, endpoint, type(error).__name__, error)
                failure: ConnectorError = TransientError(
                    f"{self.network} {method} {endpoint}: no answer (the connection failed or timed out)"
                )
            else:
                wait = rate_limit_wait(response, self._clock())
                if response.is_success:
                    if wait is not None:
                        self._state.not_before = self._clock() + wait  # the quota is spent: pause before the next call
                    return response
                body = _body(response)
                classified = self.classify_error(response, body) if self.classify_error else None
                if isinstance(classified, AuthenticationError) or (classified is None and response.status_code == 401):
                    # Never from an unauthenticated call: that is the token endpoint itself refusing.
                    if authenticated and self.token is not None and self.token.refresh is not None and not refreshed:
                        refreshed = True
                        self.token.access_token = await self.token.refresh()
                        continue
                    raise classified or AuthenticationError(
                        f"{self.network} refused the credentials on {method} {endpoint} "
                        f"({response.status_code}: {_summary(body)}); reconnect the account"
                    )
                if isinstance(classified, RateLimitedError) or (classified is None and response.status_code == 429):
                    retry_after = wait if wait is not None else getattr(classified, "retry_after", None)
                    seconds = retry_after if retry_after is not None else self._backoff(attempt + 1)
                    attempt += 1
                    if attempt >= self.policy.max_attempts:
                        raise RateLimitedError(
                            f"{self.network} kept rate-limiting {method} {endpoint}", retry_after=seconds
                        )
                    self._state.retries += 1
                    await self._wait(seconds, endpoint)
                    continue
                if classified is not None and not isinstance(classified, TransientError):
                    raise classified
                if classified is None and response.status_code not in RETRYABLE_STATUSES:
                    raise BadResponseError(
                        f"{self.network} {method} {endpoint} answered {response.status_code}: {_summary(body)}"
                    )
                failure = classified or TransientError(
                    f"{self.network} {method} {endpoint} answered {response.status_code}: {_summary(body)}"
                )
            attempt += 1
            if attempt >= self.policy.max_attempts:
                raise failure
            self._state.retries += 1
            delay = self._backoff(attempt)
            logger.info("%s: retrying %s in %.2f s after: %s", self.network, endpoint, delay, failure)
            await self._sleep(delay)

    async def get_json(
        self, url: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """GET and decode a JSON body; `BadResponseError` naming the endpoint when it is not JSON."""
        response = await self.request("GET", url, params=params, headers=headers)
        return self.decode(response)

    def decode(self, response: httpx.Response) -> Any:
        """The JSON body of `response`, or `BadResponseError` naming the network and endpoint."""
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as error:
            raise BadResponseError(
                f"{self.network} {response.request.method} {self._endpoint(str(response.request.url))} "
                f"answered a body that is not valid JSON ({type(error).__name__}: {str(error)[:80]})"
            ) from None

    async def paginate(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        items: Callable[[Any], Sequence[Any]],
        next_page: Callable[[Any, httpx.Response], tuple[str | None, Mapping[str, Any] | None]],
        max_pages: int = 1000,
    ) -> AsyncGenerator[Any, None]:
        """Yield every item of every page.

        A loop that may stop before the last page closes it with `contextlib.aclosing(http.paginate(...))`,
        so no request is left pending.

        `next_page(body, response)` returns either `(next_url, None)` (a next link, absolute or relative)
        or `(None, params)` (the same URL with new parameters, e.g. a cursor), or `(None, None)` at the end.
        """
        current_url, current_params = url, dict(params or {})
        for _ in range(max_pages):
            response = await self.request("GET", current_url, params=current_params)
            body = self.decode(response)
            for item in items(body):
                yield item
            next_url, next_params = next_page(body, response)
            if next_url:
                current_url, current_params = next_url, {}
            elif next_params:
                current_params = {**current_params, **next_params}
            else:
                return
        raise BadResponseError(f"{self.network} {self._endpoint(url)}: more than {max_pages} pages; stopped")


def cursor_param(name: str, read: Callable[[Any], Any]) -> Callable[[Any, httpx.Response], tuple[None, Any]]:
    """A `next_page` for cursor pagination: the body's cursor (via `read`) is sent back as `name`."""

    def next_page(body: Any, _response: httpx.Response) -> tuple[None, Any]:
        cursor = read(body)
        return None, ({name: cursor} if cursor else None)

    return next_page


def next_link(read: Callable[[Any], Any]) -> Callable[[Any, httpx.Response], tuple[Any, None]]:
    """A `next_page` for APIs whose body carries the next page's URL (Meta's `paging.next`)."""

    def next_page(body: Any, _response: httpx.Response) -> tuple[Any, None]:
        return read(body) or None, None

    return next_page


def link_header(_body: Any, response: httpx.Response) -> tuple[str | None, None]:
    """A `next_page` for APIs that send `Link: <…>; rel="next"` (Mastodon, GitHub-style)."""
    return response.links.get("next", {}).get("url"), None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:200]


def _summary(body: Any) -> str:
    """A short, secret-free description of an error body."""
    if isinstance(body, dict):
        error = body.get("error", body.get("errors", body))
        if isinstance(error, list) and error:
            error = error[0]
        if isinstance(error, dict):
            message = (
                error.get("message") or error.get("detail") or error.get("title") or error.get("error_description")
            )
            code = error.get("code") or error.get("type") or error.get("error")
            text = " ".join(str(part) for part in (code, message) if part)
            return text[:200] or "no message"
        return str(error)[:200]
    return str(body)[:200] or "empty body"
