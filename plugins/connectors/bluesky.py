# Over 400 lines: one network's declarations, session login (AT Protocol's, not OAuth), requests, parsing.
"""The Bluesky connector: an account's followers and posts from the public AppView, mentions through its PDS.

What it fetches (AT Protocol lexicons, https://docs.bsky.app/docs/category/http-reference)
    * the profile: `app.bsky.actor.getProfile?actor=…` on the public AppView
      (https://public.api.bsky.app/xrpc, no auth): did, handle, followersCount;
    * the posts: `app.bsky.feed.getAuthorFeed?actor=did&limit=100&filter=posts_no_replies&cursor=…` on the
      public AppView, newest first, following `cursor` until the posts are older than the window. Reposts
      and pinned items (feed items with a `reason`) are skipped; each `post` (`#postView`) gives likeCount,
      repostCount, replyCount, quoteCount, bookmarkCount, `record.createdAt`, `record.text`,
      `record.langs`, and its at:// `uri`, turned into https://bsky.app/profile/<did>/post/<rkey>;
    * mentions (owned accounts with credentials): `app.bsky.feed.searchPosts?q=*&mentions=did&since=…&
      until=…&sort=latest&limit=100&cursor=…`. The lexicon says this endpoint "may require
      authentication" and Bluesky has disabled it for unauthenticated calls on public.api.bsky.app since
      January 2025 (bluesky-social/atproto#3423; `cursor` was refused without auth even before), so it is
      called through the account's PDS, authenticated, and the PDS proxies it to the AppView.
      `mentions=` matches rich-text mention facets only; a reply to one of the account's posts (whose
      parent is the account's) is yielded with kind "reply".

Authentication (app passwords)
    `identifier` (handle or e-mail) + `app_password` (Settings → Privacy and security → App passwords)
    open a session with `com.atproto.server.createSession` on the PDS (default https://bsky.social/xrpc,
    or `pds_url`), giving `accessJwt` (about 2 hours) and `refreshJwt`. An expired access token
    (400 `ExpiredToken`) is renewed once with `com.atproto.server.refreshSession` (the refresh token in
    the Authorization header; it rotates, the old one is revoked), falling back to a new session when the
    refresh token is refused too. The tokens are kept in the credentials (`access_jwt`, `refresh_jwt`) and
    `refreshed_credentials` is set whenever they change, so the engine stores them and the next run does
    not spend the strict createSession quota. No `OAuthConfig`: Bluesky's OAuth (atproto OAuth, DPoP,
    per-PDS authorization servers) has no fixed authorize/token URLs.

Metrics (Bluesky keeps no history, see `_public_feed`)
    `followersCount` → followers: a snapshot for the day of the fetch when it is in the window ("exact");
    `posts` → posts_published, `likeCount` → reactions, `repostCount` → shares, `replyCount` → comments,
    `bookmarkCount` → saves: per day of publication, sums of the current counters of the posts published
    that day ("estimated"). `quoteCount` → shares is a post metric only (the daily shares series is
    reposts, one native metric per canonical metric and day). Nothing was deprecated.

Competitors
    Any public profile, through the public AppView only (no mentions), every number flagged "public_only".

Rate limits (`RateLimit-Remaining`/`RateLimit-Reset` epoch seconds, 429 `RateLimitExceeded`) are the SDK's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

import httpx

from plugins.connectors._public_feed import (
    STAGE_MENTIONS,
    FeedPage,
    Progress,
    counter,
    day_after,
    http_for,
    in_window,
    parse_time,
    require_dict,
    require_list,
    window_start,
)
from plugins.sdk import (
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

NETWORK: Final = "bluesky"
APPVIEW: Final = "https://public.api.bsky.app/xrpc"
DEFAULT_PDS: Final = "https://bsky.social/xrpc"
WEB: Final = "https://bsky.app"
PAGE_SIZE: Final = 100
"""Posts per page for getAuthorFeed and searchPosts (the lexicons' maximum)."""

GET_PROFILE: Final = "app.bsky.actor.getProfile"
GET_AUTHOR_FEED: Final = "app.bsky.feed.getAuthorFeed"
SEARCH_POSTS: Final = "app.bsky.feed.searchPosts"
CREATE_SESSION: Final = "com.atproto.server.createSession"
REFRESH_SESSION: Final = "com.atproto.server.refreshSession"

FOLLOWERS: Final = "followersCount"
POSTS: Final = "posts"
LIKES: Final = "likeCount"
REPOSTS: Final = "repostCount"
REPLIES: Final = "replyCount"
QUOTES: Final = "quoteCount"
BOOKMARKS: Final = "bookmarkCount"

POST_COUNTERS: Final = (LIKES, REPOSTS, REPLIES, QUOTES, BOOKMARKS)
DAILY: Final = (POSTS, LIKES, REPOSTS, REPLIES, BOOKMARKS)

_METRICS: Final = (
    MetricDeclaration(
        native=FOLLOWERS,
        canonical="followers",
        unit="accounts",
        description="getProfile followersCount on the day of the fetch (Bluesky keeps no history).",
    ),
    MetricDeclaration(
        native=POSTS,
        canonical="posts_published",
        unit="posts",
        description="Posts (replies and reposts excluded) created that day (UTC), from getAuthorFeed.",
    ),
    MetricDeclaration(
        native=LIKES,
        canonical="reactions",
        unit="actions",
        description="postView likeCount: on a post, its total; per day, the sum over that day's posts.",
    ),
    MetricDeclaration(
        native=REPOSTS,
        canonical="shares",
        unit="actions",
        description="postView repostCount: on a post, its total; per day, the sum over that day's posts.",
    ),
    MetricDeclaration(
        native=REPLIES,
        canonical="comments",
        unit="actions",
        description="postView replyCount: on a post, its total; per day, the sum over that day's posts.",
    ),
    MetricDeclaration(
        native=QUOTES,
        canonical="shares",
        unit="actions",
        description="postView quoteCount (quote posts): a post metric only; daily shares come from repostCount.",
    ),
    MetricDeclaration(
        native=BOOKMARKS,
        canonical="saves",
        unit="actions",
        description="postView bookmarkCount: on a post, its total; per day, the sum over that day's posts.",
    ),
)

_TOKEN_ERRORS: Final = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})
_CREDENTIAL_FIELDS: Final = frozenset({"identifier", "app_password", "pds_url", "access_jwt", "refresh_jwt"})
_MEDIA: Final = {
    "app.bsky.embed.images#view": "image",
    "app.bsky.embed.gallery#view": "image",
    "app.bsky.embed.video#view": "video",
    "app.bsky.embed.external#view": "link",
    "app.bsky.embed.record#view": "quote",
}


