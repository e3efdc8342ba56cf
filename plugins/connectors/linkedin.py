# Over 400 lines: one network's declarations, Rest.li queries, statistics rebuilding and parsing.
"""The `linkedin` connector: LinkedIn organization (company) pages through the Community Management API.

It speaks LinkedIn's versioned REST API (`https://api.linkedin.com/rest`, headers `Linkedin-Version: YYYYMM`
and `X-Restli-Protocol-Version: 2.0.0`, Rest.li 2.0 query syntax with URL-encoded URNs):

* `GET /networkSizes/{organization URN}?edgeType=COMPANY_FOLLOWED_BY_MEMBER` → `firstDegreeSize`, the page's
  follower count now (the lifetime follower statistics stopped returning `totalFollowerCounts`; LinkedIn
  points to this endpoint instead).
* `GET /organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=…&timeIntervals=
  (timeRange:(start:…,end:…),timeGranularityType:DAY)` → daily `followerGains` (organic + paid). LinkedIn has
  no daily follower *count*: the connector yields today's `firstDegreeSize` as exact and rebuilds earlier
  days as the count now minus the gains since, flagged `estimated`.
* `GET /organizationalEntityShareStatistics` with the same `timeIntervals` → daily organic
  `impressionCount`, `uniqueImpressionsCount`, `clickCount`, `likeCount`, `commentCount`, `shareCount`; and,
  with `shares=List(…)`/`ugcPosts=List(…)`, the lifetime statistics of each post. Both statistics endpoints
  only cover a rolling 12 months: older days are skipped.
* `GET /posts?author=…&q=author&sortBy=CREATED&start=…&count=…` → the page's posts, newest first, paged with
  `start`/`count`.
* `GET /socialActions/{post URN}/comments?start=…&count=…` → first-level comments on posts published in the
  window or during the `comments_lookback_days` before it (account setting, default 30), so a comment left
  today on last week's post is still collected. Comments written by the page itself are skipped. Author is
  the commenter's URN: LinkedIn's terms forbid storing other profile data from these APIs.

Accounts are connected with OAuth 2.0 (3-legged authorization code) by a member who is an ADMINISTRATOR of
the page, with the scopes `rw_organization_admin` (statistics, follower count) and `r_organization_social`
(posts and comments). Access tokens live 60 days; apps approved for refresh tokens get one valid a year,
and the connector then refreshes expired tokens itself, as the credentials' own `client_id`/`client_secret`
when they hold them, else as the operator's OAuth app (`oauth_client`, never stored with the account).

No public data: LinkedIn's APIs give nothing about organizations the connected member does not
administer (no follower counts, posts or statistics), so competitor accounts are refused.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Final
from urllib.parse import quote, urljoin, urlsplit

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
    hookimpl,
    state_int,
    utc_now,
    utc_today,
)

NETWORK: Final = "linkedin"
API_BASE_URL: Final = "https://api.linkedin.com/rest"
AUTHORIZE_URL: Final = "https://www.linkedin.com/oauth/v2/authorization"
TOKEN_URL: Final = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 - an endpoint, not a secret
TOKEN_HOST: Final = "https://www.linkedin.com/oauth/v2/"  # noqa: S105 - a host, not a secret
TOKEN_PATH: Final = "oauth/v2/accessToken"  # noqa: S105 - a path, not a secret
"""Where the token endpoint is reached under an overridden base URL (tests, proxies)."""

LINKEDIN_VERSION: Final = "202603"
"""`Linkedin-Version` sent by default (March 2026, supported until March 2027); account setting
`linkedin_version` overrides it. LinkedIn answers 426 once a version is sunset."""

SCOPES: Final = ("rw_organization_admin", "r_organization_social")
EDGE_TYPE: Final = "COMPANY_FOLLOWED_BY_MEMBER"
POSTS_PAGE_SIZE: Final = 50
COMMENTS_PAGE_SIZE: Final = 50
STATISTICS_DAYS: Final = 365
"""The statistics endpoints cover a rolling 12 months; days before that are not asked for."""
DEFAULT_COMMENTS_LOOKBACK_DAYS: Final = 30
MAX_COMMENTS_LOOKBACK_DAYS: Final = 365
POST_URL: Final = "https://www.linkedin.com/feed/update/{urn}/"

# --- metrics --------------------------------------------------------------------------------------

FOLLOWERS: Final = "firstDegreeSize"
IMPRESSIONS: Final = "impressionCount"
UNIQUE_IMPRESSIONS: Final = "uniqueImpressionsCount"
CLICKS: Final = "clickCount"
LIKES: Final = "likeCount"
COMMENTS: Final = "commentCount"
SHARES: Final = "shareCount"

SHARE_STATISTICS: Final = (IMPRESSIONS, UNIQUE_IMPRESSIONS, CLICKS, LIKES, COMMENTS, SHARES)
"""The counters of `totalShareStatistics` the connector keeps (`engagement` is a rate, not a count)."""

_METRICS: Final = (
    MetricDeclaration(
        native=FOLLOWERS,
        canonical="followers",
        unit="accounts",
        description=(
            "Members following the page (networkSizes firstDegreeSize). Today's value is exact; earlier days "
            "are today's count minus the daily followerGains since, flagged estimated."
        ),
    ),
    MetricDeclaration(
        native=IMPRESSIONS,
        canonical="impressions",
        unit="views",
        description="Organic impressions of the page's posts (share statistics impressionCount).",
    ),
    MetricDeclaration(
        native=UNIQUE_IMPRESSIONS,
        canonical="reach",
        unit="accounts",
        description="Distinct members who saw the page's posts (share statistics uniqueImpressionsCount).",
    ),
    MetricDeclaration(
        native=CLICKS,
        canonical="clicks",
        unit="actions",
        description="Clicks on the page's posts, their links and the page name or logo (clickCount).",
    ),
    MetricDeclaration(
        native=LIKES, canonical="reactions", unit="actions", description="Reactions on the page's posts (likeCount)."
    ),
    MetricDeclaration(
        native=COMMENTS,
        canonical="comments",
        unit="actions",
        description="Comments on the page's posts (commentCount).",
    ),
    MetricDeclaration(
        native=SHARES, canonical="shares", unit="actions", description="Reposts of the page's posts (shareCount)."
    ),
)

_ORGANIZATION_ID = re.compile(r"^(?:urn:li:(?:organization|organizationBrand):)?(\d+)$")


_today = utc_today
"""Today in UTC; a module function so tests can pin it (the SDK's clock)."""


def _epoch_ms(day: date) -> int:
    return int(datetime.combine(day, time(tzinfo=UTC)).timestamp() * 1000)


def _day_of(milliseconds: Any) -> date | None:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int | float):
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).date()


