# Over 400 lines: one network's declarations, credentials, requests and parsing; none serve another.
"""The `tiktok` connector: a creator's own TikTok account through the Display API v2.

Base URL https://open.tiktokapis.com/v2. What it reads, per account and window (UTC days):

* `GET /v2/user/info/?fields=open_id,union_id,avatar_url,display_name,follower_count,following_count,
  likes_count,video_count` (scopes `user.info.basic` + `user.info.stats`): the follower count. TikTok
  gives it as it is *now*, so `follower_count` is yielded for the day of the fetch, and only when that
  day is inside the window.
* `POST /v2/video/list/?fields=id,create_time,title,video_description,share_url,duration,like_count,
  comment_count,share_count,view_count` with the JSON body `{"max_count": 20, "cursor": …}` (scope
  `video.list`). Videos come newest first and the cursor is a UTC timestamp in milliseconds, so the
  first request starts at the end of the window and pagination (`data.cursor`, `data.has_more`) stops
  at the first page reaching back before the window: one `Post` per video with its current counts.

Daily metrics are **estimated**: the Display API has no per-day analytics, only each video's running
totals, so they are added to the day the video was *published* — `like_count` (reactions),
`comment_count` (comments), `share_count` (shares), `view_count` (video views) — and
`videos_published` counts the videos posted each day. Every day of the window gets a value (0 when
nothing was posted).

Every response carries TikTok's envelope `{"data": …, "error": {"code", "message", "log_id"}}`, where
`code == "ok"` means success even on HTTP 200. `access_token_invalid`, `scope_not_authorized` and
`scope_permission_missed` are authentication errors, `rate_limit_exceeded` a rate limit (the documented
default is 600 requests per minute per endpoint), `internal_error` transient.

Authentication: OAuth 2.0 through Login Kit (authorize at https://www.tiktok.com/v2/auth/authorize/,
comma-separated scopes, `client_key` instead of `client_id`), tokens from
`POST /v2/oauth/token/`. The access token is short-lived (the docs say 24 hours in one place, 2 hours in
another) and is refreshed with the refresh-token
grant (`client_key`, `client_secret`, `grant_type=refresh_token`, `refresh_token`); TikTok may rotate
the refresh token, so the new pair is handed to the engine through `refreshed_credentials`. The refresh
authenticates as the credentials' own `client_key`/`client_secret` when they hold them, else as the
operator's OAuth app (`oauth_client`, never stored with the account). OAuth onboarding keeps the
`open_id` of TikTok's token answer (the user's id for this app) with the tokens.

What it cannot do: the Display API has no mentions or comments endpoint, and it only reads the
account that authorized the app. Data about other accounts is only in the Research API, restricted
to approved non-commercial researchers. Hence no `mentions` and no `public_data` capability, and a
competitor account is refused with `CompetitorNotSupportedError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Final

import httpx

from plugins.sdk import (
    OAUTH_TOKEN_FIELDS,
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Capability,
    Checkpoint,
    Connector,
    ConnectorError,
    ConnectorHttp,
    DailySums,
    MetricDeclaration,
    MetricPoint,
    OAuthConfig,
    Post,
    RateLimitedError,
    Record,
    TokenRefresh,
    TransientError,
    Window,
    hookimpl,
    state_int,
    utc_today,
)

NETWORK: Final = "tiktok"
API_BASE_URL: Final = "https://open.tiktokapis.com/v2"
TOKEN_PATH: Final = "oauth/token/"  # noqa: S105 - an endpoint path, not a secret
USER_INFO_PATH: Final = "user/info/"
VIDEO_LIST_PATH: Final = "video/list/"
PAGE_SIZE: Final = 20
"""The documented maximum `max_count` of /v2/video/list/."""
MAX_PAGES: Final = 1000

USER_FIELDS: Final = "open_id,union_id,avatar_url,display_name,follower_count,following_count,likes_count,video_count"
VIDEO_FIELDS: Final = (
    "id,create_time,title,video_description,share_url,duration,like_count,comment_count,share_count,view_count"
)

FOLLOWERS: Final = "follower_count"
LIKES: Final = "like_count"
COMMENTS: Final = "comment_count"
SHARES: Final = "share_count"
VIEWS: Final = "view_count"
VIDEOS: Final = "videos_published"

_METRICS: Final = (
    MetricDeclaration(
        native=FOLLOWERS,
        canonical="followers",
        unit="accounts",
        description="user.follower_count, as of the day of the fetch.",
    ),
    MetricDeclaration(
        native=LIKES,
        canonical="reactions",
        unit="actions",
        description="video.like_count; daily: summed over the videos published that day.",
    ),
    MetricDeclaration(
        native=COMMENTS,
        canonical="comments",
        unit="actions",
        description="video.comment_count; daily: summed over the videos published that day.",
    ),
    MetricDeclaration(
        native=SHARES,
        canonical="shares",
        unit="actions",
        description="video.share_count; daily: summed over the videos published that day.",
    ),
    MetricDeclaration(
        native=VIEWS,
        canonical="video_views",
        unit="views",
        description="video.view_count; daily: summed over the videos published that day.",
    ),
    MetricDeclaration(
        native=VIDEOS,
        canonical="posts_published",
        unit="posts",
        description="Videos the account published that day.",
    ),
)

_VIDEO_METRICS: Final = (LIKES, COMMENTS, SHARES, VIEWS)
_DAILY: Final = (*_VIDEO_METRICS, VIDEOS)
_AUTH_CODES: Final = frozenset({"access_token_invalid", "scope_not_authorized", "scope_permission_missed"})


class CompetitorNotSupportedError(ConnectorError):
    """TikTok's Display API only reads the account that authorized the app."""