_today = utc_today
"""The day of the fetch (UTC); tests replace it (the SDK's clock)."""


def _classify(response: httpx.Response, body: Any) -> ConnectorError | None:
    """XRPC errors `{"error": "ExpiredToken", "message": …}`: every token error means re-authenticate."""
    error = body.get("error") if isinstance(body, dict) else None
    if error in _TOKEN_ERRORS:
        message = body.get("message") if isinstance(body, dict) else None
        detail = f"{error}: {message}" if isinstance(message, str) and message else str(error)
        return AuthenticationError(
            f"{NETWORK} refused the session on {response.request.method} {response.request.url.path} "
            f"({response.status_code}: {detail[:120]}); check the identifier and app password"
        )
    return None


# --- credentials and session ------------------------------------------------------------------------


def _pds_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AuthenticationError(f"{NETWORK}: pds_url must be a non-empty string like https://bsky.social")
    text = value.strip().rstrip("/")
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme != "https" or not parts.netloc or parts.path not in ("", "/xrpc"):
        raise AuthenticationError(f"{NETWORK}: pds_url must be an https:// address like https://bsky.social")
    return f"https://{parts.netloc.lower()}/xrpc"


@dataclass
class _Login:
    """An app-password login and the session tokens it has (or will have)."""

    identifier: str
    app_password: str
    pds: str | None
    access_jwt: str | None
    refresh_jwt: str | None
    extra: dict[str, Any]

    def credentials(self) -> dict[str, Any]:
        """The credentials to store: what the agency gave plus the current session tokens."""
        stored = {**self.extra, "identifier": self.identifier, "app_password": self.app_password}
        if self.access_jwt:
            stored["access_jwt"] = self.access_jwt
        if self.refresh_jwt:
            stored["refresh_jwt"] = self.refresh_jwt
        return stored


