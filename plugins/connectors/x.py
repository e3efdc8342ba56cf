# Over 400 lines: one network's user and app-only contexts; each request stays next to its parsing.
"""The `x` connector: X (formerly Twitter) through the X API v2 at https://api.x.com/2.

What it reads, per account and window (days are UTC days, both ends included):

* `GET /2/users/by/username/{username}` (or `GET /2/users/{id}` when the account's id is known) with
  `user.fields=public_metrics,created_at,username`: the follower count. X only gives the count as it
  is *now*, so `followers_count` is yielded for the day of the fetch, and only when that day falls
  inside the window (X keeps no follower history the API can read).
* `GET /2/users/{id}/tweets` with `start_time`/`end_time` set to the window, `exclude=retweets`,
  `max_results=100`, `tweet.fields=created_at,public_metrics,lang,attachments` and the
  `attachments.media_keys` expansion (`media.fields=type,public_metrics`), paginated with
  `pagination_token` ← `meta.next_token`: one `Post` per post with its current public metrics
  (`like_count`, `retweet_count`, `quote_count`, `reply_count`, `impression_count`,
  `bookmark_count`, and `video_view_count` from the attached videos' `public_metrics.view_count`).
* `GET /2/users/{id}/mentions` over the same window with the `author_id` expansion
  (`user.fields=username`): one `Mention` per post by someone else that mentions the account; a reply
  to one of the account's posts is a `reply` linked to that post, anything else a `mention`.

Daily metrics derived from the posts are **estimated**: X has no per-day account analytics in the
v2 API, so each post's lifetime totals (as of the fetch) are added to the day the post was
*published* — `like_count` (reactions), `reply_count` (comments), `retweet_and_quote_count`
(shares = reposts + quotes), `impression_count`, `bookmark_count` (saves), `video_view_count`,
`posts_published` — and `mention_count` counts the mentions published each day. Every day of the
window gets a value (0 when nothing was published). The timelines only reach back to the account's
3,200 most recent posts and 800 most recent mentions, so very old windows come out incomplete.

Non-public metrics (`non_public_metrics.url_link_clicks`, `user_profile_clicks`, `engagements`) need
a user-context token of the account itself and exist only for posts less than 30 days old: they are
requested for owned accounts connected through OAuth when the whole window is that recent, and then
also summed per publish day (estimated, like the others).

Authentication: owned accounts connect through OAuth 2.0 Authorization Code with PKCE (scopes
`tweet.read users.read offline.access`); the access token lasts two hours and is refreshed with the
refresh token at `POST /2/oauth2/token` (X rotates refresh tokens, so the new pair is handed back to
the engine through `refreshed_credentials`). The refresh authenticates as the credentials' own
`client_id`/`client_secret` when they hold one, else as the operator's OAuth app (`oauth_client`), which
is never stored with the account. Competitor accounts (`public_data`) are read with an
app-only bearer token (or any token) through the same public endpoints, never asking for non-public
metrics, and their points are flagged `public_only`. Rate-limit headers (`x-rate-limit-*`) are
honoured by the SDK's HTTP client.
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
    BearerToken,
    Capability,
    Checkpoint,
    Connector,
    ConnectorError,
    ConnectorHttp,
    DailySums,
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
    utc_today,
)

NETWORK: Final = "x"
API_BASE_URL: Final = "https://api.x.com/2"
SITE_URL: Final = "https://x.com"
TOKEN_PATH: Final = "oauth2/token"  # noqa: S105 - an endpoint path, not a secret
PAGE_SIZE: Final = 100
FIRST_TIMELINE_DAY: Final = date(2010, 11, 6)
"""X refuses a `start_time` before 2010-11-06."""
NON_PUBLIC_MAX_AGE_DAYS: Final = 28
"""Non-public metrics exist for posts under 30 days old; a margin keeps requests clear of the edge."""
USAGE_CAP_RETRY_SECONDS: Final = 24 * 3600.0
CHECK_USERNAME: Final = "XDevelopers"
"""A public account looked up by `check()` when only an app-only bearer token is given."""

# --- native metrics ---------------------------------------------------------------------------------

FOLLOWERS: Final = "followers_count"
LIKES: Final = "like_count"
REPLIES: Final = "reply_count"
RETWEETS: Final = "retweet_count"
QUOTES: Final = "quote_count"
SHARES: Final = "retweet_and_quote_count"
IMPRESSIONS: Final = "impression_count"
BOOKMARKS: Final = "bookmark_count"
VIDEO_VIEWS: Final = "video_view_count"
URL_CLICKS: Final = "url_link_clicks"
PROFILE_CLICKS: Final = "user_profile_clicks"
ENGAGEMENTS: Final = "engagements"
POSTS: Final = "posts_published"
MENTIONS: Final = "mention_count"

_METRICS: Final = (
    MetricDeclaration(
        native=FOLLOWERS,
        canonical="followers",
        unit="accounts",
        description="user.public_metrics.followers_count, as of the day of the fetch.",
    ),
    MetricDeclaration(
        native=LIKES,
        canonical="reactions",
        unit="actions",
        description="public_metrics.like_count of a post; daily: summed over the posts published that day.",
    ),
    MetricDeclaration(
        native=REPLIES,
        canonical="comments",
        unit="actions",
        description="public_metrics.reply_count of a post; daily: summed over the posts published that day.",
    ),
    MetricDeclaration(
        native=RETWEETS,
        canonical="shares",
        unit="actions",
        description="public_metrics.retweet_count (reposts, quotes excluded) of a post; posts only.",
    ),
    MetricDeclaration(
        native=QUOTES,
        canonical="shares",
        unit="actions",
        description="public_metrics.quote_count of a post; posts only.",
    ),
    MetricDeclaration(
        native=SHARES,
        canonical="shares",
        unit="actions",
        description="retweet_count + quote_count summed over the posts published that day.",
    ),
    MetricDeclaration(
        native=IMPRESSIONS,
        canonical="impressions",
        unit="views",
        description="public_metrics.impression_count of a post; daily: summed over the posts published that day.",
    ),
    MetricDeclaration(
        native=BOOKMARKS,
        canonical="saves",
        unit="actions",
        description="public_metrics.bookmark_count of a post; daily: summed over the posts published that day.",
    ),
    MetricDeclaration(
        native=VIDEO_VIEWS,
        canonical="video_views",
        unit="views",
        description="public_metrics.view_count of the post's videos; daily: summed over the posts published that day.",
    ),
    MetricDeclaration(
        native=URL_CLICKS,
        canonical="clicks",
        unit="actions",
        description="non_public_metrics.url_link_clicks (owned accounts, posts under 30 days old).",
    ),
    MetricDeclaration(
        native=PROFILE_CLICKS,
        canonical="profile_views",
        unit="views",
        description="non_public_metrics.user_profile_clicks (owned accounts, posts under 30 days old).",
    ),
    MetricDeclaration(
        native=ENGAGEMENTS,
        canonical="engagements",
        unit="actions",
        description="non_public_metrics.engagements (owned accounts, posts under 30 days old).",
    ),
    MetricDeclaration(
        native=POSTS,
        canonical="posts_published",
        unit="posts",
        description="Posts (reposts excluded) the account published that day.",
    ),
    MetricDeclaration(
        native=MENTIONS,
        canonical="mentions",
        unit="mentions",
        description="Posts by others mentioning the account, by day published (the 800 most recent only).",
    ),
)

_PUBLIC_POST_METRICS: Final = (LIKES, RETWEETS, QUOTES, REPLIES, IMPRESSIONS, BOOKMARKS)
_NON_PUBLIC_POST_METRICS: Final = (URL_CLICKS, PROFILE_CLICKS, ENGAGEMENTS)
_DAILY_PUBLIC: Final = (LIKES, REPLIES, SHARES, IMPRESSIONS, BOOKMARKS, VIDEO_VIEWS, POSTS)

_MEDIA_TYPES: Final = {"photo": "image", "video": "video", "animated_gif": "gif"}
_UNDETERMINED_LANGUAGES: Final = frozenset({"und", "qam", "qct", "qht", "qme", "qst", "zxx", "art"})


today = utc_today
"""The UTC day of the fetch, when the follower snapshot is taken (tests replace it) (the SDK's clock)."""


# --- errors -----------------------------------------------------------------------------------------


def _problem(body: Any) -> tuple[str, str]:
    """The (type, description) of an X problem body (`{"title","detail","type"}`), or of its first error."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"] and "type" not in body:
        body = body["errors"][0]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    kind = str(body.get("type") or "")
    text = " ".join(str(body[key]) for key in ("title", "detail") if body.get(key))
    reason = body.get("reason")
    if reason:
        text = f"{text} (reason: {reason})"
    return kind, text[:300] or "no message"


def _endpoint(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def classify_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """X's problem types: usage cap → RateLimitedError (no point retrying this run), app not enrolled → auth."""
    kind, text = _problem(body)
    if kind.endswith("/usage-capped"):
        return RateLimitedError(
            f"x usage cap reached on {_endpoint(response)}: {text}; the next run resumes from the last checkpoint",
            retry_after=USAGE_CAP_RETRY_SECONDS,
        )
    if response.status_code == 429 or kind.endswith("/rate-limit-exceeded"):
        return RateLimitedError(f"x rate limit on {_endpoint(response)}: {text}")
    if response.status_code == 401:
        return AuthenticationError(
            f"x refused the credentials on {_endpoint(response)} (401: {text}); reconnect the account"
        )
    if response.status_code == 403 and kind.endswith("/client-forbidden"):
        return AuthenticationError(
            f"x refused the app on {_endpoint(response)} (403: {text}); the developer app lacks the access "
            "these endpoints need"
        )
    return None


def _classify_token_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """OAuth errors of the token endpoint (`{"error": "invalid_request", "error_description": ...}`)."""
    if response.status_code in {400, 401, 403} and isinstance(body, dict) and "error" in body:
        description = str(body.get("error_description") or "")[:200]
        return AuthenticationError(
            f"x refused to refresh the access token on {_endpoint(response)} "
            f"({body.get('error')}: {description}); reconnect the account"
        )
    return None


# --- parsing ----------------------------------------------------------------------------------------


def _bad(what: str, where: str) -> BadResponseError:
    return BadResponseError(f"x {where} answered {what}")


def _object(body: Any, where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad(f"a {type(body).__name__} where an object was expected", where)
    return body


def _refuse_errors_only(body: dict[str, Any], where: str) -> None:
    """A 200 carrying only `errors` (unknown user, protected account…) is a failure, not an empty page."""
    if "data" not in body and isinstance(body.get("errors"), list) and body["errors"]:
        _kind, text = _problem(body)
        raise BadResponseError(f"x {where} answered an error: {text}")


def _timestamp(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise _bad(f"a post without a created_at timestamp ({value!r})", where)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"an unreadable created_at timestamp ({value[:40]!r})", where) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _list(body: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = body.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _bad(f"a {key!r} that is not a list of objects", where)
    return items


def _includes(body: dict[str, Any], key: str, id_key: str, where: str) -> dict[str, dict[str, Any]]:
    includes = body.get("includes", {})
    if not isinstance(includes, dict):
        raise _bad("an 'includes' that is not an object", where)
    return {str(item.get(id_key)): item for item in _list(includes, key, where)}


def _next_token(body: Any) -> str | None:
    meta = body.get("meta") if isinstance(body, dict) else None
    token = meta.get("next_token") if isinstance(meta, dict) else None
    return token if isinstance(token, str) and token else None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window_params(window: Window) -> dict[str, str]:
    start = datetime.combine(max(window.since, FIRST_TIMELINE_DAY), time(), tzinfo=UTC)
    end = datetime.combine(window.until, time(23, 59, 59), tzinfo=UTC)
    return {"start_time": _iso(start), "end_time": _iso(end)}


def _language(value: Any) -> str | None:
    if not isinstance(value, str) or not value or value in _UNDETERMINED_LANGUAGES or len(value) > 8:
        return None
    return value


# --- the connector ----------------------------------------------------------------------------------


class XConnector(Connector):
    """X (Twitter) through the X API v2: followers, posts with their public metrics, and mentions.

    Daily values other than `followers_count` are derived from the posts by publish day and flagged
    "estimated" (or "public_only" for competitors): X exposes no per-day account analytics in API v2,
    only each post's running totals, so a day's `like_count` is the likes *so far* of the posts
    published that day, not the likes received that day. `followers_count` is a snapshot of the day
    of the fetch, yielded only when that day is inside the window.

    Competitor accounts are supported (`public_data`): the user lookup, timeline and mentions
    endpoints all serve public data to an app-only bearer token.
    """

    id = "x"
    name = "X (Twitter)"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions", "public_data"})
    default_base_url = API_BASE_URL
    oauth = OAuthConfig(
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 - a URL, not a secret
        scopes=("tweet.read", "users.read", "offline.access"),
        pkce=True,
    )
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "access_token": {
                "type": "string",
                "title": "OAuth 2.0 user access token",
                "description": "From the Authorization Code with PKCE flow (owned accounts).",
                "minLength": 1,
                "writeOnly": True,
            },
            "refresh_token": {
                "type": "string",
                "title": "Refresh token",
                "description": "Issued with the offline.access scope; used to renew the access token.",
                "minLength": 1,
                "writeOnly": True,
            },
            "client_id": {
                "type": "string",
                "title": "OAuth 2.0 client ID",
                "description": (
                    "The developer app's client ID, to refresh the access token; defaults to the operator's "
                    "OAuth app (RESONANCE_OAUTH_CLIENTS)."
                ),
                "minLength": 1,
            },
            "client_secret": {
                "type": "string",
                "title": "OAuth 2.0 client secret",
                "description": "Only for confidential clients (sent with HTTP Basic when refreshing).",
                "minLength": 1,
                "writeOnly": True,
            },
            "bearer_token": {
                "type": "string",
                "title": "App-only bearer token",
                "description": "Reads public data (competitor accounts).",
                "minLength": 1,
                "writeOnly": True,
            },
        },
        "anyOf": [{"required": ["access_token"]}, {"required": ["bearer_token"]}],
        "additionalProperties": False,
    }

    # --- HTTP -------------------------------------------------------------------------------------

    def _client(self, credentials: Mapping[str, Any], *, competitor: bool) -> tuple[ConnectorHttp, bool]:
        """The HTTP client and whether it speaks for the account itself (user context)."""
        access = credentials.get("access_token")
        bearer = credentials.get("bearer_token")
        if competitor and isinstance(bearer, str) and bearer:
            return self.http(token=BearerToken(bearer), classify_error=classify_error), False
        if isinstance(access, str) and access:
            # X takes the client id in the form and a confidential client's secret with HTTP Basic; it
            # rotates refresh tokens.
            refresher = TokenRefresh(
                self,
                credentials,
                token_url=TOKEN_PATH,
                client_auth="basic",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                classify_error=_classify_token_error,
            )
            return self.http(token=refresher.bearer(access), classify_error=classify_error), True
        if isinstance(bearer, str) and bearer:
            return self.http(token=BearerToken(bearer), classify_error=classify_error), False
        raise AuthenticationError("x: the credentials hold neither an access_token nor a bearer_token")

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """`GET /2/users/me` with a user token, or a public user lookup with an app-only bearer token."""
        http, user_context = self._client(credentials, competitor=False)
        async with http:
            path = "users/me" if user_context else f"users/by/username/{CHECK_USERNAME}"
            body = _object(await http.get_json(path), f"GET /{path}")
            _refuse_errors_only(body, f"GET /{path}")

    # --- fetch ------------------------------------------------------------------------------------

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Followers snapshot, then posts page by page, daily sums, then mentions page by page."""
        competitor = account.kind == "competitor"
        http, user_context = self._client(account.credentials, competitor=competitor)
        quality: Quality = "public_only" if competitor else "estimated"
        non_public = state.get("non_public")
        if not isinstance(non_public, bool):  # decided once per run, so a resumed run sums the same metrics
            non_public = (
                not competitor and user_context and window.since >= today() - timedelta(days=NON_PUBLIC_MAX_AGE_DAYS)
            )
        async with http:
            stage = state.get("stage")
            user_id, username = state.get("user_id"), state.get("username")
            if not (isinstance(user_id, str) and isinstance(username, str)) or stage not in {
                "posts",
                "mentions",
                "done",
            }:
                user = await self._user(http, account)
                user_id, username = str(user["id"]), str(user.get("username") or account.handle.lstrip("@"))
                public = user.get("public_metrics")
                followers = _count(public.get(FOLLOWERS)) if isinstance(public, dict) else None
                day = today()
                if followers is not None and window.since <= day <= window.until:
                    yield MetricPoint(
                        native_metric=FOLLOWERS,
                        day=day,
                        value=followers,
                        quality="public_only" if competitor else "exact",
                    )
                stage = "posts"
                state = {}
                yield Checkpoint(
                    state={"stage": stage, "user_id": user_id, "username": username, "non_public": non_public}
                )
            base = {"user_id": user_id, "username": username}

            if stage == "posts":
                sums = DailySums.restore(state.get("days"))
                async for record in self._posts(http, user_id, username, window, state, sums, non_public):
                    yield record
                daily = _DAILY_PUBLIC + (_NON_PUBLIC_POST_METRICS if non_public else ())
                for point in sums.points(daily, window, quality):
                    yield point
                stage, state = "mentions", {}
                yield Checkpoint(state={**base, "stage": stage})

            if stage == "mentions":
                counts = DailySums.restore(state.get("days"))
                async for record in self._mentions(http, base, window, state, counts):
                    yield record
                for point in counts.points((MENTIONS,), window, quality):
                    yield point
                yield Checkpoint(state={**base, "stage": "done"})

    async def _user(self, http: ConnectorHttp, account: AccountRef) -> dict[str, Any]:
        if account.external_id:
            path = f"users/{account.external_id}"
        else:
            handle = account.handle.strip().lstrip("@")
            if not handle:
                raise ConnectorError("x: the account has neither an external_id nor a handle to look up")
            path = f"users/by/username/{handle}"
        where = f"GET /{path}"
        body = _object(
            await http.get_json(path, params={"user.fields": "public_metrics,created_at,username"}),
            where,
        )
        _refuse_errors_only(body, where)
        user = body.get("data")
        if not isinstance(user, dict) or not user.get("id"):
            raise _bad("no user object in 'data'", where)
        return user

    async def _posts(
        self,
        http: ConnectorHttp,
        user_id: str,
        username: str,
        window: Window,
        state: Mapping[str, Any],
        sums: DailySums,
        non_public: bool,
    ) -> AsyncIterator[Record]:
        path = f"users/{user_id}/tweets"
        where = f"GET /{path}"
        fields = "created_at,public_metrics,lang,attachments" + (",non_public_metrics" if non_public else "")
        params: dict[str, Any] = {
            **_window_params(window),
            "max_results": PAGE_SIZE,
            "exclude": "retweets",
            "tweet.fields": fields,
            "expansions": "attachments.media_keys",
            "media.fields": "type,public_metrics",
        }
        async for body in _pages(http, path, params, state):
            media = _includes(body, "media", "media_key", where)
            for tweet in _list(body, "data", where):
                post = _post(tweet, username, media, non_public, where)
                day = post.published_at.date()
                if not window.since <= day <= window.until:
                    continue
                daily = {name: post.metrics.get(name, 0.0) for name in (*_DAILY_PUBLIC, *_NON_PUBLIC_POST_METRICS)}
                daily[SHARES] = post.metrics.get(RETWEETS, 0.0) + post.metrics.get(QUOTES, 0.0)
                daily[POSTS] = 1.0
                sums.add(day, daily)
                yield post
            following = _next_token(body)
            if following:
                yield Checkpoint(
                    state={
                        "stage": "posts",
                        "user_id": user_id,
                        "username": username,
                        "next_token": following,
                        "non_public": non_public,
                        "days": sums.state(),
                    }
                )

    async def _mentions(
        self,
        http: ConnectorHttp,
        base: Mapping[str, str],
        window: Window,
        state: Mapping[str, Any],
        counts: DailySums,
    ) -> AsyncIterator[Record]:
        user_id = base["user_id"]
        path = f"users/{user_id}/mentions"
        where = f"GET /{path}"
        params: dict[str, Any] = {
            **_window_params(window),
            "max_results": PAGE_SIZE,
            "tweet.fields": "created_at,lang,author_id,in_reply_to_user_id,referenced_tweets,conversation_id",
            "expansions": "author_id",
            "user.fields": "username",
        }
        async for body in _pages(http, path, params, state):
            users = _includes(body, "users", "id", where)
            for tweet in _list(body, "data", where):
                if str(tweet.get("author_id")) == user_id:
                    continue  # the account's own posts in a thread are not mentions
                mention = _mention(tweet, user_id, users, where)
                day = mention.published_at.date()
                if not window.since <= day <= window.until:
                    continue
                counts.add(day, {MENTIONS: 1.0})
                yield mention
            following = _next_token(body)
            if following:
                yield Checkpoint(state={**base, "stage": "mentions", "next_token": following, "days": counts.state()})


async def _pages(
    http: ConnectorHttp, path: str, params: Mapping[str, Any], state: Mapping[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """Every page of a timeline from the checkpoint's `next_token` on (the first page without one), each
    checked to be an object that is not an error alone."""
    where = f"GET /{path}"
    token = state_text(state, "next_token")
    first = {**params, "pagination_token": token} if token else dict(params)
    pages = http.paginate(
        path, params=first, items=lambda body: [body], next_page=cursor_param("pagination_token", _next_token)
    )
    async for page in pages:
        body = _object(page, where)
        _refuse_errors_only(body, where)
        yield body


def _post(
    tweet: dict[str, Any], username: str, media: Mapping[str, dict[str, Any]], non_public: bool, where: str
) -> Post:
    external_id = tweet.get("id")
    if not isinstance(external_id, str) or not external_id:
        raise _bad("a post without an id", where)
    published_at = _timestamp(tweet.get("created_at"), where)
    public = tweet.get("public_metrics") or {}
    if not isinstance(public, dict):
        raise _bad("a post whose public_metrics is not an object", where)
    metrics: dict[str, float] = {}
    for name in _PUBLIC_POST_METRICS:
        value = _count(public.get(name))
        if value is not None:
            metrics[name] = value
    if non_public:
        private = tweet.get("non_public_metrics") or {}
        if isinstance(private, dict):
            for name in _NON_PUBLIC_POST_METRICS:
                value = _count(private.get(name))
                if value is not None:
                    metrics[name] = value
    attachments = tweet.get("attachments") or {}
    keys = attachments.get("media_keys", []) if isinstance(attachments, dict) else []
    attached = [media[str(key)] for key in keys if str(key) in media]
    kinds = [str(item.get("type")) for item in attached]
    views = [
        _count((item.get("public_metrics") or {}).get("view_count"))
        for item in attached
        if item.get("type") == "video" and isinstance(item.get("public_metrics"), dict)
    ]
    if any(value is not None for value in views):
        metrics[VIDEO_VIEWS] = sum(value for value in views if value is not None)
    if "video" in kinds:
        media_type = "video"
    elif kinds:
        media_type = _MEDIA_TYPES.get(kinds[0], kinds[0])
    elif isinstance(attachments, dict) and attachments.get("poll_ids"):
        media_type = "poll"
    else:
        media_type = "text"
    text = tweet.get("text")
    return Post(
        external_id=external_id,
        published_at=published_at,
        text=text if isinstance(text, str) else "",
        url=f"{SITE_URL}/{username}/status/{external_id}",
        media_type=media_type,
        metrics=metrics,
    )


def _mention(tweet: dict[str, Any], user_id: str, users: Mapping[str, dict[str, Any]], where: str) -> Mention:
    external_id = tweet.get("id")
    if not isinstance(external_id, str) or not external_id:
        raise _bad("a mention without an id", where)
    text = tweet.get("text")
    if not isinstance(text, str) or not text:
        raise _bad(f"mention {external_id} without text", where)
    author = users.get(str(tweet.get("author_id")), {}).get("username")
    author_name = str(author) if author else None
    replied_to = None
    references = tweet.get("referenced_tweets") or []
    if isinstance(references, list):
        for reference in references:
            if isinstance(reference, dict) and reference.get("type") == "replied_to":
                replied_to = str(reference.get("id")) if reference.get("id") else None
    is_reply = replied_to is not None and str(tweet.get("in_reply_to_user_id")) == user_id
    url = f"{SITE_URL}/{author_name}/status/{external_id}" if author_name else f"{SITE_URL}/i/web/status/{external_id}"
    return Mention(
        external_id=external_id,
        published_at=_timestamp(tweet.get("created_at"), where),
        text=text,
        author=author_name,
        url=url,
        language=_language(tweet.get("lang")),
        kind="reply" if is_reply else "mention",
        post_external_id=replied_to if is_reply else None,
    )


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The x plugin provides one connector."""
    return [XConnector]
