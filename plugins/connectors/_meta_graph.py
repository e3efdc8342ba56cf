# Over 400 lines: the Graph API both Meta connectors speak, in one place so the two never drift apart.
"""What the Facebook Pages and Instagram connectors share: Meta's Graph API.

One Graph API version for both connectors, the host, Facebook Login (OAuth) settings, the
classifier that turns Meta's error bodies into the SDK's typed errors, pagination that can be
checkpointed without storing a token, the parsing of Meta's timestamps and insights, and the
resume state both connectors write.

Tokens. Meta does not issue refresh tokens for the Graph API. Facebook Login's authorization code
gives a short-lived user token (about an hour) that is *exchanged* for a long-lived one (about 60
days) with `grant_type=fb_exchange_token` (`exchange_long_lived_user_token`); a Page access token
read with a long-lived user token (`page_access_token`) does not expire. The connectors therefore
keep a Page access token in their credentials and never refresh anything: when Meta refuses a
token (error 190) the run ends with `AuthenticationError` and the account has to be reconnected.
OAuth onboarding (`Connector.credentials_from_oauth`) does the exchange with the operator's Meta app
(`oauth_client`: the app id and secret, never stored) and picks the account among the Pages the user
granted (`managed_pages`).

Version. `GRAPH_API_VERSION` is the latest version listed in Meta's Graph API changelog at the time
of writing (v27.0, introduced November 4, 2026); every insights metric used here applies to all
versions (Meta deprecates insights metrics for every version at once).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import httpx

from plugins.sdk import (
    AuthenticationError,
    BadResponseError,
    Checkpoint,
    Connector,
    ConnectorError,
    ConnectorHttp,
    OAuthConfig,
    RateLimitedError,
    TransientError,
    Window,
    resume_checkpoint,
    resume_state,
)

GRAPH_API_VERSION: Final = "v27.0"
"""The Graph API version both Meta connectors call (paths are `/{version}/...`)."""

GRAPH_HOST: Final = "https://graph.facebook.com"
"""The Graph API host; the version is part of each path, as in Meta's own `paging.next` links."""

FACEBOOK_AUTHORIZE_URL: Final = f"https://www.facebook.com/{GRAPH_API_VERSION}/dialog/oauth"
FACEBOOK_TOKEN_URL: Final = f"{GRAPH_HOST}/{GRAPH_API_VERSION}/oauth/access_token"

INSIGHTS_MAX_DAYS: Final = 90
"""Page Insights answer at most 90 days per `since`/`until` request."""

AUTH_CODES: Final = frozenset({102, 190})
"""Session or access token refused (190 covers expired 463, changed password 460, invalid 467…)."""
PERMISSION_CODES: Final = frozenset(range(200, 300))
"""A permission the token lacks: the agency must reconnect and grant it."""
RATE_LIMIT_CODES: Final = frozenset({4, 17, 32, 613, *range(80000, 80015)})
"""Application, user, Page, custom and Business Use Case (8000x) rate limits."""
TRANSIENT_CODES: Final = frozenset({1, 2})
"""Unknown error / service temporarily unavailable: worth retrying."""

SECRET_PARAMS: Final = frozenset({"access_token", "appsecret_proof", "client_secret", "fb_exchange_token"})
"""Query parameters never kept in a checkpoint (Meta echoes the request's parameters in `paging.next`)."""

_TOKEN_LIKE = re.compile(r"(access_token=|EAA)[A-Za-z0-9_\-.%]+")


def facebook_login(scopes: Sequence[str]) -> OAuthConfig:
    """Facebook Login (authorization-code flow) for the Graph API.

    PKCE is off: Meta documents PKCE only for its OIDC login flow (still "in testing"); the Graph API
    code is exchanged server-side with the app secret, which Meta takes as the `client_secret` parameter
    (not HTTP Basic). Scopes are comma-separated, as Meta documents.
    """
    return OAuthConfig(
        authorize_url=FACEBOOK_AUTHORIZE_URL,
        token_url=FACEBOOK_TOKEN_URL,
        scopes=tuple(scopes),
        pkce=False,
        scope_separator=",",
        client_auth="body",
    )


def graph_path(*segments: str) -> str:
    """`/v27.0/<segment>/<segment>`."""
    return "/" + "/".join((GRAPH_API_VERSION, *(segment.strip("/") for segment in segments)))