today = utc_today
"""The UTC day of the fetch, when the follower snapshot is taken (tests replace it) (the SDK's clock)."""


# --- errors -----------------------------------------------------------------------------------------


def _endpoint(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def _error(body: Any) -> tuple[str, str, str]:
    """(code, message, log_id) of TikTok's `error` object; ("", "", "") when the body has none."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")[:200], str(error.get("log_id") or "")


def _typed(code: str, message: str, log_id: str, endpoint: str, status: int) -> ConnectorError:
    detail = f"{code}: {message}" + (f"; log_id {log_id}" if log_id else "")
    if code in _AUTH_CODES:
        return AuthenticationError(
            f"tiktok refused the credentials on {endpoint} ({detail}); reconnect the account"
            + (" and grant the scopes user.info.basic, user.info.stats and video.list" if "scope" in code else "")
        )
    if code == "rate_limit_exceeded":
        return RateLimitedError(f"tiktok rate limit on {endpoint} ({detail})")
    if code == "internal_error" or status >= 500:
        return TransientError(f"tiktok {endpoint} answered {status} ({detail})")
    return BadResponseError(f"tiktok {endpoint} answered {status} ({detail})")


def classify_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """Map TikTok's `error.code` to a typed error; bodies without one keep the SDK's status-based handling."""
    code, message, log_id = _error(body)
    if not code or code == "ok":
        return None
    return _typed(code, message, log_id, _endpoint(response), response.status_code)


def _classify_token_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """OAuth errors of the token endpoint: `{"error": "invalid_grant", "error_description": …, "log_id": …}`."""
    if (
        isinstance(body, dict)
        and isinstance(body.get("error"), str)
        and body["error"]
        and not body.get("access_token")
        and response.status_code < 500
    ):
        return AuthenticationError(
            f"tiktok refused to refresh the access token on {_endpoint(response)} "
            f"({body['error']}: {str(body.get('error_description') or '')[:200]}); reconnect the account"
        )
    return None


# --- parsing ----------------------------------------------------------------------------------------


def _data(body: Any, where: str) -> dict[str, Any]:
    """The `data` object of a successful envelope; a non-"ok" `error.code` on a 200 still raises."""
    if not isinstance(body, dict):
        raise BadResponseError(f"tiktok {where} answered a {type(body).__name__} where an object was expected")
    code, message, log_id = _error(body)
    if code and code != "ok":
        raise _typed(code, message, log_id, where, 200)
    data = body.get("data")
    if not isinstance(data, dict):
        raise BadResponseError(f"tiktok {where} answered no 'data' object")
    return data


def _count(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _millis(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp() * 1000)


def _video(item: Any, where: str) -> Post:
    if not isinstance(item, dict):
        raise BadResponseError(f"tiktok {where} answered a video that is not an object")
    external_id = item.get("id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    if not isinstance(external_id, str) or not external_id:
        raise BadResponseError(f"tiktok {where} answered a video without an id")
    created = item.get("create_time")
    if isinstance(created, bool) or not isinstance(created, int | float):
        raise BadResponseError(f"tiktok {where} answered video {external_id} without a create_time")
    metrics = {name: value for name in _VIDEO_METRICS if (value := _count(item.get(name))) is not None}
    description = item.get("video_description")
    title = item.get("title")
    text = description if isinstance(description, str) and description else title if isinstance(title, str) else ""
    share_url = item.get("share_url")
    return Post(
        external_id=external_id,
        published_at=datetime.fromtimestamp(created, tz=UTC),
        text=text,
        url=share_url if isinstance(share_url, str) and share_url else None,
        media_type="video",
        metrics=metrics,
    )


# --- the connector ----------------------------------------------------------------------------------


class TikTokConnector(Connector):
    """A creator's own TikTok account: follower count, videos with their counts, per-day sums.

    Daily values other than `follower_count` are derived from the videos by publish day and flagged
    "estimated": the Display API exposes only each video's running totals, so a day's `like_count` is
    the likes *so far* of the videos published that day, not the likes received that day.

    No `mentions`: the Display API has no endpoint for comments or mentions. No `public_data`: it only
    reads the account that authorized the app (other accounts are in the Research API, reserved to
    approved researchers), so competitor accounts are refused with `CompetitorNotSupportedError`.
    """

    id = "tiktok"
    name = "TikTok"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts"})
    default_base_url = API_BASE_URL
    oauth = OAuthConfig(
        authorize_url="https://www.tiktok.com/v2/auth/authorize/",
        token_url="https://open.tiktokapis.com/v2/oauth/token/",  # noqa: S106 - a URL, not a secret
        scopes=("user.info.basic", "user.info.stats", "video.list"),
        pkce=False,  # Login Kit for Web authenticates the server with client_secret; PKCE is for desktop/mobile
        scope_separator=",",
        client_id_param="client_key",
        client_auth="body",  # the token endpoint takes client_key and client_secret as form fields
    )
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "access_token": {
                "type": "string",
                "title": "Access token",
                "description": "The user access token from Login Kit (act.…).",
                "minLength": 1,
                "writeOnly": True,
            },
            "refresh_token": {
                "type": "string",
                "title": "Refresh token",
                "description": "Renews the access token (rft.…).",
                "minLength": 1,
                "writeOnly": True,
            },
            "client_key": {
                "type": "string",
                "title": "Client key",
                "description": "The app's client key, to refresh the token; defaults to the operator's OAuth app.",
                "minLength": 1,
                "writeOnly": True,
            },
            "client_secret": {
                "type": "string",
                "title": "Client secret",
                "description": "The app's client secret, needed to refresh the access token.",
                "minLength": 1,
                "writeOnly": True,
            },
            "open_id": {
                "type": "string",
                "title": "Open ID",
                "description": "The user's id for this app, as returned with the token.",
            },
        },
        "required": ["access_token"],
        "additionalProperties": False,
    }

    def _client(self, credentials: Mapping[str, Any]) -> ConnectorHttp:
        access = credentials.get("access_token")
        if not isinstance(access, str) or not access:
            raise AuthenticationError("tiktok: the credentials hold no access_token; connect the account")
        # TikTok names the app `client_key`, wants its secret in the form, may rotate the refresh token
        # and repeats the user's `open_id`; it may answer an OAuth error with HTTP 200.
        refresher = TokenRefresh(
            self,
            credentials,
            token_url=TOKEN_PATH,
            client_id_field="client_key",
            client_id_param="client_key",
            requires_secret=True,
            keep=("refresh_token", "open_id"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache"},
            classify_error=_classify_token_error,
        )
        return self.http(token=refresher.bearer(access), classify_error=classify_error)

    async def credentials_from_oauth(self, token: Mapping[str, Any], *, account: AccountRef) -> dict[str, Any]:
        """The SDK's token fields, and the `open_id` TikTok answers with the token (the user's id for the app)."""
        credentials = await super().credentials_from_oauth(token, account=account)
        open_id = token.get("open_id")
        if isinstance(open_id, str) and open_id:
            credentials["open_id"] = open_id
        return credentials

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """One cheap call: `GET /v2/user/info/?fields=open_id,display_name`."""
        async with self._client(credentials) as http:
            body = await http.get_json(USER_INFO_PATH, params={"fields": "open_id,display_name"})
            _data(body, f"GET /{USER_INFO_PATH}")

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """The follower snapshot, then the window's videos page by page, then the daily sums."""
        if account.kind == "competitor":
            raise CompetitorNotSupportedError(
                f"tiktok cannot track competitor account {account.handle!r}: the Display API only reads the "
                "account that authorized the app (other accounts need the Research API, restricted to approved "
                "researchers)"
            )
        async with self._client(account.credentials) as http:
            stage = state.get("stage")
            if stage not in {"videos", "done"}:
                where = f"GET /{USER_INFO_PATH}"
                data = _data(await http.get_json(USER_INFO_PATH, params={"fields": USER_FIELDS}), where)
                user = data.get("user")
                if not isinstance(user, dict):
                    raise BadResponseError(f"tiktok {where} answered no 'data.user' object")
                followers = _count(user.get(FOLLOWERS))
                day = today()
                if followers is not None and window.since <= day <= window.until:
                    yield MetricPoint(native_metric=FOLLOWERS, day=day, value=followers, quality="exact")
                stage, state = "videos", {}
                yield Checkpoint(state={"stage": stage})

            if stage == "videos":
                sums = DailySums.restore(state.get("days"))
                async for record in self._videos(http, window, state, sums):
                    yield record
                for point in sums.points(_DAILY, window, "estimated"):
                    yield point
                yield Checkpoint(state={"stage": "done"})

    async def _videos(
        self, http: ConnectorHttp, window: Window, state: Mapping[str, Any], sums: DailySums
    ) -> AsyncIterator[Record]:
        """POST /v2/video/list/ pages, newest first, from the end of the window back to its start.

        `ConnectorHttp.paginate` only sends GET, so the cursor loop is written out here.
        """
        where = f"POST /{VIDEO_LIST_PATH}"
        start = _millis(window.since)
        cursor = state_int(state, "cursor")
        if cursor is None:
            cursor = _millis(window.until + timedelta(days=1))
        for _ in range(MAX_PAGES):
            response = await http.request(
                "POST",
                VIDEO_LIST_PATH,
                params={"fields": VIDEO_FIELDS},
                json_body={"max_count": PAGE_SIZE, "cursor": cursor},
                headers={"Content-Type": "application/json"},
            )
            data = _data(http.decode(response), where)
            videos = data.get("videos", [])
            if videos is None:
                videos = []
            if not isinstance(videos, list):
                raise BadResponseError(f"tiktok {where} answered a 'data.videos' that is not a list")
            oldest: int | None = None
            for item in videos:
                post = _video(item, where)
                created = int(post.published_at.timestamp() * 1000)
                oldest = created if oldest is None else min(oldest, created)
                day = post.published_at.date()
                if not window.since <= day <= window.until:
                    continue
                sums.add(day, {**{name: post.metrics.get(name, 0.0) for name in _VIDEO_METRICS}, VIDEOS: 1.0})
                yield post
            following = data.get("cursor")
            has_more = data.get("has_more") is True
            if not has_more or (oldest is not None and oldest < start):
                return
            if isinstance(following, bool) or not isinstance(following, int) or following == cursor:
                raise BadResponseError(f"tiktok {where} answered has_more without a new cursor")
            cursor = following
            yield Checkpoint(state={"stage": "videos", "cursor": cursor, "days": sums.state()})
        raise BadResponseError(f"tiktok {where}: more than {MAX_PAGES} pages; stopped")


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The tiktok plugin provides one connector."""
    return [TikTokConnector]