def _moment(milliseconds: Any) -> datetime | None:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int | float):
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def _encode(urn: str) -> str:
    """A URN as Rest.li 2.0 wants it inside a path or a query value: every reserved character escaped."""
    return quote(urn, safe="")


def _seconds_to_utc_midnight(now: datetime | None = None) -> float:
    now = now or utc_now()
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time(tzinfo=UTC))
    return max(1.0, (tomorrow - now).total_seconds())


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --- errors ---------------------------------------------------------------------------------------


def _error_text(body: Any) -> str:
    """A short, secret-free description of a LinkedIn (Rest.li or OAuth) error body."""
    if isinstance(body, dict):
        parts = [
            str(body[key])
            for key in ("code", "serviceErrorCode", "message", "error", "error_description")
            if body.get(key) not in (None, "")
        ]
        return " ".join(parts)[:200] or "no message"
    return str(body)[:120] or "empty body"


def classify_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """Map LinkedIn's error answers to the SDK's typed errors."""
    status = response.status_code
    endpoint = f"{response.request.method} {urlsplit(str(response.request.url)).path}"
    text = _error_text(body)
    oauth_error = body.get("error") if isinstance(body, dict) else None
    if status == 401 or (status == 400 and oauth_error in {"invalid_grant", "invalid_request", "invalid_client"}):
        return AuthenticationError(
            f"linkedin refused the credentials on {endpoint} ({status}: {text}); reconnect the account"
        )
    if status == 403:
        return AuthenticationError(
            f"linkedin denied access on {endpoint} ({text}); the connected member must be an ADMINISTRATOR "
            f"of the page and the app needs the scopes {' '.join(SCOPES)}"
        )
    if status == 426:
        return BadResponseError(f"linkedin {endpoint}: the Linkedin-Version header is no longer supported ({text})")
    if status == 429:
        daily = "DAY" in text.upper()
        return RateLimitedError(
            f"linkedin rate limit on {endpoint} ({text})",
            retry_after=_seconds_to_utc_midnight() if daily else None,
        )
    return None


# --- response shapes ------------------------------------------------------------------------------


