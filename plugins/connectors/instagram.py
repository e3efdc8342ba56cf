# Over 400 lines: owned accounts and Business Discovery read the same media; Meta's is in _meta_graph.
"""The `instagram` connector: Instagram professional accounts through the Graph API (Facebook Login).

Requests (all `GET https://graph.facebook.com/v27.0/...`, access token in the Authorization header):

Owned accounts
* `/{ig-user-id}?fields=id,username,followers_count,media_count`: the follower count, a stock Meta only
  gives for *now*: it becomes the `followers_count` point of today (UTC) when today is in the window.
* `/{ig-user-id}/insights?metric=reach,views,…&period=day&metric_type=total_value&since&until`, one
  request per day (Meta's current account metrics are `total_value` only, so a day's value needs a
  one-day range), one checkpoint per day.
* `/{ig-user-id}/media?fields=…&limit=50`, newest first, following `paging.next` until the media are
  older than the window; per media in the window `/{ig-media-id}/insights?metric=views,reach,saved,
  shares,total_interactions` and, when it has comments, `/{ig-media-id}/comments` (with replies).
* `/{ig-user-id}/tags`: media of other accounts that tag this one, as mentions.

Competitor accounts (public data, quality `public_only`)
* `/{your-ig-user-id}?fields=business_discovery.username(<handle>){followers_count,media_count,
  media.limit(50){…,like_count,comments_count}}`, paging with `media.after(<cursor>)`: Business
  Discovery, which reads other *professional* accounts' public counters through the agency's own
  Instagram account (its id and token are the competitor account's credentials). Nothing else is
  called for a competitor.

Deprecations handled: account and media `impressions` → `views` (removed for all versions on
April 21, 2025); account `profile_views` and `website_clicks` (removed with v21.0, for all versions
on January 8, 2025; `profile_links_taps` replaces the latter). They stay declared with `valid_until`
and are never requested. `follower_count` (daily *new* followers, last 30 days only) is not used.

Tokens: use a Page access token of the Facebook Page linked to the Instagram account (it does not
expire) or a long-lived user token (60 days, then reconnect). Meta has no refresh-token grant, so
nothing is refreshed: a refused token (error 190) ends the run with `AuthenticationError`.

OAuth onboarding (`credentials_from_oauth`): Facebook Login's short-lived user token is exchanged for a
long-lived one with the operator's Meta app; among the Pages the user granted
(`GET /me/accounts?fields=instagram_business_account{id,username}`), the Instagram professional account
whose id is the account's external ID, else whose username (or id) is its handle, gives `ig_user_id`,
and the access token of the Page it is linked to (which does not expire) becomes `access_token`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from datetime import date, timedelta
from typing import Any, ClassVar, Final

from plugins.connectors._meta_graph import (
    DONE,
    GRAPH_HOST,
    GraphApiError,
    appsecret_proof,
    as_dict,
    checkpoint,
    cursor_day,
    cursor_params,
    data_list,
    error_classifier,
    facebook_login,
    graph_pages,
    graph_path,
    in_window,
    listing,
    long_lived_token_from_oauth,
    managed_pages,
    next_params,
    number,
    page_access_token,
    parse_time,
    resume_point,
    same_name,
    unix,
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
    Quality,
    Record,
    Window,
    hookimpl,
    utc_today,
)

NETWORK: Final = "instagram"
USERNAME: Final = re.compile(r"[A-Za-z0-9._]{1,30}")

ACCOUNT_METRICS: Final = (
    "reach",
    "views",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "profile_links_taps",
)
"""Current account insights requested for each day (all `metric_type=total_value`)."""

MEDIA_METRICS: Final = ("views", "reach", "saved", "shares", "total_interactions")
"""Lifetime media insights requested for each media of the window (FEED and REELS)."""

MEDIA_FIELDS: Final = "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
COMMENT_FIELDS: Final = "id,text,timestamp,username,replies{id,text,timestamp,username}"
TAG_FIELDS: Final = "id,caption,timestamp,username,permalink"
PAGE_SIZE: Final = "50"

OWNED_STAGES: Final = ("profile", "insights", "media", "tags")
COMPETITOR_STAGES: Final = ("discovery",)

NO_MEDIA_INSIGHTS: Final = frozenset({(10, None), (100, 2108006)})
"""Media Meta has no insights for: too few viewers (#10), posted before the account went professional."""

_DEPRECATED_ALL_VERSIONS = date(2025, 4, 21)
_V21_REMOVAL = date(2025, 1, 8)

_METRICS: Final = (
    MetricDeclaration(
        native="followers_count",
        canonical="followers",
        unit="accounts",
        description="Accounts following the account (IG User field, read on the day it is fetched).",
    ),
    MetricDeclaration(
        native="reach",
        canonical="reach",
        unit="accounts",
        description="Distinct accounts that saw the account's (or a media's) content.",
    ),
    MetricDeclaration(
        native="views",
        canonical="impressions",
        unit="views",
        description="Times the account's (or a media's) content was played or displayed (replaces impressions).",
    ),
    MetricDeclaration(
        native="total_interactions",
        canonical="engagements",
        unit="actions",
        description="Likes, comments, saves, shares and replies on the content.",
    ),
    MetricDeclaration(
        native="likes", canonical="reactions", unit="actions", description="Likes on the account's content."
    ),
    MetricDeclaration(
        native="comments", canonical="comments", unit="actions", description="Comments on the account's content."
    ),
    MetricDeclaration(native="shares", canonical="shares", unit="actions", description="Shares of the content."),
    MetricDeclaration(native="saves", canonical="saves", unit="actions", description="Saves of the account's content."),
    MetricDeclaration(
        native="profile_links_taps",
        canonical="clicks",
        unit="actions",
        description="Taps on the profile's links and contact buttons (replaces website_clicks).",
    ),
    MetricDeclaration(
        native="like_count",
        canonical="reactions",
        unit="actions",
        description="Likes on a media (IG Media field; public, also read for competitors).",
    ),
    MetricDeclaration(
        native="comments_count",
        canonical="comments",
        unit="actions",
        description="Comments on a media (IG Media field; public, also read for competitors).",
    ),
    MetricDeclaration(native="saved", canonical="saves", unit="actions", description="Saves of a media (insights)."),
    MetricDeclaration(
        native="impressions",
        canonical="impressions",
        unit="views",
        description="Times content was displayed; removed by Meta for all versions on April 21, 2025.",
        valid_until=_DEPRECATED_ALL_VERSIONS,
        replaced_by="views",
    ),
    MetricDeclaration(
        native="profile_views",
        canonical="profile_views",
        unit="views",
        description="Profile visits; removed by Meta with v21.0 (all versions January 8, 2025), no replacement.",
        valid_until=_V21_REMOVAL,
    ),
    MetricDeclaration(
        native="website_clicks",
        canonical="clicks",
        unit="actions",
        description="Taps on the profile's website link; removed by Meta with v21.0 (all versions January 8, 2025).",
        valid_until=_V21_REMOVAL,
        replaced_by="profile_links_taps",
    ),
)


_utc_today = utc_today
"""Today in UTC; a module name so tests can pin it (the SDK's clock)."""


def _credentials(credentials: Mapping[str, Any]) -> tuple[str, str | None]:
    token = credentials.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError("instagram: the credentials have no access_token; connect the account")
    secret = credentials.get("app_secret")
    return token, secret if isinstance(secret, str) and secret else None


def _own_id(credentials: Mapping[str, Any]) -> str:
    ig_user_id = credentials.get("ig_user_id")
    if not isinstance(ig_user_id, str) or not ig_user_id:
        raise AuthenticationError("instagram: the credentials have no ig_user_id (your Instagram account's id)")
    return ig_user_id


def _linked_account(pages: list[dict[str, Any]], account: AccountRef) -> tuple[str, str]:
    """(Page id, Instagram account id) of the account among those linked to the granted Pages, or a `ConnectorError`."""
    linked: list[tuple[str, str, str]] = []
    for page in pages:
        business = page.get("instagram_business_account")
        if isinstance(business, dict) and str(business.get("id") or "").isdigit() and page.get("id"):
            linked.append((str(page["id"]), str(business["id"]), str(business.get("username") or "")))
    if account.external_id:
        found = [item for item in linked if item[1] == account.external_id]
        wanted = f"with ID {account.external_id}"
    else:
        found = [item for item in linked if same_name(item[2], account.handle)]
        found = found or [item for item in linked if same_name(item[1], account.handle)]
        wanted = f"@{account.handle.strip().lstrip('@')}"
    if found:
        page_id, ig_user_id, _username = found[0]
        return page_id, ig_user_id
    if not linked:
        raise ConnectorError(
            f"instagram: none of the {len(pages)} Facebook Page(s) the user granted has an Instagram professional "
            f"account linked, so {wanted} cannot be read. Link the Instagram account to its Facebook Page (in the "
            "Page's settings or Meta Business Suite), then connect again and select that Page in Facebook's dialog"
        )
    granted = [f"@{username}" if username else ig_id for _page, ig_id, username in linked]
    raise ConnectorError(
        f"instagram: the Instagram account {wanted} is not linked to any Facebook Page the user who consented "
        f"granted (Instagram accounts reachable: {listing(granted)}). Connect again as someone who manages the "
        "Page it is linked to, and select that Page in Facebook's dialog"
    )


class InstagramConnector(Connector):
    """Instagram professional (business or creator) accounts: daily insights, media, comments and tags.

    `public_data`: competitor accounts are read through Business Discovery (followers, media and
    their like and comment counts), provided they are professional accounts too.
    """

    id = "instagram"
    name = "Instagram"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions", "public_data"})
    default_base_url = GRAPH_HOST
    oauth = facebook_login(
        (
            "instagram_basic",
            "instagram_manage_insights",
            "instagram_manage_comments",
            "pages_show_list",
            "pages_read_engagement",
        )
    )
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Instagram professional account",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "access_token": {
                "type": "string",
                "title": "Access token",
                "description": (
                    "The Page access token of the Facebook Page linked to the Instagram account (does not "
                    "expire), or a long-lived user token, with instagram_basic, instagram_manage_insights, "
                    "instagram_manage_comments and pages_read_engagement."
                ),
                "minLength": 1,
                "writeOnly": True,
            },
            "ig_user_id": {
                "type": "string",
                "title": "Instagram account ID",
                "description": (
                    "The agency's (or client's) Instagram professional account id: the account itself, and "
                    "the account that runs Business Discovery for competitors."
                ),
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
        "required": ["access_token", "ig_user_id"],
        "additionalProperties": False,
    }

    def _client(self, credentials: Mapping[str, Any]) -> tuple[ConnectorHttp, dict[str, str]]:
        token, secret = _credentials(credentials)
        if secret is None and self.oauth_client is not None:
            # Tokens from OAuth onboarding belong to the operator's app: prove its secret when Meta asks.
            secret = self.oauth_client.client_secret
        http = self.http(token=BearerToken(token), classify_error=error_classifier(NETWORK, [token, secret or ""]))
        return http, appsecret_proof(token, secret)

    def today(self) -> date:
        """The day a follower count read now belongs to (UTC)."""
        return _utc_today()

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """`GET /{ig-user-id}?fields=id,username`: Meta answers the account or refuses the token."""
        own_id = _own_id(credentials)
        http, extra = self._client(credentials)
        async with http:
            body = await http.get_json(graph_path(own_id), params={"fields": "id,username", **extra})
        if not as_dict(body, NETWORK, f"GET {graph_path(own_id)}").get("id"):
            raise AuthenticationError(f"instagram: the token cannot read the Instagram account {own_id}")

    async def credentials_from_oauth(self, token: Mapping[str, Any], *, account: AccountRef) -> dict[str, Any]:
        """The Instagram account's id and its Page's access token, read with a long-lived user token.

        The Instagram account is the one whose id is the account's `external_id`, else whose username is
        its handle, among those linked to the Pages the user granted the app; any other is refused.
        """
        standard = await super().credentials_from_oauth(token, account=account)
        user_token, app_secret = await long_lived_token_from_oauth(self, token)
        extra = appsecret_proof(user_token, app_secret)
        classify = error_classifier(NETWORK, [user_token, app_secret])
        async with self.http(token=BearerToken(user_token), classify_error=classify) as http:
            fields = "id,name,instagram_business_account{id,username}"
            pages = await managed_pages(http, fields, extra=extra, network=NETWORK)
            page_id, ig_user_id = _linked_account(pages, account)
            page_token = await page_access_token(http, page_id, params=extra)
        credentials = {"access_token": page_token, "ig_user_id": ig_user_id}
        credentials.update({key: standard[key] for key in ("scope", "token_type") if key in standard})
        return credentials

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Owned: profile, daily insights, media (with insights and comments), tags. Competitor: Business Discovery."""
        http, extra = self._client(account.credentials)
        async with http:
            if account.kind == "competitor":
                stages, cursor = resume_point(state, window, COMPETITOR_STAGES)
                if stages:
                    async for record in self._discovery(http, extra, account, window, cursor):
                        yield record
                return
            ig_user_id = account.external_id or _own_id(account.credentials)
            stages, cursor = resume_point(state, window, OWNED_STAGES)
            for stage in stages:
                if stage == "profile":
                    source = self._profile(http, extra, ig_user_id, window)
                elif stage == "insights":
                    source = self._insights(http, extra, ig_user_id, window, cursor)
                elif stage == "media":
                    source = self._media(http, extra, ig_user_id, window, cursor)
                else:
                    source = self._tags(http, extra, ig_user_id, window, cursor)
                async for record in source:
                    yield record
                cursor = None

    # --- owned account ---------------------------------------------------------------------------

    async def _profile(
        self, http: ConnectorHttp, extra: dict[str, str], ig_user_id: str, window: Window
    ) -> AsyncIterator[Record]:
        path = graph_path(ig_user_id)
        body = as_dict(
            await http.get_json(path, params={"fields": "id,username,followers_count,media_count", **extra}),
            NETWORK,
            f"GET {path}",
        )
        point = self._followers(body.get("followers_count"), window, "exact")
        if point is not None:
            yield point
        yield checkpoint(window, "insights", window.since.isoformat())

    def _followers(self, value: Any, window: Window, quality: Quality) -> MetricPoint | None:
        today, count = self.today(), number(value)
        if count is None or not window.since <= today <= window.until:
            return None
        return MetricPoint(native_metric="followers_count", day=today, value=count, quality=quality)

    async def _insights(
        self, http: ConnectorHttp, extra: dict[str, str], ig_user_id: str, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        path = graph_path(ig_user_id, "insights")
        day = cursor_day(cursor, window)
        while day <= window.until:
            following = day + timedelta(days=1)
            params = {
                "metric": ",".join(ACCOUNT_METRICS),
                "period": "day",
                "metric_type": "total_value",
                "since": str(unix(day)),
                "until": str(unix(following)),
                **extra,
            }
            for metric in data_list(await http.get_json(path, params=params), NETWORK, f"GET {path}"):
                name, value = metric.get("name"), _metric_value(metric)
                if name in ACCOUNT_METRICS and value is not None:
                    yield MetricPoint(native_metric=str(name), day=day, value=value)
            yield (
                checkpoint(window, "insights", following.isoformat())
                if following <= window.until
                else checkpoint(window, "media")
            )
            day = following

    async def _media(
        self, http: ConnectorHttp, extra: dict[str, str], ig_user_id: str, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        path = graph_path(ig_user_id, "media")
        params = cursor_params(cursor) or {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE}
        async with aclosing(graph_pages(http, path, params, extra=extra, network=NETWORK)) as pages:
            async for page, following in pages:
                older = False
                for item in data_list(page, NETWORK, f"GET {path}"):
                    post = _post(item, {})
                    if post is None:
                        continue
                    if post.published_at.date() < window.since:
                        older = True  # newest first: everything after this is older still
                        continue
                    if not in_window(post.published_at, window):
                        continue
                    insights = await self._media_insights(http, extra, post.external_id)
                    yield _post(item, insights) or post
                    if post.metrics.get("comments_count", 1.0) > 0:
                        async for mention in self._comments(http, extra, post.external_id, post.url):
                            yield mention
                if following and not older:
                    yield checkpoint(window, "media", following)
                else:
                    yield checkpoint(window, "tags")
                    return

    async def _media_insights(self, http: ConnectorHttp, extra: dict[str, str], media_id: str) -> dict[str, float]:
        path = graph_path(media_id, "insights")
        try:
            body = await http.get_json(path, params={"metric": ",".join(MEDIA_METRICS), **extra})
        except GraphApiError as error:
            if (error.code, error.subcode) in NO_MEDIA_INSIGHTS or (error.code, None) in NO_MEDIA_INSIGHTS:
                return {}  # the media is listed without insights, as Meta has none for it
            raise
        values: dict[str, float] = {}
        for metric in data_list(body, NETWORK, f"GET {path}"):
            name, value = metric.get("name"), _metric_value(metric)
            if name in MEDIA_METRICS and value is not None:
                values[str(name)] = value
        return values

    async def _comments(
        self, http: ConnectorHttp, extra: dict[str, str], media_id: str, url: str | None
    ) -> AsyncIterator[Mention]:
        path = graph_path(media_id, "comments")
        params = {"fields": COMMENT_FIELDS, "limit": PAGE_SIZE}
        async for page, _following in graph_pages(http, path, params, extra=extra, network=NETWORK):
            for item in data_list(page, NETWORK, f"GET {path}"):
                comment = _mention(item, kind="comment", media_id=media_id, url=url)
                if comment is not None:
                    yield comment
                replies = item.get("replies")
                if not isinstance(replies, dict):
                    continue
                for reply in data_list(replies, NETWORK, "comment replies"):
                    mention = _mention(reply, kind="reply", media_id=media_id, url=url)
                    if mention is not None:
                        yield mention
                more = replies.get("paging", {}).get("next") if isinstance(replies.get("paging"), dict) else None
                comment_id = item.get("id")
                if isinstance(more, str) and more and isinstance(comment_id, str):
                    async for mention in self._more_replies(http, extra, comment_id, more, media_id, url):
                        yield mention

    async def _more_replies(
        self, http: ConnectorHttp, extra: dict[str, str], comment_id: str, link: str, media_id: str, url: str | None
    ) -> AsyncIterator[Mention]:
        """Replies beyond the first page nested in a comment, from `/{ig-comment-id}/replies`."""
        path = graph_path(comment_id, "replies")
        params = _query(link) or {"fields": "id,text,timestamp,username"}
        async for page, _following in graph_pages(http, path, params, extra=extra, network=NETWORK):
            for item in data_list(page, NETWORK, f"GET {path}"):
                mention = _mention(item, kind="reply", media_id=media_id, url=url)
                if mention is not None:
                    yield mention

    async def _tags(
        self, http: ConnectorHttp, extra: dict[str, str], ig_user_id: str, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        path = graph_path(ig_user_id, "tags")
        params = cursor_params(cursor) or {"fields": TAG_FIELDS, "limit": PAGE_SIZE}
        async with aclosing(graph_pages(http, path, params, extra=extra, network=NETWORK)) as pages:
            async for page, following in pages:
                older = False
                for item in data_list(page, NETWORK, f"GET {path}"):
                    published_at = parse_time(item.get("timestamp"))
                    if published_at is not None and published_at.date() < window.since:
                        older = True
                        continue
                    mention = _tag(item)
                    if mention is not None and in_window(mention.published_at, window):
                        yield mention
                if following and not older:
                    yield checkpoint(window, "tags", following)
                else:
                    yield checkpoint(window, DONE)
                    return

    # --- competitor ------------------------------------------------------------------------------

    async def _discovery(
        self, http: ConnectorHttp, extra: dict[str, str], account: AccountRef, window: Window, cursor: Any
    ) -> AsyncIterator[Record]:
        """Business Discovery of `account.handle` through the agency's own account, page by page."""
        own_id = _own_id(account.credentials)
        username = account.handle.strip().lstrip("@")
        if not USERNAME.fullmatch(username):
            raise ConnectorError(
                f"instagram: {account.handle!r} is not an Instagram username (letters, digits, . and _)"
            )
        path = graph_path(own_id)
        after = cursor if isinstance(cursor, str) and cursor else None
        first = after is None
        while True:
            params = {"fields": _discovery_fields(username, after), **extra}
            body = as_dict(await http.get_json(path, params=params), NETWORK, f"GET {path}")
            found = body.get("business_discovery")
            if not isinstance(found, dict):
                raise BadResponseError(f"instagram: Business Discovery of {username!r} answered no business_discovery")
            if first:
                point = self._followers(found.get("followers_count"), window, "public_only")
                if point is not None:
                    yield point
                first = False
            media = found.get("media")
            older = False
            for item in data_list(media, NETWORK, "business_discovery.media") if isinstance(media, dict) else []:
                post = _post(item, {})
                if post is None:
                    continue
                if post.published_at.date() < window.since:
                    older = True
                elif in_window(post.published_at, window):
                    yield post
            after = _after_cursor(media)
            if after is None or older:
                yield checkpoint(window, DONE)
                return
            yield checkpoint(window, "discovery", after)


