# Over 400 lines: one network's Data and Analytics APIs, owned and competitor channels, and parsing.
"""The `youtube` connector: YouTube channels through the YouTube Data API v3 and the YouTube Analytics API.

Owned channels (connected with Google OAuth 2.0, scopes `youtube.readonly` and `yt-analytics.readonly`):

* `GET https://www.googleapis.com/youtube/v3/channels?part=snippet,statistics,contentDetails&mine=true` → the
  channel id, its uploads playlist and `statistics.subscriberCount`.
* `GET https://youtubeanalytics.googleapis.com/v2/reports?ids=channel==MINE&startDate=…&endDate=…&metrics=views,
  likes,comments,shares,subscribersGained,subscribersLost&dimensions=day&sort=day` → exact daily `views`, `likes`,
  `comments` and `shares`. YouTube Analytics lags 48-72 hours and leaves out days not yet processed.
  On 2026-08-24 YouTube started counting a public view as soon as playback starts for every format (Shorts
  since 2025-03-31); `views` follows the new definition, the older one survives as `engagedViews`.
* YouTube gives no daily subscriber *count*: `subscriberCount` is yielded for today (if in the window) and
  rebuilt for earlier days as the count now minus the daily `subscribersGained - subscribersLost` since. The
  Data API rounds `subscriberCount` down to three significant figures, so every such value is `estimated`.
* `GET …/playlistItems?part=snippet,contentDetails&playlistId={uploads}&maxResults=50&pageToken=…` (newest
  first) then `GET …/videos?part=snippet,statistics&id=…` → the window's videos with their `viewCount`,
  `likeCount` and `commentCount`.
* `GET …/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=…&order=time&maxResults=100` →
  comments (and the replies the thread carries) written in the window, except the channel's own.

Competitor channels use public data only, with an API key (`key=`) and no OAuth: `channels?id=` (or
`forHandle=`), the uploads playlist, `videos` and `commentThreads`. Their subscriber count is the publicly
rounded one, flagged `public_only`; channels that hide it yield none.

Quota errors (403 `quotaExceeded`/`dailyLimitExceeded`, reset at midnight Pacific time) end the run with
`RateLimitedError`; short-term `rateLimitExceeded`/`userRateLimitExceeded` are retried with backoff. Expired
access tokens are refreshed with the refresh token (`access_type=offline`) at `https://oauth2.googleapis.com/token`,
as the credentials' own `client_id` (and `client_secret`) when they hold one, else as the operator's OAuth app
(`oauth_client`, never stored with the account).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, ClassVar, Final
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    Mention,
    MetricDeclaration,
    MetricPoint,
    OAuthConfig,
    Post,
    Quality,
    RateLimitedError,
    Record,
    TokenRefresh,
    Window,
    cursor_param,
    hookimpl,
    state_text,
    utc_now,
    utc_today,
)

NETWORK: Final = "youtube"
DATA_API_URL: Final = "https://www.googleapis.com/youtube/v3"
ANALYTICS_HOST: Final = "https://youtubeanalytics.googleapis.com/v2/"
ANALYTICS_PATH: Final = "v2/reports"
"""Where reports.query is reached under an overridden base URL (tests, proxies)."""
TOKEN_HOST: Final = "https://oauth2.googleapis.com/"  # noqa: S105 - a host, not a secret
TOKEN_URL: Final = "https://oauth2.googleapis.com/token"  # noqa: S105 - an endpoint, not a secret
TOKEN_PATH: Final = "token"  # noqa: S105 - a path, not a secret
AUTHORIZE_URL: Final = "https://accounts.google.com/o/oauth2/v2/auth"
SCOPES: Final = (
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
)
PLAYLIST_PAGE_SIZE: Final = 50
COMMENTS_PAGE_SIZE: Final = 100
VIDEO_URL: Final = "https://www.youtube.com/watch?v={id}"

QUOTA_REASONS: Final = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS: Final = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
AUTH_REASONS: Final = frozenset(
    {
        "authError",
        "insufficientPermissions",
        "forbidden",
        "accountDelegationForbidden",
        "UNAUTHENTICATED",
        "invalid_grant",
        "unauthorized_client",
        "invalid_client",
    }
)
KEY_REASONS: Final = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})

# --- metrics --------------------------------------------------------------------------------------

VIEWS: Final = "views"
LIKES: Final = "likes"
COMMENTS: Final = "comments"
SHARES: Final = "shares"
SUBSCRIBERS: Final = "subscriberCount"
VIDEO_VIEWS: Final = "viewCount"
VIDEO_LIKES: Final = "likeCount"
VIDEO_COMMENTS: Final = "commentCount"

DAILY_METRICS: Final = (VIEWS, LIKES, COMMENTS, SHARES)
GAINED: Final = "subscribersGained"
LOST: Final = "subscribersLost"
REPORT_METRICS: Final = (*DAILY_METRICS, GAINED, LOST)
VIDEO_STATISTICS: Final = (VIDEO_VIEWS, VIDEO_LIKES, VIDEO_COMMENTS)

_METRICS: Final = (
    MetricDeclaration(
        native=VIEWS,
        canonical="video_views",
        unit="views",
        description=(
            "Daily views of the channel's videos (YouTube Analytics `views`). Since 2026-08-24 a view counts "
            "as soon as playback starts, for every format; `engagedViews` keeps the older definition."
        ),
    ),
    MetricDeclaration(
        native=LIKES, canonical="reactions", unit="actions", description="Daily likes (YouTube Analytics `likes`)."
    ),
    MetricDeclaration(
        native=COMMENTS,
        canonical="comments",
        unit="actions",
        description="Daily comments (YouTube Analytics `comments`).",
    ),
    MetricDeclaration(
        native=SHARES,
        canonical="shares",
        unit="actions",
        description="Daily shares through the Share button (YouTube Analytics `shares`).",
    ),
    MetricDeclaration(
        native=SUBSCRIBERS,
        canonical="followers",
        unit="accounts",
        description=(
            "Channel subscribers (Data API `statistics.subscriberCount`, rounded down to three significant "
            "figures); earlier days rebuilt from Analytics subscribersGained - subscribersLost, so estimated."
        ),
    ),
    MetricDeclaration(
        native=VIDEO_VIEWS,
        canonical="video_views",
        unit="views",
        description="Lifetime views of one video (Data API `statistics.viewCount`).",
    ),
    MetricDeclaration(
        native=VIDEO_LIKES,
        canonical="reactions",
        unit="actions",
        description="Lifetime likes of one video (Data API `statistics.likeCount`).",
    ),
    MetricDeclaration(
        native=VIDEO_COMMENTS,
        canonical="comments",
        unit="actions",
        description="Lifetime comments on one video (Data API `statistics.commentCount`).",
    ),
)


_today = utc_today
"""Today in UTC; a module function so tests can pin it (the SDK's clock)."""


def _pacific() -> timezone | ZoneInfo:
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # pragma: no cover - no tz database on this machine
        return timezone(timedelta(hours=-8))


def _seconds_to_quota_reset(now: datetime | None = None) -> float:
    """YouTube Data API quotas reset at midnight Pacific time."""
    local = (now or utc_now()).astimezone(_pacific())
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)
    return max(1.0, (midnight - local).total_seconds())