# --- errors ---------------------------------------------------------------------------------------


class GraphApiError(BadResponseError):
    """Meta answered a Graph API error that is neither an authentication nor a rate-limit problem."""

    def __init__(self, message: str, *, code: int | None, subcode: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` without any of `secrets` nor anything that looks like a Meta token."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _TOKEN_LIKE.sub(lambda match: f"{match.group(1)}***", text)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


ErrorClassifier = Callable[[httpx.Response, Any], ConnectorError | None]


def error_classifier(network: str, secrets: Sequence[str] = ()) -> ErrorClassifier:
    """The SDK `classify_error` for Meta's `{"error": {"message", "type", "code", "error_subcode"}}` bodies.

    190/102 or a 401 → `AuthenticationError` (Meta tokens cannot be refreshed, only reconnected); 200-299
    → `AuthenticationError` (a permission is missing); 4, 17, 32, 613, 80000-80014 or a 429 →
    `RateLimitedError`;
    1, 2, `is_transient` or a 5xx → `TransientError`; anything else → `GraphApiError`. Messages name
    the network and endpoint path and never carry a token.
    """

    def classify(response: httpx.Response, body: Any) -> ConnectorError | None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None  # not a Graph API error body: the SDK's status-based handling applies
        code = _int(error.get("code"))
        subcode = _int(error.get("error_subcode"))
        kind = str(error.get("type") or "GraphAPIError")
        message = redact(str(error.get("error_user_msg") or error.get("message") or "no message"), secrets)[:300]
        endpoint = f"{response.request.method} {urlsplit(str(response.request.url)).path}"
        label = f"{kind} {code}" + (f"/{subcode}" if subcode is not None else "")
        if code in AUTH_CODES or response.status_code == 401:
            return AuthenticationError(
                f"{network}: Meta refused the access token on {endpoint} ({label}: {message}). Meta tokens "
                "are not refreshed with a refresh token: reconnect the account through Facebook Login to "
                "get a new long-lived token"
            )
        if code is not None and code in PERMISSION_CODES:
            return AuthenticationError(
                f"{network}: the access token lacks a permission for {endpoint} ({label}: {message}); "
                "reconnect the account and grant the requested permissions"
            )
        if code in RATE_LIMIT_CODES or response.status_code == 429:
            return RateLimitedError(f"{network}: Meta rate limit on {endpoint} ({label}: {message})")
        if code in TRANSIENT_CODES or error.get("is_transient") is True or response.status_code >= 500:
            return TransientError(f"{network}: Meta failed transiently on {endpoint} ({label}: {message})")
        return GraphApiError(
            f"{network}: Graph API error on {endpoint} ({label}: {message})", code=code, subcode=subcode
        )

    return classify


def appsecret_proof(access_token: str, app_secret: str | None) -> dict[str, str]:
    """The `appsecret_proof` parameter Meta requires when the app enables "Require App Secret"."""
    if not app_secret:
        return {}
    digest = hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
    return {"appsecret_proof": digest}


# --- decoding -------------------------------------------------------------------------------------


def as_dict(value: Any, network: str, what: str) -> dict[str, Any]:
    """`value` if it is a JSON object, else `BadResponseError` naming the network and what was expected."""
    if not isinstance(value, dict):
        raise BadResponseError(f"{network}: {what} is not a JSON object (got {type(value).__name__})")
    return value


def data_list(body: Any, network: str, what: str) -> list[dict[str, Any]]:
    """The `data` array of a Graph API answer (missing means empty), its elements objects."""
    page = as_dict(body, network, what)
    items = page.get("data", [])
    if not isinstance(items, list):
        raise BadResponseError(f"{network}: {what}: `data` is not an array (got {type(items).__name__})")
    return [item for item in items if isinstance(item, dict)]


def number(value: Any) -> float | None:
    """A metric value as a float: numbers as is, breakdown objects summed, anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, dict):
        parts = [number(part) for part in value.values()]
        known = [part for part in parts if part is not None]
        return float(sum(known)) if known else None
    return None


def parse_time(value: Any) -> datetime | None:
    """Meta's timestamps (`2024-01-15T07:00:00+0000`) as aware datetimes in UTC; None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, pattern).astimezone(UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def insights_day(end_time: Any) -> date | None:
    """The day a daily insights value measures.

    Meta stamps a day's value with the *end* of that day in Pacific time (`2020-03-10T07:00:00+0000`
    or `T08:00` in winter is the value of March 9): the day is the UTC date twelve hours earlier.
    """
    moment = parse_time(end_time)
    return (moment - timedelta(hours=12)).date() if moment is not None else None


def unix(day: date) -> int:
    """Midnight UTC of `day` as a Unix timestamp (Meta's `since`/`until`)."""
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


def window_range(window: Window) -> dict[str, str]:
    """The `since` and `until` parameters of an edge listing the window's days: Unix seconds from midnight
    (UTC) of the first day to midnight after the last."""
    return {"since": str(unix(window.since)), "until": str(unix(window.until + timedelta(days=1)))}


def day_chunks(since: date, until: date, size: int) -> list[tuple[date, date]]:
    """Consecutive ranges of at most `size` days covering since..until (both included)."""
    chunks: list[tuple[date, date]] = []
    start = since
    while start <= until:
        end = min(until, start + timedelta(days=size - 1))
        chunks.append((start, end))
        start = end + timedelta(days=1)
    return chunks


def in_window(moment: datetime, window: Window) -> bool:
    """Whether `moment` falls on a day of the window (UTC)."""
    return window.since <= moment.astimezone(UTC).date() <= window.until


# --- pagination -----------------------------------------------------------------------------------


def next_params(body: Mapping[str, Any]) -> dict[str, str] | None:
    """The query of the body's `paging.next` link without any secret, or None on the last page.

    Meta's next links carry every parameter of the request (cursor-based `after` or time-based
    `until`/`__paging_token`), sometimes the access token too: keeping only the query minus the
    secrets gives a position that can be checkpointed and replayed on the same path.
    """
    paging = body.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(link, str) or not link:
        return None
    query = parse_qsl(urlsplit(link).query, keep_blank_values=True)
    return {name: value for name, value in query if name not in SECRET_PARAMS}


async def graph_pages(
    http: ConnectorHttp,
    path: str,
    params: Mapping[str, str],
    *,
    extra: Mapping[str, str],
    network: str,
) -> AsyncGenerator[tuple[dict[str, Any], dict[str, str] | None], None]:
    """Every page of a Graph API edge, each with the (secret-free) parameters of the page after it.

    Built on the SDK's `paginate`: the next page is requested on the same path with the parameters
    of `paging.next` (plus `extra`, e.g. `appsecret_proof`), so a checkpointed position and a live
    run make exactly the same requests.
    """

    def next_page(body: Any, _response: httpx.Response) -> tuple[None, dict[str, str] | None]:
        following = next_params(body) if isinstance(body, dict) else None
        return None, ({**following, **extra} if following else None)

    pages = http.paginate(path, params={**params, **extra}, items=lambda body: [body], next_page=next_page)
    async with aclosing(pages) as bodies:
        async for body in bodies:
            page = as_dict(body, network, f"GET {path}")
            yield page, next_params(page)


# --- resume state ---------------------------------------------------------------------------------

DONE: Final = "done"


def resume_point(state: Mapping[str, Any], window: Window, stages: Sequence[str]) -> tuple[list[str], Any]:
    """The stages still to run and the cursor of the first one.

    A state saved for the same window resumes where it stopped; any other state (a new window, an
    unreadable or foreign state) starts the window from the beginning.
    """
    saved = resume_state(state, window)
    if saved is not None:
        stage = saved.get("stage")
        if stage == DONE:
            return [], None
        if isinstance(stage, str) and stage in stages:
            return list(stages[stages.index(stage) :]), saved.get("cursor")
    return list(stages), None


def checkpoint(window: Window, stage: str, cursor: Any = None) -> Checkpoint:
    """A checkpoint saying "resume at `stage` from `cursor`".

    `last_day` is what the sync engine reads to start the next default window: the window's first
    day while the run is under way (nothing later is complete), its last day once done (re-read
    next time, since Meta updates the latest days' insights for up to 48 hours).
    """
    last_day = window.until if stage == DONE else window.since
    return resume_checkpoint(window, {"stage": stage, "cursor": cursor}, last_day=last_day)


def cursor_day(cursor: Any, window: Window) -> date:
    """The day a date cursor points at, clamped to the window (the window's first day when unreadable)."""
    if isinstance(cursor, str):
        try:
            day = date.fromisoformat(cursor)
        except ValueError:
            return window.since
        return min(max(day, window.since), window.until + timedelta(days=1))
    return window.since


def cursor_params(cursor: Any) -> dict[str, str] | None:
    """A checkpointed page position (string parameters), or None when there is none."""
    if (
        isinstance(cursor, dict)
        and cursor
        and all(isinstance(k, str) and isinstance(v, str) for k, v in cursor.items())
    ):
        return {k: v for k, v in cursor.items() if k not in SECRET_PARAMS}
    return None


# --- tokens ---------------------------------------------------------------------------------------


async def exchange_long_lived_user_token(
    http: ConnectorHttp, *, app_id: str, app_secret: str, short_lived_token: str
) -> dict[str, Any]:
    """Exchange a short-lived user token for a long-lived one (about 60 days): Meta's only "refresh".

    `GET /oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`
    answers `{"access_token", "token_type", "expires_in"}`. Run by whoever completes Facebook Login;
    the connectors themselves only read with the Page token obtained next (`page_access_token`).
    """
    response = await http.request(
        "GET",
        graph_path("oauth", "access_token"),
        params={
            "grant_type": "fb_exchange_token",
            "client_id": app_id,
            "client_secret": app_secret,
            "fb_exchange_token": short_lived_token,
        },
        authenticated=False,
    )
    body = as_dict(http.decode(response), http.network, "the token exchange answer")
    if not isinstance(body.get("access_token"), str):
        raise BadResponseError(f"{http.network}: the token exchange answered no access_token")
    return body


async def page_access_token(http: ConnectorHttp, page_id: str, *, params: Mapping[str, str] | None = None) -> str:
    """The Page access token of `page_id`, read with the (long-lived) user token the client carries.

    A Page token obtained from a long-lived user token has no expiry date. `params` are added to the
    request (`appsecret_proof`).
    """
    body = as_dict(
        await http.get_json(graph_path(page_id), params={"fields": "access_token", **(params or {})}),
        http.network,
        "the Page",
    )
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise AuthenticationError(f"{http.network}: Meta gave no Page access token for Page {page_id}")
    return token


# --- OAuth onboarding -----------------------------------------------------------------------------


async def long_lived_token_from_oauth(connector: Connector, token: Mapping[str, Any]) -> tuple[str, str]:
    """The long-lived user token for Facebook Login's answer, and the app secret that obtained it.

    The exchange needs the operator's Meta app (`connector.oauth_client`, with its secret); without it,
    a `ConnectorError` says so. Nothing here is stored: the connector keeps the Page token read next.
    """
    network = connector.id
    app = connector.oauth_client
    if app is None or not app.client_secret:
        raise ConnectorError(
            f"{network}: exchanging Facebook Login's token for a long-lived one needs the Meta app's id and "
            f"secret: configure them as the {network} OAuth client"
        )
    short_lived = token.get("access_token")
    if not isinstance(short_lived, str) or not short_lived:
        raise BadResponseError(f"{network}: Facebook Login's token answer holds no access_token")
    classify = error_classifier(network, [short_lived, app.client_secret])
    async with connector.http(classify_error=classify) as http:
        exchanged = await exchange_long_lived_user_token(
            http, app_id=app.client_id, app_secret=app.client_secret, short_lived_token=short_lived
        )
    return str(exchanged["access_token"]), app.client_secret


async def managed_pages(
    http: ConnectorHttp, fields: str, *, extra: Mapping[str, str], network: str
) -> list[dict[str, Any]]:
    """Every Page the user manages and granted the app (`GET /me/accounts`, all pages), with `fields`."""
    path = graph_path("me", "accounts")
    found: list[dict[str, Any]] = []
    async for page, _following in graph_pages(
        http, path, {"fields": fields, "limit": "100"}, extra=extra, network=network
    ):
        found.extend(data_list(page, network, f"GET {path}"))
    return found


def same_name(value: Any, handle: str) -> bool:
    """Whether a Page's or an account's id, username or name is the handle (case and a leading @ aside)."""
    wanted = handle.strip().lstrip("@").casefold()
    return bool(wanted) and isinstance(value, str | int) and str(value).strip().lstrip("@").casefold() == wanted


def listing(names: Sequence[str], limit: int = 10) -> str:
    """`a, b, c` (and how many more), for an error message naming what the user could pick instead."""
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