def _elements(body: Any, endpoint: str) -> list[dict[str, Any]]:
    """The `elements` of a Rest.li collection response, or `BadResponseError` naming the endpoint."""
    elements = body.get("elements") if isinstance(body, dict) else None
    if not isinstance(elements, list) or not all(isinstance(element, dict) for element in elements):
        raise BadResponseError(f"linkedin {endpoint} answered a body without an 'elements' list")
    return elements


def _has_next_page(body: dict[str, Any], start: int, count: int, received: int) -> bool:
    """Whether a Rest.li collection has a page after the one starting at `start`."""
    paging = body.get("paging")
    paging = paging if isinstance(paging, dict) else {}
    total = paging.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        return start + received < total
    links = paging.get("links")
    if isinstance(links, list) and any(isinstance(link, dict) and link.get("rel") == "next" for link in links):
        return True
    return received >= count > 0


def _post_media_type(post: Mapping[str, Any]) -> str:
    content = post.get("content")
    if not isinstance(content, dict) or not content:
        return "text"
    if "article" in content:
        return "link"
    if "multiImage" in content:
        return "image"
    if "poll" in content:
        return "poll"
    if "celebration" in content:
        return "celebration"
    media = content.get("media")
    if isinstance(media, dict):
        media_id = str(media.get("id", ""))
        for kind in ("video", "image", "document"):
            if media_id.startswith(f"urn:li:{kind}:"):
                return kind
        return "media"
    return str(next(iter(content)))[:40]


def _published_ms(post: Mapping[str, Any]) -> int | float | None:
    for key in ("publishedAt", "createdAt"):
        value = post.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    return None


def _latest_ms(post: Mapping[str, Any]) -> float | None:
    """The later of a post's creation and publication times (a scheduled post is published after creation)."""
    moments = [_number(post.get(key)) for key in ("createdAt", "publishedAt")]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _statistics(element: Mapping[str, Any]) -> dict[str, float]:
    totals = element.get("totalShareStatistics")
    if not isinstance(totals, dict):
        return {}
    numbers = {native: _number(totals.get(native)) for native in SHARE_STATISTICS}
    return {native: value for native, value in numbers.items() if value is not None and value >= 0}


# --- the connector --------------------------------------------------------------------------------