def _count(value: Any) -> float | None:
    """A Google counter: an integer, or (Data API) a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str) and value.isdigit():
        return float(value)
    return None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --- errors ---------------------------------------------------------------------------------------


class CommentsDisabledError(ConnectorError):
    """The channel turned comments off: there are no comments to collect, which is not a failure."""


def _google_error(body: Any) -> tuple[set[str], str]:
    """(reasons, message) of a Google API error body (`error.errors[].reason`, `error.details[].reason`,
    `error.status`) or of an OAuth token endpoint error (`{"error": "invalid_grant", …}`)."""
    if not isinstance(body, dict):
        return set(), str(body)[:120]
    error = body.get("error")
    if isinstance(error, str):
        return {error}, str(body.get("error_description") or "")[:200]
    if not isinstance(error, dict):
        return set(), ""
    reasons: set[str] = set()
    for key in ("errors", "details"):
        items = error.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("reason"):
                reasons.add(str(item["reason"]))
    if error.get("status"):
        reasons.add(str(error["status"]))
    return reasons, str(error.get("message") or "")[:200]


def classify_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """Map Google's error answers (Data API, Analytics API, OAuth) to the SDK's typed errors."""
    status = response.status_code
    endpoint = f"{response.request.method} {urlsplit(str(response.request.url)).path}"
    reasons, message = _google_error(body)
    detail = f"{status} {','.join(sorted(reasons))}: {message}".strip()
    if reasons & QUOTA_REASONS:
        return RateLimitedError(
            f"youtube daily quota exhausted on {endpoint} ({detail}); it resets at midnight Pacific time",
            retry_after=_seconds_to_quota_reset(),
        )
    if reasons & RATE_REASONS:
        return RateLimitedError(f"youtube rate limit on {endpoint} ({detail})")
    if "commentsDisabled" in reasons:
        return CommentsDisabledError(f"youtube {endpoint}: comments are disabled ({detail})")
    if reasons & KEY_REASONS:
        return AuthenticationError(f"youtube refused the API key on {endpoint} ({detail}); check the key")
    if status == 401 or reasons & AUTH_REASONS:
        return AuthenticationError(f"youtube refused the credentials on {endpoint} ({detail}); reconnect the account")
    if "accessNotConfigured" in reasons or "SERVICE_DISABLED" in reasons:
        return AuthenticationError(f"youtube {endpoint}: the API is not enabled in the Google Cloud project ({detail})")
    return None


# --- response shapes ------------------------------------------------------------------------------


def _items(body: Any, endpoint: str) -> list[dict[str, Any]]:
    """The `items` of a Data API list response, or `BadResponseError` naming the endpoint."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadResponseError(f"youtube {endpoint} answered a body without an 'items' list")
    return items