def _discovery_fields(username: str, after: str | None) -> str:
    page = f"media.after({after}).limit({PAGE_SIZE})" if after else f"media.limit({PAGE_SIZE})"
    return f"business_discovery.username({username}){{username,followers_count,media_count,{page}{{{MEDIA_FIELDS}}}}}"


def _after_cursor(media: Any) -> str | None:
    """The cursor of the next media page in a Business Discovery answer (None on the last page)."""
    if not isinstance(media, dict):
        return None
    paging = media.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None


def _query(link: str) -> dict[str, str]:
    return next_params({"paging": {"next": link}}) or {}


def _metric_value(metric: Mapping[str, Any]) -> float | None:
    """A metric's value in an insights answer: `total_value.value`, else the first `values[].value`."""
    total = metric.get("total_value")
    if isinstance(total, dict) and "value" in total:
        return number(total.get("value"))
    values = metric.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return number(values[0].get("value"))
    return None


def _post(item: Mapping[str, Any], insights: Mapping[str, float]) -> Post | None:
    media_id, published_at = item.get("id"), parse_time(item.get("timestamp"))
    if not isinstance(media_id, str) or not media_id or published_at is None:
        return None
    metrics: dict[str, float] = {}
    for field in ("like_count", "comments_count"):
        value = number(item.get(field))
        if value is not None:  # like_count is absent when the owner hides like counts
            metrics[field] = value
    metrics.update(insights)
    caption, link = item.get("caption"), item.get("permalink")
    media_type = item.get("media_product_type") if item.get("media_product_type") == "REELS" else item.get("media_type")
    return Post(
        external_id=media_id,
        published_at=published_at,
        text=caption if isinstance(caption, str) else "",
        url=link if isinstance(link, str) and link else None,
        media_type=str(media_type).lower()[:40] if isinstance(media_type, str) and media_type else None,
        metrics=metrics,
    )


def _mention(item: Mapping[str, Any], *, kind: Any, media_id: str, url: str | None) -> Mention | None:
    comment_id, published_at, text = item.get("id"), parse_time(item.get("timestamp")), item.get("text")
    if not isinstance(comment_id, str) or published_at is None or not isinstance(text, str) or not text.strip():
        return None
    username = item.get("username")
    return Mention(
        external_id=comment_id,
        published_at=published_at,
        text=text,
        author=username if isinstance(username, str) and username else None,
        url=url,
        kind=kind,
        post_external_id=media_id,
    )


def _tag(item: Mapping[str, Any]) -> Mention | None:
    media_id, published_at, caption = item.get("id"), parse_time(item.get("timestamp")), item.get("caption")
    if not isinstance(media_id, str) or published_at is None or not isinstance(caption, str) or not caption.strip():
        return None
    username, link = item.get("username"), item.get("permalink")
    return Mention(
        external_id=media_id,
        published_at=published_at,
        text=caption,
        author=username if isinstance(username, str) and username else None,
        url=link if isinstance(link, str) and link else None,
        kind="mention",
    )


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """This plugin provides the Instagram connector."""
    return [InstagramConnector]