class LinkedInConnector(Connector):
    """LinkedIn organization pages the connected member administers (Community Management API).

    No `public_data` capability: LinkedIn's APIs expose nothing about organizations the member does not
    administer, so a competitor account is refused with a `ConnectorError` before any request is made.
    """

    id = NETWORK
    name = "LinkedIn Pages"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions"})
    default_base_url = API_BASE_URL
    other_base_urls: ClassVar[tuple[str, ...]] = (TOKEN_HOST,)
    oauth = OAuthConfig(authorize_url=AUTHORIZE_URL, token_url=TOKEN_URL, scopes=SCOPES, pkce=False)
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "organization_id": {
                "type": "string",
                "title": "Organization id",
                "description": "The page the token was granted for, found at OAuth onboarding; the account's "
                "external_id wins when both are set.",
                "pattern": r"^(urn:li:(organization|organizationBrand):)?\d+$",
            },
            "access_token": {
                "type": "string",
                "title": "Access token",
                "description": "OAuth 2.0 access token of a page ADMINISTRATOR (3-legged flow).",
                "minLength": 1,
                "writeOnly": True,
            },
            "refresh_token": {
                "type": "string",
                "title": "Refresh token",
                "description": "Issued to apps LinkedIn approved for programmatic refresh; lets the connector renew "
                "the access token itself.",
                "minLength": 1,
                "writeOnly": True,
            },
            "client_id": {
                "type": "string",
                "title": "Client ID",
                "description": "The app's client ID, to refresh the token; defaults to the operator's OAuth app.",
                "minLength": 1,
            },
            "client_secret": {"type": "string", "title": "Client secret", "minLength": 1, "writeOnly": True},
        },
        "required": ["access_token"],
        "dependentRequired": {"client_id": ["client_secret"], "client_secret": ["client_id"]},
        "additionalProperties": False,
    }

    # --- HTTP plumbing ----------------------------------------------------------------------------

    def _token_url(self) -> str:
        if self.base_url == self.default_base_url or not self.base_url:
            return TOKEN_URL
        return urljoin(self.base_url.rstrip("/") + "/", TOKEN_PATH)

    @contextlib.asynccontextmanager
    async def _client(self, credentials: Mapping[str, Any], version: str) -> AsyncIterator[ConnectorHttp]:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationError("linkedin: the account has no access_token; connect it through OAuth")
        # LinkedIn refreshes confidential apps only: the client id and secret go in the form.
        refresher = TokenRefresh(
            self, credentials, token_url=self._token_url(), requires_secret=True, classify_error=classify_error
        )
        headers = {"Linkedin-Version": version, "X-Restli-Protocol-Version": "2.0.0"}
        async with self.http(headers=headers, token=refresher.bearer(token), classify_error=classify_error) as http:
            yield http

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """List the pages the member administers (`organizationAcls?q=roleAssignee`): one cheap call."""
        async with self._client(credentials, LINKEDIN_VERSION) as api:
            body = await api.get_json("organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED")
            _elements(body, "GET /organizationAcls")

    # --- fetch ------------------------------------------------------------------------------------

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Daily page metrics, then posts (with their lifetime statistics) and comments, page by page."""
        if account.kind == "competitor":
            raise ConnectorError(
                f"linkedin cannot track competitor {account.handle!r}: LinkedIn's APIs only give data about "
                "organization pages the connected member administers, and nothing public about other pages"
            )
        organization = self._organization_urn(account)
        version = account.settings.get("linkedin_version", LINKEDIN_VERSION)
        if not isinstance(version, str) or not re.fullmatch(r"\d{6}(\.\d{2})?", version):
            raise ConnectorError(f"linkedin: account setting linkedin_version must look like YYYYMM, got {version!r}")
        phase = state.get("phase")
        start = max(state_int(state, "start") or 0, 0)
        async with self._client(account.credentials, version) as api:
            if phase not in {"posts", "done"}:
                for point in await self._metric_points(api, organization, window):
                    yield point
                phase, start = "posts", 0
                yield Checkpoint(state={"phase": "posts", "start": 0})
            if phase == "posts":
                async for record in self._posts(api, account, organization, window, start):
                    yield record

    async def credentials_from_oauth(self, token: Mapping[str, Any], *, account: AccountRef) -> dict[str, Any]:
        """The token, plus the organization the consenting member administers (so the account can sync).

        With the account's `external_id` set, that page must be one the member administers; without it,
        the member must administer exactly one page, otherwise the agency is asked to name it.
        """
        credentials = await super().credentials_from_oauth(token, account=account)
        async with self._client(credentials, LINKEDIN_VERSION) as api:
            body = await api.get_json("organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED")
        administered = []
        for element in _elements(body, "GET /organizationAcls"):
            match = _ORGANIZATION_ID.match(str(element.get("organization", "")))
            if match:
                administered.append(match.group(1))
        wanted = _ORGANIZATION_ID.match((account.external_id or "").strip())
        if wanted and wanted.group(1) not in administered:
            raise ConnectorError(
                f"linkedin: the member who consented does not administer organization {wanted.group(1)} "
                f"(administers: {', '.join(administered) or 'none'})"
            )
        if not wanted and len(administered) != 1:
            raise ConnectorError(
                "linkedin: the member who consented administers "
                f"{len(administered)} pages ({', '.join(administered) or 'none'}); start the connection again "
                "with the account's external_id set to the organization id to connect"
            )
        credentials["organization_id"] = wanted.group(1) if wanted else administered[0]
        return credentials

    def _organization_urn(self, account: AccountRef) -> str:
        raw = (account.external_id or str(account.credentials.get("organization_id") or "")).strip()
        match = _ORGANIZATION_ID.match(raw)
        if not match:
            raise ConnectorError(
                f"linkedin account {account.handle!r} needs external_id set to the organization id "
                f"(e.g. 2414183 or urn:li:organization:2414183), got {raw!r}"
            )
        return f"urn:li:organization:{match.group(1)}"

    # --- daily metrics ----------------------------------------------------------------------------

    async def _metric_points(self, api: ConnectorHttp, organization: str, window: Window) -> list[MetricPoint]:
        today = _today()
        oldest = today - timedelta(days=STATISTICS_DAYS - 1)
        by_day: dict[date, dict[str, tuple[float, Quality]]] = {}

        # Follower count now, and daily gains from the first window day up to today.
        size = await api.get_json(f"networkSizes/{_encode(organization)}?edgeType={EDGE_TYPE}")
        followers_now = _number(size.get("firstDegreeSize")) if isinstance(size, dict) else None
        if followers_now is None:
            raise BadResponseError("linkedin GET /networkSizes answered no firstDegreeSize")
        gains: dict[date, float] = {}
        gains_from = max(window.since, oldest)
        if gains_from < today:
            body = await api.get_json(
                self._statistics_url("organizationalEntityFollowerStatistics", organization, gains_from, today)
            )
            for element in _elements(body, "GET /organizationalEntityFollowerStatistics"):
                day = _day_of((element.get("timeRange") or {}).get("start"))
                follower_gains = element.get("followerGains")
                if day is None or not isinstance(follower_gains, dict):
                    continue
                gained = sum(
                    _number(follower_gains.get(key)) or 0.0 for key in ("organicFollowerGain", "paidFollowerGain")
                )
                gains[day] = gains.get(day, 0.0) + gained
        day = window.until
        running = followers_now - sum(gain for gain_day, gain in gains.items() if gain_day > window.until)
        while day >= window.since:
            if day == today:
                by_day.setdefault(day, {})[FOLLOWERS] = (followers_now, "exact")
            elif day < today and gains and day >= gains_from - timedelta(days=1):
                by_day.setdefault(day, {})[FOLLOWERS] = (max(0.0, running), "estimated")
            running -= gains.get(day, 0.0)
            day -= timedelta(days=1)

        # Daily organic share statistics, for complete days only (today's would change on the next run).
        shares_from, shares_until = max(window.since, oldest), min(window.until, today - timedelta(days=1))
        if shares_from <= shares_until:
            body = await api.get_json(
                self._statistics_url(
                    "organizationalEntityShareStatistics", organization, shares_from, shares_until + timedelta(days=1)
                )
            )
            for element in _elements(body, "GET /organizationalEntityShareStatistics"):
                day_of = _day_of((element.get("timeRange") or {}).get("start"))
                if day_of is None or not window.since <= day_of <= window.until:
                    continue
                for native, value in _statistics(element).items():
                    by_day.setdefault(day_of, {})[native] = (value, "exact")

        return [
            MetricPoint(native_metric=native, day=day_key, value=value, quality=quality)
            for day_key in sorted(by_day)
            for native, (value, quality) in sorted(by_day[day_key].items())
        ]

    def _statistics_url(self, resource: str, organization: str, first: date, end: date) -> str:
        """A time-bound statistics query: DAY granularity from `first` (inclusive) to `end` (exclusive)."""
        return (
            f"{resource}?q=organizationalEntity&organizationalEntity={_encode(organization)}"
            f"&timeIntervals=(timeRange:(start:{_epoch_ms(first)},end:{_epoch_ms(end)}),timeGranularityType:DAY)"
        )

    # --- posts and comments -----------------------------------------------------------------------

    async def _posts(
        self, api: ConnectorHttp, account: AccountRef, organization: str, window: Window, start: int
    ) -> AsyncIterator[Record]:
        lookback = account.settings.get("comments_lookback_days", DEFAULT_COMMENTS_LOOKBACK_DAYS)
        if isinstance(lookback, bool) or not isinstance(lookback, int) or lookback < 0:
            lookback = DEFAULT_COMMENTS_LOOKBACK_DAYS
        lookback = min(lookback, MAX_COMMENTS_LOOKBACK_DAYS)
        since_ms = _epoch_ms(window.since)
        end_ms = _epoch_ms(window.until + timedelta(days=1))
        comments_from_ms = _epoch_ms(window.since - timedelta(days=lookback))
        cursor = {"start": start}

        def next_page(_body: Any, _response: httpx.Response) -> tuple[None, dict[str, int]]:
            # Only reached when the page just processed said there is more; `cursor` is already past it.
            return None, {"start": cursor["start"]}

        # Simple values go through `params` (httpx escapes the URN's colons, as Rest.li 2.0 wants).
        params = {"author": organization, "q": "author", "sortBy": "CREATED", "count": POSTS_PAGE_SIZE, "start": start}
        pages = api.paginate("posts", params=params, items=lambda body: [body], next_page=next_page, max_pages=10_000)
        async with contextlib.aclosing(pages) as bodies:
            async for body in bodies:
                elements = _elements(body, "GET /posts")
                published = [
                    post
                    for post in elements
                    if post.get("lifecycleState", "PUBLISHED") == "PUBLISHED" and isinstance(post.get("id"), str)
                ]
                in_window = [post for post in published if since_ms <= (_published_ms(post) or -1) < end_ms]
                statistics = await self._post_statistics(api, organization, [post["id"] for post in in_window])
                for post in in_window:
                    yield self._post(post, statistics.get(post["id"], {}))
                for post in published:
                    moment = _published_ms(post)
                    if moment is not None and comments_from_ms <= moment < end_ms:
                        async for mention in self._comments(api, organization, post["id"], since_ms, end_ms):
                            yield mention
                # Newest first by creation: once a page reaches posts older than the comments look-back, stop.
                latest = [_latest_ms(post) for post in elements]
                known = [moment for moment in latest if moment is not None]
                exhausted = bool(known) and min(known) < comments_from_ms
                more = not exhausted and _has_next_page(body, cursor["start"], POSTS_PAGE_SIZE, len(elements))
                cursor["start"] += len(elements)
                if not more:
                    yield Checkpoint(state={"phase": "done"})
                    return
                yield Checkpoint(state={"phase": "posts", "start": cursor["start"]})

    async def _post_statistics(
        self, api: ConnectorHttp, organization: str, post_urns: list[str]
    ) -> dict[str, dict[str, float]]:
        """Lifetime statistics of each post, in one call (shares and ugcPosts are asked for separately)."""
        shares = [urn for urn in post_urns if urn.startswith("urn:li:share:")]
        ugc_posts = [urn for urn in post_urns if urn.startswith("urn:li:ugcPost:")]
        if not shares and not ugc_posts:
            return {}
        url = f"organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={_encode(organization)}"
        if shares:
            url += f"&shares=List({','.join(_encode(urn) for urn in shares)})"
        if ugc_posts:
            url += f"&ugcPosts=List({','.join(_encode(urn) for urn in ugc_posts)})"
        body = await api.get_json(url)
        found: dict[str, dict[str, float]] = {}
        for element in _elements(body, "GET /organizationalEntityShareStatistics"):
            urn = element.get("share") or element.get("ugcPost")
            if isinstance(urn, str):
                found[urn] = _statistics(element)
        return found

    def _post(self, post: Mapping[str, Any], statistics: dict[str, float]) -> Post:
        urn = str(post["id"])
        published_at = _moment(_published_ms(post))
        if published_at is None:  # pragma: no cover - filtered out before
            raise BadResponseError(f"linkedin GET /posts: post {urn} has no publishedAt")
        commentary = post.get("commentary")
        return Post(
            external_id=urn,
            published_at=published_at,
            text=commentary if isinstance(commentary, str) else "",
            url=POST_URL.format(urn=urn),
            media_type=_post_media_type(post),
            metrics=statistics,
        )

    async def _comments(
        self, api: ConnectorHttp, organization: str, post_urn: str, since_ms: int, end_ms: int
    ) -> AsyncIterator[Mention]:
        cursor = {"start": 0}

        def next_page(body: Any, _response: httpx.Response) -> tuple[None, dict[str, int] | None]:
            received = len(body.get("elements", [])) if isinstance(body, dict) else 0
            if not _has_next_page(body, cursor["start"], COMMENTS_PAGE_SIZE, received):
                return None, None
            cursor["start"] += received
            return None, {"start": cursor["start"]}

        endpoint = "GET /socialActions/{post}/comments"
        pages = api.paginate(
            f"socialActions/{_encode(post_urn)}/comments",
            params={"count": COMMENTS_PAGE_SIZE, "start": 0},
            items=lambda body: [body],
            next_page=next_page,
            max_pages=10_000,
        )
        async with contextlib.aclosing(pages) as bodies:
            async for body in bodies:
                for comment in _elements(body, endpoint):
                    mention = self._mention(comment, organization, post_urn, since_ms, end_ms)
                    if mention is not None:
                        yield mention

    def _mention(
        self, comment: Mapping[str, Any], organization: str, post_urn: str, since_ms: int, end_ms: int
    ) -> Mention | None:
        created = comment.get("created")
        moment = _number(created.get("time")) if isinstance(created, dict) else None
        if moment is None or not since_ms <= moment < end_ms:
            return None
        message = comment.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        actor = comment.get("actor")
        if not isinstance(text, str) or not text.strip() or actor == organization:
            return None
        urn = comment.get("commentUrn") or comment.get("$URN")
        if not isinstance(urn, str) or not urn:
            comment_id = comment.get("id")
            if comment_id is None:
                return None
            urn = f"urn:li:comment:({post_urn},{comment_id})"
        return Mention(
            external_id=urn,
            published_at=datetime.fromtimestamp(moment / 1000, tz=UTC),
            text=text,
            author=actor if isinstance(actor, str) else None,
            url=f"{POST_URL.format(urn=post_urn)}?commentUrn={_encode(urn)}",
            kind="reply" if comment.get("parentComment") else "comment",
            post_external_id=post_urn,
        )


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The LinkedIn plugin provides one connector."""
    return [LinkedInConnector]