def _login(credentials: Mapping[str, Any]) -> _Login | None:
    """The app-password login in `credentials`, None when there is none (public tracking)."""
    unknown = sorted(set(credentials) - _CREDENTIAL_FIELDS)
    if unknown:
        raise AuthenticationError(f"{NETWORK}: unknown credential field(s): {', '.join(unknown)}")
    identifier, password = credentials.get("identifier"), credentials.get("app_password")
    if identifier is None and password is None:
        return None
    if not isinstance(identifier, str) or not identifier.strip():
        raise AuthenticationError(f"{NETWORK}: identifier (handle or e-mail) is required with an app password")
    if not isinstance(password, str) or not password.strip():
        raise AuthenticationError(f"{NETWORK}: app_password is required with an identifier")
    tokens = {key: credentials.get(key) for key in ("access_jwt", "refresh_jwt")}
    for key, token in tokens.items():
        if token is not None and (not isinstance(token, str) or not token):
            raise AuthenticationError(f"{NETWORK}: {key} must be a non-empty string")
    pds = credentials.get("pds_url")
    return _Login(
        identifier=identifier.strip().removeprefix("@"),
        app_password=password.strip(),
        pds=_pds_url(pds) if pds is not None else None,
        access_jwt=tokens["access_jwt"],
        refresh_jwt=tokens["refresh_jwt"],
        extra={"pds_url": pds} if pds is not None else {},
    )


def _session_tokens(body: Any, endpoint: str) -> tuple[str, str]:
    session = require_dict(body, NETWORK, endpoint)
    access, refresh = session.get("accessJwt"), session.get("refreshJwt")
    if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
        raise BadResponseError(f"{NETWORK}: {endpoint} answered no accessJwt/refreshJwt")
    return access, refresh


# --- records ------------------------------------------------------------------------------------------