def _report_rows(body: Any) -> dict[date, dict[str, float]]:
    """Rows of a reports.query `resultTable`, by day and metric name."""
    headers = body.get("columnHeaders") if isinstance(body, dict) else None
    if not isinstance(headers, list) or not all(isinstance(h, dict) and "name" in h for h in headers):
        raise BadResponseError("youtube GET /v2/reports answered a body without 'columnHeaders'")
    names = [str(header["name"]) for header in headers]
    if "day" not in names:
        raise BadResponseError("youtube GET /v2/reports answered a table without a 'day' column")
    rows = body.get("rows") or []  # no rows at all when the channel has no data in the range
    if not isinstance(rows, list):
        raise BadResponseError("youtube GET /v2/reports answered 'rows' that is not a list")
    table: dict[date, dict[str, float]] = {}
    for row in rows:
        if not isinstance(row, list) or len(row) != len(names):
            raise BadResponseError("youtube GET /v2/reports answered a row that does not match its columns")
        values = dict(zip(names, row, strict=True))
        try:
            day = date.fromisoformat(str(values.pop("day")))
        except ValueError:
            raise BadResponseError("youtube GET /v2/reports answered a day that is not YYYY-MM-DD") from None
        table[day] = {name: number for name, value in values.items() if (number := _count(value)) is not None}
    return table


def _subscribers(channel: Mapping[str, Any]) -> tuple[float | None, bool]:
    """The channel's (rounded) subscriber count, and whether the owner hides it from the public."""
    statistics = channel.get("statistics")
    if not isinstance(statistics, dict):
        return None, False
    return _count(statistics.get("subscriberCount")), statistics.get("hiddenSubscriberCount") is True


