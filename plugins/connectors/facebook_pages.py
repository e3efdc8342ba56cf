# Over 400 lines: one network's metrics (with deprecations), requests, parsing; Meta's is in _meta_graph.
"""The `facebook_pages` connector: a Facebook Page's insights, posts, comments and tags (Meta Graph API).

Requests (all `GET https://graph.facebook.com/v27.0/...`, Page access token in the Authorization header):

* `/{page-id}/insights?metric=…&period=day&since=YYYY-MM-DD&until=YYYY-MM-DD`: daily Page insights, at
  most 90 days per request (Meta's limit), one checkpoint per request. A day's value is stamped with
  the end of that day in Pacific time (`end_time` 07:00/08:00 UTC of the next day).
* `/{page-id}/posts?fields=…&since=<unix>&until=<unix>&limit=50`, following `paging.next`: the Page's
  posts of the window with their reactions/comments/shares counts and lifetime post insights
  (`insights.metric(post_media_view,post_total_media_view_unique,post_clicks)`), one checkpoint per page.
* `/{post-id}/comments?filter=stream&order=chronological` (only for posts that have comments): every
  comment and reply, as mentions of kind `comment`/`reply`.
* `/{page-id}/tagged?fields=…&since&until`: posts by others that tag the Page, as mentions.

Metrics follow Meta's 2024-2026 deprecations: `page_impressions` → `page_media_view` and `page_fans` →
`page_follows` (removed November 15, 2025), `page_impressions_unique` → `page_total_media_view_unique`
(removed by June 15, 2026); the old names stay declared with `valid_until`/`replaced_by` so stored
series can be followed across the change, and only the current ones are requested.

Competitors: Meta gives no public data about Pages the agency does not manage without the "Page
Public Content Access" feature, which requires Meta's app review and business verification. This
connector does not declare `public_data` and refuses competitor accounts with a clear error.

Tokens: a Page access token obtained from a long-lived user token does not expire, and Meta has no
refresh-token grant; when Meta refuses the token (error 190) the run ends with `AuthenticationError`
and the account must be reconnected (see `plugins.connectors._meta_graph`).

OAuth onboarding (`credentials_from_oauth`): Facebook Login's short-lived user token is exchanged for a
long-lived one with the operator's Meta app, the Page is found among those the user granted
(`GET /me/accounts`) by the account's external ID, else by its handle (the Page's id, username or name),
and its Page access token and id become the credentials. A user who does not manage that Page (or did
not grant it) is refused with the list of Pages they did grant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Final

from plugins.connectors._meta_graph import (
    DONE,
    GRAPH_HOST,
    INSIGHTS_MAX_DAYS,
    appsecret_proof,
    as_dict,
    checkpoint,
    cursor_day,
    cursor_params,
    data_list,
    day_chunks,
    error_classifier,
    facebook_login,
    graph_pages,
    graph_path,
    in_window,
    insights_day,
    listing,
    long_lived_token_from_oauth,
    managed_pages,
    number,
    page_access_token,
    parse_time,
    resume_point,
    same_name,
    window_range,
)
from plugins.sdk import (
    OAUTH_TOKEN_FIELDS,
    AccountRef,
    AuthenticationError,
    BadResponseError,
    BearerToken,
    Capability,
    Connector,
    ConnectorError,
    ConnectorHttp,
    Mention,
    MetricDeclaration,
    MetricPoint,
    Post,
    Record,
    Window,
    hookimpl,
)

NETWORK: Final = "facebook_pages"

PAGE_METRICS: Final = (
    "page_follows",
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_video_views",
    "page_views_total",
    "page_total_actions",
)
"""The current daily Page insights metrics requested, in this order."""

POST_INSIGHTS: Final = ("post_media_view", "post_total_media_view_unique", "post_clicks")
"""Lifetime post insights read with each post."""

POST_FIELDS: Final = ",".join(
    (
        "id",
        "created_time",
        "message",
        "permalink_url",
        "status_type",
        "attachments{media_type}",
        "shares",
        "reactions.summary(total_count).limit(0)",
        "comments.summary(total_count).limit(0)",
        f"insights.metric({','.join(POST_INSIGHTS)})",
    )
)
COMMENT_FIELDS: Final = "id,message,created_time,from{id,name},permalink_url,parent{id}"
TAGGED_FIELDS: Final = "id,message,created_time,from{id,name},permalink_url"

STAGES: Final = ("insights", "posts", "tagged")

COMPETITOR_REFUSED: Final = (
    "facebook_pages cannot track competitor Pages: Meta only gives public data about Pages you do not "
    "manage to apps approved for Page Public Content Access, which this connector does not use. Track the "
    "competitor on Instagram (Business Discovery) instead, or connect a Page the agency manages."
)

_NOVEMBER_2025_REMOVAL = date(2025, 11, 15)
_JUNE_2026_REMOVAL = date(2026, 6, 15)

_METRICS: Final = (
    MetricDeclaration(
        native="page_follows",
        canonical="followers",
        unit="accounts",
        description="People following the Page (Page insights, daily; replaces page_fans).",
    ),
    MetricDeclaration(
        native="page_media_view",
        canonical="impressions",
        unit="views",
        description="Times the Page's content was played or displayed that day (replaces page_impressions).",
    ),
    MetricDeclaration(
        native="page_total_media_view_unique",
        canonical="reach",
        unit="accounts",
        description="Distinct people who viewed the Page's content that day (replaces page_impressions_unique).",
    ),
    MetricDeclaration(
        native="page_post_engagements",
        canonical="engagements",
        unit="actions",
        description="Reactions, comments, shares and clicks on the Page's posts that day.",
    ),
    MetricDeclaration(
        native="page_video_views",
        canonical="video_views",
        unit="views",
        description="Plays of the Page's videos for 3 seconds or more that day.",
    ),
    MetricDeclaration(
        native="page_views_total",
        canonical="profile_views",
        unit="views",
        description="Views of the Page's profile that day.",
    ),
    MetricDeclaration(
        native="page_total_actions",
        canonical="clicks",
        unit="actions",
        description="Clicks on the Page's contact information and call-to-action button that day.",
    ),
    MetricDeclaration(
        native="reactions",
        canonical="reactions",
        unit="actions",
        description="Reactions on a post (post field reactions.summary.total_count).",
    ),
    MetricDeclaration(
        native="comments",
        canonical="comments",
        unit="actions",
        description="Top-level comments on a post (post field comments.summary.total_count).",
    ),
    MetricDeclaration(
        native="shares",
        canonical="shares",
        unit="actions",
        description="Shares of a post (post field shares.count).",
    ),
    MetricDeclaration(
        native="post_media_view",
        canonical="impressions",
        unit="views",
        description="Times a post was played or displayed (lifetime post insights; replaces post_impressions).",
    ),
    MetricDeclaration(
        native="post_total_media_view_unique",
        canonical="reach",
        unit="accounts",
        description="Distinct people who viewed a post (lifetime; replaces post_impressions_unique).",
    ),
    MetricDeclaration(
        native="post_clicks",
        canonical="clicks",
        unit="actions",
        description="Clicks anywhere on a post (lifetime post insights).",
    ),
    MetricDeclaration(
        native="page_fans",
        canonical="followers",
        unit="accounts",
        description="People who liked the Page; removed by Meta on November 15, 2025.",
        valid_until=_NOVEMBER_2025_REMOVAL,
        replaced_by="page_follows",
    ),
    MetricDeclaration(
        native="page_impressions",
        canonical="impressions",
        unit="views",
        description="Times any content from the Page entered a screen; removed by Meta on November 15, 2025.",
        valid_until=_NOVEMBER_2025_REMOVAL,
        replaced_by="page_media_view",
    ),
    MetricDeclaration(
        native="page_impressions_unique",
        canonical="reach",
        unit="accounts",
        description="People who saw content from the Page; removed by Meta by June 15, 2026.",
        valid_until=_JUNE_2026_REMOVAL,
        replaced_by="page_total_media_view_unique",
    ),
    MetricDeclaration(
        native="post_impressions",
        canonical="impressions",
        unit="views",
        description="Times a post entered a screen; removed by Meta on November 15, 2025.",
        valid_until=_NOVEMBER_2025_REMOVAL,
        replaced_by="post_media_view",
    ),
    MetricDeclaration(
        native="post_impressions_unique",
        canonical="reach",
        unit="accounts",
        description="People who saw a post; removed by Meta by June 15, 2026.",
        valid_until=_JUNE_2026_REMOVAL,
        replaced_by="post_total_media_view_unique",
    ),
)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _credentials(credentials: Mapping[str, Any]) -> tuple[str, str | None]:
    token = credentials.get("page_access_token")
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError("facebook_pages: the credentials have no page_access_token; connect the Page")
    secret = credentials.get("app_secret")
    return token, secret if isinstance(secret, str) and secret else None


class FacebookPagesConnector(Connector):
    """Facebook Pages the agency manages: daily Page insights, posts with their metrics, comments and tags.

    No `public_data`: Meta only shows other Pages' data to apps approved for Page Public Content
    Access, so competitor accounts are refused (track competitors on Instagram instead).
    """

    id = "facebook_pages"
    name = "Facebook Pages"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions"})
    default_base_url = GRAPH_HOST
    oauth = facebook_login(("pages_show_list", "pages_read_engagement", "read_insights", "pages_read_user_content"))
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Facebook Page",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "page_access_token": {
                "type": "string",
                "title": "Page access token",
                "description": (
                    "A Page access token obtained with a long-lived user token (it does not expire), with "
                    "pages_read_engagement, read_insights and pages_read_user_content."
                ),
                "minLength": 1,
                "writeOnly": True,
            },
            "page_id": {
                "type": "string",
                "title": "Page ID",
                "description": "The Page's numeric ID; defaults to the account's external ID, then to the token's Page",
                "pattern": "^[0-9]+$",
            },
            "app_secret": {
                "type": "string",
                "title": "App secret",
                "description": 'Optional: the Meta app secret, to sign calls when the app has "Require App Secret" on.',
                "minLength": 1,
                "writeOnly": True,
            },
        },
        "required": ["page_access_token"],
        "additionalProperties": False,
    }

    def _client(self, credentials: Mapping[str, Any]) -> tuple[ConnectorHttp, dict[str, str]]:
        token, secret = _credentials(credentials)
        if secret is None and self.oauth_client is not None:
            # Tokens from OAuth onboarding belong to the operator's app: prove its secret when Meta asks.
            secret = self.oauth_client.client_secret
        http = self.http(
            token=BearerToken(token),
            classify_error=error_classifier(NETWORK, [token, secret or ""]),
        )
        return http, appsecret_proof(token, secret)

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """`GET /me?fields=id,name` with the Page token: Meta answers the Page or refuses the token."""
        http, extra = self._client(credentials)
        async with http:
            body = as_dict(await http.get_json(graph_path("me"), params={"fields": "id,name", **extra}), NETWORK, "/me")
        if not body.get("id"):
            raise AuthenticationError("facebook_pages: the token does not identify a Page (GET /me has no id)")

    async def credentials_from_oauth(self, token: Mapping[str, Any], *, account: AccountRef) -> dict[str, Any]:
        """The Page's access token and id, read with the long-lived user token Facebook Login's one is exchanged for.

        The Page is the account's `external_id` when it has one, else the Page whose id, username or name
        is its handle, among the Pages the user granted the app; any other user is refused.
        """
        if account.kind == "competitor":
            raise ConnectorError(COMPETITOR_REFUSED)
        standard = await super().credentials_from_oauth(token, account=account)
        user_token, app_secret = await long_lived_token_from_oauth(self, token)
        extra = appsecret_proof(user_token, app_secret)
        classify = error_classifier(NETWORK, [user_token, app_secret])
        async with self.http(token=BearerToken(user_token), classify_error=classify) as http:
            pages = await managed_pages(http, "id,name,username", extra=extra, network=NETWORK)
            page_id = _granted_page(pages, account)
            page_token = await page_access_token(http, page_id, params=extra)
        credentials = {"page_access_token": page_token, "page_id": page_id}
        credentials.update({key: standard[key] for key in ("scope", "token_type") if key in standard})
        return credentials

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Insights (90-day requests), then posts with their comments (page by page), then tags."""
        if account.kind == "competitor":
            raise ConnectorError(COMPETITOR_REFUSED)
        page_id = account.external_id or str(account.credentials.get("page_id") or "") or "me"
        stages, cursor = resume_point(state, window, STAGES)
        http, extra = self._client(account.credentials)
        async with http:
            for stage in stages:
                if stage == "insights":
                    async for record in self._insights(http, extra, page_id, window, cursor):
                        yield record
                elif stage == "posts":
                    async for record in self._posts(http, extra, page_id, window, cursor):
                        yield record
                else:
                    async for record in self._tagged(http, extra, page_id, window, cursor):
                        yield record
                cursor = None

    async def _insights(
        self, http: ConnectorHttp, extra: dict[str, str], page_id: str, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        start = cursor_day(cursor, window)
        path = graph_path(page_id, "insights")
        for since, until in day_chunks(start, window.until, INSIGHTS_MAX_DAYS):
            params = {
                "metric": ",".join(PAGE_METRICS),
                "period": "day",
                "since": since.isoformat(),
                "until": (until + timedelta(days=1)).isoformat(),
                **extra,
            }
            body = await http.get_json(path, params=params)
            for point in _insight_points(data_list(body, NETWORK, f"GET {path}"), since, until):
                yield point
            following = until + timedelta(days=1)
            if following <= window.until:
                yield checkpoint(window, "insights", following.isoformat())
            else:
                yield checkpoint(window, "posts")

    async def _posts(
        self, http: ConnectorHttp, extra: dict[str, str], page_id: str, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        path = graph_path(page_id, "posts")
        params = cursor_params(cursor) or {
            "fields": POST_FIELDS,
            **window_range(window),
            "limit": "50",
        }
        async for page, following in graph_pages(http, path, params, extra=extra, network=NETWORK):
            for item in data_list(page, NETWORK, f"GET {path}"):
                post = _post(item)
                if post is None or not in_window(post.published_at, window):
                    continue
                yield post
                if post.metrics.get("comments", 1.0) > 0:
                    async for mention in self._comments(http, extra, post.external_id):
                        yield mention
            yield checkpoint(window, "posts", following) if following else checkpoint(window, "tagged")

    async def _comments(self, http: ConnectorHttp, extra: dict[str, str], post_id: str) -> AsyncIterator[Mention]:
        path = graph_path(post_id, "comments")
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "chronological", "limit": "100"}
        async for page, _following in graph_pages(http, path, params, extra=extra, network=NETWORK):
            for item in data_list(page, NETWORK, f"GET {path}"):
                parent = item.get("parent")
                mention = _mention(item, kind="reply" if isinstance(parent, dict) else "comment", post_id=post_id)
                if mention is not None:
                    yield mention

    async def _tagged(
        self, http: ConnectorHttp, extra: dict[str, str], page_id: str, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        path = graph_path(page_id, "tagged")
        params = cursor_params(cursor) or {
            "fields": TAGGED_FIELDS,
            **window_range(window),
            "limit": "100",
        }
        async for page, following in graph_pages(http, path, params, extra=extra, network=NETWORK):
            for item in data_list(page, NETWORK, f"GET {path}"):
                mention = _mention(item, kind="mention", post_id=None)
                if mention is not None and in_window(mention.published_at, window):
                    yield mention
            yield checkpoint(window, "tagged", following) if following else checkpoint(window, DONE)


def _granted_page(pages: list[dict[str, Any]], account: AccountRef) -> str:
    """The id of the account's Page among those the user granted, or a `ConnectorError` saying which they did."""
    if account.external_id:
        found = [page for page in pages if str(page.get("id")) == account.external_id]
        wanted = f"with ID {account.external_id}"
    else:
        found = [page for page in pages if same_name(page.get("id"), account.handle)]
        found = found or [page for page in pages if same_name(page.get("username"), account.handle)]
        found = found or [page for page in pages if same_name(page.get("name"), account.handle)]
        wanted = repr(account.handle)
    ids = {str(page.get("id")) for page in found if page.get("id")}
    if len(ids) == 1:
        page_id = ids.pop()
        if page_id.isdigit():
            return page_id
        raise BadResponseError(f"facebook_pages: GET /me/accounts answered a Page id that is not a number: {page_id!r}")
    granted = [f"{page.get('name') or '?'} ({page.get('id')})" for page in pages]
    if ids:
        raise ConnectorError(
            f"facebook_pages: several Pages the user granted are called {wanted} ({listing(sorted(ids))}); "
            "connect the account with the Page's ID as its handle"
        )
    raise ConnectorError(
        f"facebook_pages: the Facebook user who consented does not manage the Page {wanted}, or did not grant the "
        f"app access to it (Pages granted: {listing(granted)}). Connect again as an administrator of that Page "
        "and select it in Facebook's dialog, or use one of the granted Pages' ID as the handle"
    )


def _insight_points(series: list[dict[str, Any]], since: date, until: date) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    for metric in series:
        name = metric.get("name")
        if name not in PAGE_METRICS or metric.get("period", "day") != "day":
            continue
        values = metric.get("values")
        if not isinstance(values, list):
            raise BadResponseError(f"facebook_pages: insights metric {name} has no `values` array")
        for entry in values:
            if not isinstance(entry, dict):
                continue
            day, value = insights_day(entry.get("end_time")), number(entry.get("value"))
            if day is not None and value is not None and since <= day <= until:
                points.append(MetricPoint(native_metric=str(name), day=day, value=value))
    return points


def _count(value: Any, *path: str) -> float | None:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return number(value)


def _post(item: dict[str, Any]) -> Post | None:
    post_id, published_at = item.get("id"), parse_time(item.get("created_time"))
    if not isinstance(post_id, str) or not post_id or published_at is None:
        return None
    metrics: dict[str, float] = {}
    for native, path in (
        ("reactions", ("reactions", "summary", "total_count")),
        ("comments", ("comments", "summary", "total_count")),
    ):
        value = _count(item, *path)
        if value is not None:
            metrics[native] = value
    metrics["shares"] = _count(item, "shares", "count") or 0.0  # Meta omits `shares` when nobody shared
    insights = item.get("insights")
    for metric in data_list(insights, NETWORK, "post insights") if isinstance(insights, dict) else []:
        values = metric.get("values")
        name = metric.get("name")
        if name in POST_INSIGHTS and isinstance(values, list) and values and isinstance(values[0], dict):
            value = number(values[0].get("value"))
            if value is not None:
                metrics[str(name)] = value
    attachments = item.get("attachments")
    first = data_list(attachments, NETWORK, "post attachments")[:1] if isinstance(attachments, dict) else []
    media_type = first[0].get("media_type") if first else item.get("status_type")
    return Post(
        external_id=post_id,
        published_at=published_at,
        text=_text(item.get("message")),
        url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
        media_type=str(media_type).lower()[:40] if isinstance(media_type, str) and media_type else None,
        metrics=metrics,
    )


def _mention(item: dict[str, Any], *, kind: Any, post_id: str | None) -> Mention | None:
    external_id, published_at, text = item.get("id"), parse_time(item.get("created_time")), item.get("message")
    if not isinstance(external_id, str) or published_at is None or not isinstance(text, str) or not text.strip():
        return None  # a comment made only of a sticker or a photo has no text to analyse
    author = item.get("from")
    name = author.get("name") if isinstance(author, dict) else None
    link = item.get("permalink_url")
    return Mention(
        external_id=external_id,
        published_at=published_at,
        text=text,
        author=name if isinstance(name, str) and name else None,
        url=link if isinstance(link, str) and link else None,
        kind=kind,
        post_external_id=post_id,
    )


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """This plugin provides the Facebook Pages connector."""
    return [FacebookPagesConnector]