def _rkey(uri: str, what: str) -> tuple[str, str]:
    """`(did, rkey)` of an `at://did/app.bsky.feed.post/rkey` URI."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post" or not parts[0] or not parts[2]:
        raise BadResponseError(f"{NETWORK}: {what} uri is not an at:// URI of a post: {uri[:80]!r}")
    return parts[0], parts[2]


def _web_url(uri: str, what: str) -> str:
    did, rkey = _rkey(uri, what)
    return f"{WEB}/profile/{did}/post/{rkey}"


def _uri(post: Mapping[str, Any], what: str) -> str:
    uri = post.get("uri")
    if not isinstance(uri, str) or not uri:
        raise BadResponseError(f"{NETWORK}: {what} has no uri")
    return uri


def _media_type(post: Mapping[str, Any]) -> str:
    embed = post.get("embed")
    if not isinstance(embed, dict):
        return "text"
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        media = embed.get("media")
        inner = media.get("$type") if isinstance(media, dict) else None
        return _MEDIA.get(inner, "quote") if isinstance(inner, str) else "quote"
    return _MEDIA.get(kind, "other") if isinstance(kind, str) else "other"


def _tags(record: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    listed = record.get("tags")
    for tag in listed if isinstance(listed, list) else []:
        if isinstance(tag, str) and tag:
            found.append(tag)
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and feature.get("$type") == "app.bsky.richtext.facet#tag":
                tag = feature.get("tag")
                if isinstance(tag, str) and tag:
                    found.append(tag)
    return tuple(dict.fromkeys(tag.lower() for tag in found))


def _language(record: Mapping[str, Any]) -> str | None:
    langs = record.get("langs")
    first = langs[0] if isinstance(langs, list) and langs else None
    if not isinstance(first, str) or not first:
        return None
    primary = first.split("-")[0].lower()
    return primary if 0 < len(primary) <= 8 else None


def _record(post: Mapping[str, Any]) -> tuple[dict[str, Any], datetime]:
    record = require_dict(post.get("record"), NETWORK, "postView.record")
    return record, parse_time(record.get("createdAt"), NETWORK, "record.createdAt")


def _post(post: Mapping[str, Any], record: Mapping[str, Any], published: datetime) -> tuple[Post, dict[str, float]]:
    uri = _uri(post, "a post")
    counters = {name: counter(post, name, NETWORK, "postView") for name in POST_COUNTERS}
    text = record.get("text")
    result = Post(
        external_id=uri,
        published_at=published,
        text=text if isinstance(text, str) else "",
        url=_web_url(uri, "a post"),
        media_type=_media_type(post),
        metrics={name: value for name, value in counters.items() if name in post or name != BOOKMARKS},
        tags=_tags(record),
    )
    return result, counters


def _mention(post: Mapping[str, Any], record: Mapping[str, Any], published: datetime, did: str) -> Mention | None:
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return None  # an image-only post has nothing to read
    uri = _uri(post, "a mention")
    author = post.get("author")
    handle = author.get("handle") if isinstance(author, dict) else None
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    parent_uri = parent.get("uri") if isinstance(parent, dict) else None
    is_reply = isinstance(parent_uri, str) and parent_uri.startswith(f"at://{did}/app.bsky.feed.post/")
    return Mention(
        external_id=uri,
        published_at=published,
        text=text,
        author=f"@{handle}" if isinstance(handle, str) and handle else None,
        url=_web_url(uri, "a mention"),
        language=_language(record),
        kind="reply" if is_reply else "mention",
        post_external_id=parent_uri if is_reply and isinstance(parent_uri, str) else None,
    )


def _author_did(post: Mapping[str, Any]) -> str | None:
    author = post.get("author")
    did = author.get("did") if isinstance(author, dict) else None
    return did if isinstance(did, str) else None


# --- the connector -----------------------------------------------------------------------------------------


class BlueskyConnector(Connector):
    """Bluesky: followers and posts of any public profile, mentions of owned accounts (app password).

    Public data: yes, any public profile can be tracked as a competitor through the public AppView.
    OAuth: not declared (see the module docstring); owned accounts use an app password.
    """

    id = NETWORK
    name = "Bluesky"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions", "public_data"})
    default_base_url = APPVIEW
    other_base_urls = (DEFAULT_PDS,)
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "identifier": {
                "type": "string",
                "title": "Handle or e-mail",
                "description": "The account's handle (e.g. brand.bsky.social) or login e-mail. Optional for "
                "public tracking, needed for mentions.",
                "minLength": 1,
            },
            "app_password": {
                "type": "string",
                "title": "App password",
                "description": "An app password (Settings → Privacy and security → App passwords), not the "
                "account's main password.",
                "minLength": 1,
                "writeOnly": True,
            },
            "pds_url": {
                "type": "string",
                "title": "PDS URL",
                "description": "The account's PDS when it is not hosted by Bluesky (default https://bsky.social).",
                "format": "uri",
                "pattern": "^https://",
            },
            "access_jwt": {
                "type": "string",
                "title": "Session access token",
                "description": "Kept by Resonance after signing in; leave empty.",
                "writeOnly": True,
            },
            "refresh_jwt": {
                "type": "string",
                "title": "Session refresh token",
                "description": "Kept by Resonance after signing in; leave empty.",
                "writeOnly": True,
            },
        },
        "dependentRequired": {"identifier": ["app_password"], "app_password": ["identifier"]},
        "additionalProperties": False,
    }

    @classmethod
    def account_urls(cls, account: AccountRef) -> dict[str, str]:
        """The PDS the account's login goes to, keyed by the field that names it (none: bsky.social)."""
        for where, source in (("credentials", account.credentials), ("settings", account.settings)):
            if source.get("pds_url") is not None:
                return {f"{where}.pds_url": _pds_url(source["pds_url"])}
        return {}

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """Without a login there is nothing to check; with one, open a session (createSession)."""
        login = _login(credentials)
        if login is None:
            return
        async with http_for(self, login.pds or DEFAULT_PDS, classify_error=_classify) as plain:
            await self._create_session(plain, login)

    async def _create_session(self, plain: ConnectorHttp, login: _Login) -> str:
        response = await plain.request(
            "POST",
            CREATE_SESSION,
            json_body={"identifier": login.identifier, "password": login.app_password},
            authenticated=False,
        )
        login.access_jwt, login.refresh_jwt = _session_tokens(plain.decode(response), CREATE_SESSION)
        self.refreshed_credentials = login.credentials()
        return login.access_jwt

    async def _renew(self, plain: ConnectorHttp, login: _Login) -> str:
        """A fresh access token: refreshSession with the refresh token, else a new session."""
        if login.refresh_jwt:
            try:
                response = await plain.request(
                    "POST",
                    REFRESH_SESSION,
                    headers={"Authorization": f"Bearer {login.refresh_jwt}"},
                    authenticated=False,
                )
            except AuthenticationError:
                login.refresh_jwt = None  # revoked or expired: sign in again with the app password
            else:
                login.access_jwt, login.refresh_jwt = _session_tokens(plain.decode(response), REFRESH_SESSION)
                self.refreshed_credentials = login.credentials()
                return login.access_jwt
        return await self._create_session(plain, login)

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """The followers snapshot, the window's posts and day sums, then mentions; checkpoint per page."""
        competitor = account.kind == "competitor"
        quality: Quality = "public_only" if competitor else "estimated"
        login = None if competitor else _login(account.credentials)
        today = _today()
        progress = Progress.resume(state, window)
        async with http_for(self, None) as appview:
            if progress is None:
                progress = Progress(window=window)
                profile = await self._profile(appview, account)
                progress.subject = profile["did"]
                if window.since <= today <= window.until:
                    yield MetricPoint(
                        native_metric=FOLLOWERS,
                        day=today,
                        value=counter(profile, FOLLOWERS, NETWORK, "profile"),
                        quality="public_only" if competitor else "exact",
                    )
            if progress.stage != STAGE_MENTIONS:
                async for record in self._posts(appview, progress):
                    yield record
                for point in progress.points(DAILY, today, quality):
                    yield point
                progress.next_stage(STAGE_MENTIONS)
                if login is not None:
                    yield progress.checkpoint()
        if login is not None:
            async for record in self._mentions(account, login, progress):
                yield record
        yield progress.finished(today)

    async def _profile(self, appview: ConnectorHttp, account: AccountRef) -> dict[str, Any]:
        actor = (account.external_id or account.handle).strip().removeprefix("@")
        if not actor:
            raise ConnectorError(f"{NETWORK}: the account has no handle or DID to look up")
        profile = require_dict(await appview.get_json(GET_PROFILE, params={"actor": actor}), NETWORK, GET_PROFILE)
        did = profile.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise BadResponseError(f"{NETWORK}: {GET_PROFILE} answered no did")
        return profile

    async def _posts(self, appview: ConnectorHttp, progress: Progress) -> AsyncIterator[Record]:
        """The account's own posts of the window, newest first, with a checkpoint after every page."""
        did = str(progress.subject)
        params = {"actor": did, "limit": str(PAGE_SIZE), "filter": "posts_no_replies"}
        start = window_start(progress.window)
        async for page in _pages(appview, GET_AUTHOR_FEED, params, "feed", progress, start):
            for item in page.items:
                entry = require_dict(item, NETWORK, "a feed item")
                post = require_dict(entry.get("post"), NETWORK, "feedViewPost.post")
                record, published = _record(post)
                indexed = post.get("indexedAt")
                page.saw(min(published, parse_time(indexed, NETWORK, "post.indexedAt")) if indexed else published)
                if entry.get("reason") is not None or _author_did(post) != did:
                    continue  # a repost or a pinned post shown again
                if not in_window(published, progress.window):
                    continue
                result, counters = _post(post, record, published)
                progress.add(published.astimezone(UTC).date(), {POSTS: 1.0, **counters})
                yield result
            if page.more():
                progress.cursor = page.following
                yield progress.checkpoint()

    async def _mentions(self, account: AccountRef, login: _Login, progress: Progress) -> AsyncIterator[Record]:
        """Posts mentioning the account in the window (searchPosts through the PDS), a checkpoint per page."""
        pds = login.pds or _setting_pds(account.settings) or DEFAULT_PDS
        async with http_for(self, pds, classify_error=_classify) as plain:
            access = login.access_jwt or await self._create_session(plain, login)

            async def renew() -> str:
                return await self._renew(plain, login)

            token = BearerToken(access_token=access, refresh=renew)
            async with http_for(self, pds, token=token, classify_error=_classify) as authed:
                did = str(progress.subject)
                params = {
                    "q": "*",
                    "mentions": did,
                    "since": _midnight(progress.window.since),
                    "until": _midnight(day_after(progress.window.until)),
                    "sort": "latest",
                    "limit": str(PAGE_SIZE),
                }
                async for page in _pages(authed, SEARCH_POSTS, params, "posts", progress):
                    for item in page.items:
                        post = require_dict(item, NETWORK, "a searched post")
                        record, published = _record(post)
                        if _author_did(post) == did or not in_window(published, progress.window):
                            continue
                        mention = _mention(post, record, published, did)
                        if mention is not None:
                            yield mention
                    if page.more():
                        progress.cursor = page.following
                        yield progress.checkpoint()


async def _pages(
    http: ConnectorHttp,
    method: str,
    params: Mapping[str, str],
    key: str,
    progress: Progress,
    start: datetime | None = None,
) -> AsyncIterator[FeedPage]:
    """The pages of an XRPC listing (`key` holds its items), from the checkpoint's cursor on, reading the next
    page for as long as the page just read says so (`FeedPage.more`) and the caller moved the cursor on."""
    while True:
        page_params = {**params, "cursor": progress.cursor} if progress.cursor else params
        body = require_dict(await http.get_json(method, params=page_params), NETWORK, method)
        cursor = body.get("cursor")
        page = FeedPage(
            require_list(body.get(key), NETWORK, f"{method} {key}"), cursor if isinstance(cursor, str) else None, start
        )
        yield page
        if not page.more():
            return


def _setting_pds(settings: Mapping[str, Any]) -> str | None:
    value = settings.get("pds_url")
    return _pds_url(value) if value is not None else None


def _midnight(day: date) -> str:
    return datetime.combine(day, time(), UTC).isoformat().replace("+00:00", "Z")


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The Bluesky plugin provides one connector."""
    return [BlueskyConnector]