def _comment_record(
    comment: Mapping[str, Any], kind: str, channel_id: str, video_id: str | None, window: Window
) -> Mention | None:
    snippet = comment.get("snippet")
    if not isinstance(snippet, dict) or not isinstance(comment.get("id"), str):
        return None
    published_at = _timestamp(snippet.get("publishedAt"))
    if published_at is None or not window.since <= published_at.astimezone(UTC).date() <= window.until:
        return None
    author_channel = snippet.get("authorChannelId")
    if isinstance(author_channel, dict) and author_channel.get("value") == channel_id:
        return None  # the channel answering its own audience
    text = snippet.get("textOriginal") or snippet.get("textDisplay")
    if not isinstance(text, str) or not text.strip():
        return None
    video = snippet.get("videoId") or video_id
    author = snippet.get("authorDisplayName")
    return Mention(
        external_id=comment["id"],
        published_at=published_at,
        text=text,
        author=author if isinstance(author, str) and author else None,
        url=f"{VIDEO_URL.format(id=video)}&lc={comment['id']}" if video else None,
        kind="reply" if kind == "reply" else "comment",
        post_external_id=video if isinstance(video, str) else None,
    )


# --- the connector --------------------------------------------------------------------------------


class YouTubeConnector(Connector):
    """YouTube channels: owned ones through OAuth (Data API + Analytics API), competitors through public data."""

    id = NETWORK
    name = "YouTube"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions", "public_data"})
    default_base_url = DATA_API_URL
    other_base_urls: ClassVar[tuple[str, ...]] = (ANALYTICS_HOST, TOKEN_HOST)
    oauth = OAuthConfig(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        scopes=SCOPES,
        pkce=True,
        extra_authorize_params={"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"},
    )
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "access_token": {
                "type": "string",
                "title": "Access token",
                "description": "Google OAuth 2.0 access token of the channel owner (owned channels).",
                "minLength": 1,
                "writeOnly": True,
            },
            "refresh_token": {
                "type": "string",
                "title": "Refresh token",
                "description": "Issued with access_type=offline; lets the connector renew the access token.",
                "minLength": 1,
                "writeOnly": True,
            },
            "client_id": {
                "type": "string",
                "title": "OAuth client ID",
                "description": "The OAuth client, to refresh the token; defaults to the operator's OAuth app.",
                "minLength": 1,
            },
            "client_secret": {"type": "string", "title": "OAuth client secret", "minLength": 1, "writeOnly": True},
            "api_key": {
                "type": "string",
                "title": "API key",
                "description": "Google Cloud API key with the YouTube Data API enabled (competitor channels).",
                "minLength": 1,
                "writeOnly": True,
            },
        },
        "anyOf": [{"required": ["access_token"]}, {"required": ["api_key"]}],
        "dependentRequired": {"client_secret": ["client_id"]},
        "additionalProperties": False,
    }

    # --- HTTP plumbing ----------------------------------------------------------------------------

    def _overridden(self) -> bool:
        return bool(self.base_url) and self.base_url != self.default_base_url

    def _under_base(self, default: str, path: str) -> str:
        """`default` on the real hosts; `path` under the base URL when an operator or a test overrides it."""
        return urljoin(str(self.base_url).rstrip("/") + "/", path) if self._overridden() else default

    @contextlib.asynccontextmanager
    async def _owner_client(self, credentials: Mapping[str, Any]) -> AsyncIterator[ConnectorHttp]:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                "youtube: an owned channel needs an OAuth access_token (connect it with Google); "
                "an API key only reads public data"
            )
        # Google refreshes public clients too: the client id, and its secret when there is one, go in the form.
        refresher = TokenRefresh(
            self, credentials, token_url=self._under_base(TOKEN_URL, TOKEN_PATH), classify_error=classify_error
        )
        async with self.http(token=refresher.bearer(token), classify_error=classify_error) as http:
            yield http

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """One cheap call: the owner's channel id with a token, or the languages list with an API key."""
        if isinstance(credentials.get("access_token"), str) and credentials.get("access_token"):
            async with self._owner_client(credentials) as api:
                body = await api.get_json("channels", params={"part": "id", "mine": "true"})
                if not _items(body, "GET /channels"):
                    raise AuthenticationError("youtube: the connected Google account has no YouTube channel")
            return
        key = credentials.get("api_key")
        if not isinstance(key, str) or not key:
            raise AuthenticationError("youtube: credentials need an access_token (owned) or an api_key (public data)")
        async with self.http(classify_error=classify_error) as api:
            _items(await api.get_json("i18nLanguages", params={"part": "snippet", "key": key}), "GET /i18nLanguages")

    # --- fetch ------------------------------------------------------------------------------------

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Daily channel metrics, then the window's videos, then its comments; a checkpoint after each page."""
        competitor = account.kind == "competitor"
        phase = state.get("phase")
        page_token = state_text(state, "page_token")
        async with contextlib.AsyncExitStack() as stack:
            if competitor:
                key = account.credentials.get("api_key")
                if not isinstance(key, str) or not key:
                    raise AuthenticationError(
                        f"youtube competitor {account.handle!r} needs an api_key: competitors are read from "
                        "public data only, never with an OAuth token"
                    )
                api = await stack.enter_async_context(self.http(classify_error=classify_error))
                auth: dict[str, str] = {"key": key}
            else:
                api = await stack.enter_async_context(self._owner_client(account.credentials))
                auth = {}
            channel = await self._channel(api, account, auth)
            channel_id = str(channel["id"])

            if phase not in {"videos", "comments", "done"}:
                points = (
                    self._public_points(channel, window)
                    if competitor
                    else await self._owner_points(api, channel, window)
                )
                for point in points:
                    yield point
                phase, page_token = "videos", None
                yield Checkpoint(state={"phase": "videos"})
            if phase == "videos":
                async for record in self._videos(api, auth, channel, window, page_token):
                    yield record
                phase, page_token = "comments", None
            if phase == "comments":
                async for record in self._comments(api, auth, channel_id, window, page_token):
                    yield record

    async def _channel(self, api: ConnectorHttp, account: AccountRef, auth: Mapping[str, str]) -> dict[str, Any]:
        params = {"part": "snippet,statistics,contentDetails", **auth}
        reference = (account.external_id or "").strip()
        if not auth:
            params["mine"] = "true"
        elif reference.startswith("UC"):
            params["id"] = reference
        else:
            handle = reference or account.handle
            params["forHandle"] = handle if handle.startswith("@") else f"@{handle}"
        items = _items(await api.get_json("channels", params=params), "GET /channels")
        if not items or not isinstance(items[0].get("id"), str):
            if not auth:
                raise AuthenticationError("youtube: the connected Google account has no YouTube channel")
            raise ConnectorError(f"youtube: no public channel matches {account.handle!r} ({reference or 'handle'})")
        channel = items[0]
        if not auth and reference.startswith("UC") and channel["id"] != reference:
            raise AuthenticationError(
                f"youtube: the connected Google account owns channel {channel['id']}, not {reference}; "
                "reconnect with the channel's owner"
            )
        return channel

    # --- daily metrics ----------------------------------------------------------------------------

    def _public_points(self, channel: Mapping[str, Any], window: Window) -> list[MetricPoint]:
        subscribers, hidden = _subscribers(channel)
        today = _today()
        if subscribers is None or hidden or not window.since <= today <= window.until:
            return []
        return [MetricPoint(native_metric=SUBSCRIBERS, day=today, value=subscribers, quality="public_only")]

    async def _owner_points(self, api: ConnectorHttp, channel: Mapping[str, Any], window: Window) -> list[MetricPoint]:
        today = _today()
        # Up to today: the days after the window feed the subscriber rebuild; Analytics truncates to its last
        # fully processed day (48-72 hours back) by itself.
        end = max(window.since, today)
        body = await api.get_json(
            self._under_base(f"{ANALYTICS_HOST}reports", ANALYTICS_PATH),
            params={
                "ids": "channel==MINE",
                "startDate": window.since.isoformat(),
                "endDate": end.isoformat(),
                "metrics": ",".join(REPORT_METRICS),
                "dimensions": "day",
                "sort": "day",
            },
        )
        table = _report_rows(body)
        by_day: dict[date, dict[str, tuple[float, Quality]]] = {}
        for day, values in table.items():
            if window.since <= day <= window.until:
                for native in DAILY_METRICS:
                    if native in values:
                        by_day.setdefault(day, {})[native] = (values[native], "exact")

        subscribers, _hidden = _subscribers(channel)  # hidden from the public, not from its owner
        if subscribers is not None:
            net = {day: values.get(GAINED, 0.0) - values.get(LOST, 0.0) for day, values in table.items()}
            running = subscribers - sum(change for day, change in net.items() if day > window.until)
            day = window.until
            while day >= window.since:
                if day == today or (day < today and table):
                    by_day.setdefault(day, {})[SUBSCRIBERS] = (max(0.0, running), "estimated")
                running -= net.get(day, 0.0)
                day -= timedelta(days=1)
        return [
            MetricPoint(native_metric=native, day=day_key, value=value, quality=quality)
            for day_key in sorted(by_day)
            for native, (value, quality) in sorted(by_day[day_key].items())
        ]

    # --- videos -----------------------------------------------------------------------------------

    async def _videos(
        self,
        api: ConnectorHttp,
        auth: Mapping[str, str],
        channel: Mapping[str, Any],
        window: Window,
        page_token: str | None,
    ) -> AsyncIterator[Record]:
        details = channel.get("contentDetails")
        playlists = details.get("relatedPlaylists") if isinstance(details, dict) else None
        uploads = playlists.get("uploads") if isinstance(playlists, dict) else None
        if not isinstance(uploads, str) or not uploads:
            yield Checkpoint(state={"phase": "comments"})
            return
        params: dict[str, Any] = {
            "part": "snippet,contentDetails",
            "playlistId": uploads,
            "maxResults": PLAYLIST_PAGE_SIZE,
            **auth,
        }
        if page_token:
            params["pageToken"] = page_token
        pages = api.paginate(
            "playlistItems",
            params=params,
            items=lambda body: [body],
            next_page=cursor_param("pageToken", lambda body: body.get("nextPageToken")),
            max_pages=10_000,
        )
        async with contextlib.aclosing(pages) as bodies:
            async for body in bodies:
                entries = _items(body, "GET /playlistItems")
                dated: list[tuple[str, datetime]] = []
                for entry in entries:
                    content = entry.get("contentDetails")
                    video_id = content.get("videoId") if isinstance(content, dict) else None
                    published = _timestamp(content.get("videoPublishedAt")) if isinstance(content, dict) else None
                    if isinstance(video_id, str) and published is not None:
                        dated.append((video_id, published))
                wanted = [
                    video_id
                    for video_id, published in dated
                    if window.since <= published.astimezone(UTC).date() <= window.until
                ]
                for post in await self._video_posts(api, auth, wanted):
                    yield post
                next_token = body.get("nextPageToken")
                # Newest first: a page reaching videos older than the window is the last one needed.
                exhausted = bool(dated) and min(published for _, published in dated).date() < window.since
                if exhausted or not isinstance(next_token, str) or not next_token:
                    yield Checkpoint(state={"phase": "comments"})
                    return
                yield Checkpoint(state={"phase": "videos", "page_token": next_token})

    async def _video_posts(self, api: ConnectorHttp, auth: Mapping[str, str], video_ids: list[str]) -> list[Post]:
        if not video_ids:
            return []
        body = await api.get_json(
            "videos", params={"part": "snippet,statistics", "id": ",".join(video_ids), "maxResults": 50, **auth}
        )
        found = {item.get("id"): item for item in _items(body, "GET /videos")}
        posts = []
        for video_id in video_ids:  # the playlist's order, newest first
            video = found.get(video_id)
            if video is None:
                continue  # deleted or made private between the two calls
            snippet = video.get("snippet") if isinstance(video.get("snippet"), dict) else {}
            statistics = video.get("statistics") if isinstance(video.get("statistics"), dict) else {}
            published_at = _timestamp(snippet.get("publishedAt")) if isinstance(snippet, dict) else None
            if published_at is None:
                raise BadResponseError(f"youtube GET /videos: video {video_id} has no snippet.publishedAt")
            title = snippet.get("title") if isinstance(snippet, dict) else None
            description = snippet.get("description") if isinstance(snippet, dict) else None
            text = "\n\n".join(part for part in (title, description) if isinstance(part, str) and part)
            live = snippet.get("liveBroadcastContent") if isinstance(snippet, dict) else None
            metrics = {
                native: number
                for native in VIDEO_STATISTICS
                if isinstance(statistics, dict) and (number := _count(statistics.get(native))) is not None
            }
            posts.append(
                Post(
                    external_id=video_id,
                    published_at=published_at,
                    text=text,
                    url=VIDEO_URL.format(id=video_id),
                    media_type="live" if live in {"live", "upcoming"} else "video",
                    metrics=metrics,
                )
            )
        return posts

    # --- comments ---------------------------------------------------------------------------------

    async def _comments(
        self, api: ConnectorHttp, auth: Mapping[str, str], channel_id: str, window: Window, page_token: str | None
    ) -> AsyncIterator[Record]:
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": channel_id,
            "order": "time",
            "textFormat": "plainText",
            "maxResults": COMMENTS_PAGE_SIZE,
            **auth,
        }
        if page_token:
            params["pageToken"] = page_token
        pages = api.paginate(
            "commentThreads",
            params=params,
            items=lambda body: [body],
            next_page=cursor_param("pageToken", lambda body: body.get("nextPageToken")),
            max_pages=10_000,
        )
        try:
            async with contextlib.aclosing(pages) as bodies:
                async for body in bodies:
                    threads = _items(body, "GET /commentThreads")
                    oldest: date | None = None
                    for thread in threads:
                        snippet = thread.get("snippet")
                        if not isinstance(snippet, dict):
                            continue
                        video_id = snippet.get("videoId") if isinstance(snippet.get("videoId"), str) else None
                        top = snippet.get("topLevelComment")
                        if isinstance(top, dict):
                            top_snippet = top.get("snippet")
                            moment = (
                                _timestamp(top_snippet.get("publishedAt")) if isinstance(top_snippet, dict) else None
                            )
                            if moment is not None:
                                day = moment.astimezone(UTC).date()
                                oldest = day if oldest is None else min(oldest, day)
                            mention = _comment_record(top, "comment", channel_id, video_id, window)
                            if mention is not None:
                                yield mention
                        replies = thread.get("replies")
                        for reply in replies.get("comments", []) if isinstance(replies, dict) else []:
                            if isinstance(reply, dict):
                                mention = _comment_record(reply, "reply", channel_id, video_id, window)
                                if mention is not None:
                                    yield mention
                    next_token = body.get("nextPageToken")
                    # Threads come newest first: once a page reaches the days before the window, stop.
                    exhausted = oldest is not None and oldest < window.since
                    if exhausted or not isinstance(next_token, str) or not next_token:
                        yield Checkpoint(state={"phase": "done"})
                        return
                    yield Checkpoint(state={"phase": "comments", "page_token": next_token})
        except CommentsDisabledError:
            yield Checkpoint(state={"phase": "done"})


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The YouTube plugin provides one connector."""
    return [YouTubeConnector]
