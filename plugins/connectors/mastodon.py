# Over 400 lines: one network's declarations, requests and parsing; shared plumbing is in _public_feed.
"""The Mastodon connector: an account's followers, statuses and mentions, from its own instance's REST API.

Where it reads
    Every Mastodon server (instance) has its own API; an account is read on its home instance, where its
    counters are complete (another instance only knows the interactions that federated to it). The instance
    is, in order: the account's setting or credential `instance_url`, the domain of a handle written
    `@user@instance.social` (or `https://instance.social/@user`), else https://mastodon.social. That
    instance is the declared host for the account; a base-URL override (tests, operators) replaces it.

What it fetches (official docs: https://docs.joinmastodon.org/methods/accounts/ and /methods/notifications/)
    * the account: `GET /api/v1/accounts/verify_credentials` with the account's token (owned accounts),
      else `GET /api/v1/accounts/:id` when the external id is known, else
      `GET /api/v1/accounts/lookup?acct=user` (public);
    * its statuses: `GET /api/v1/accounts/:id/statuses?limit=40&exclude_reblogs=true`, newest first, following
      the `Link: <…max_id=…>; rel="next"` header until the statuses are older than the window (public for
      public statuses; the owner's token also returns followers-only ones). Direct messages are skipped;
    * mentions (owned accounts with a token holding `read:notifications`):
      `GET /api/v1/notifications?types[]=mention&limit=40`, following the `Link` header the same way.

Metrics (Mastodon keeps no history, see `_public_feed`)
    `followers_count` → followers: a snapshot for the day of the fetch when it is in the window ("exact");
    `statuses` → posts_published, `favourites_count` → reactions, `reblogs_count` → shares and
    `replies_count` → comments: per day of publication, sums of the current counters of the statuses
    published that day ("estimated"). A post carries its own three counters. Nothing was deprecated.

Text
    Status `content` is HTML; posts and mentions carry it as plain text, converted with the standard
    library's `html.parser` (tags dropped, entities decoded, `<br>` and paragraphs kept as line breaks;
    the full link URLs Mastodon splits into "invisible" spans are kept whole). A content warning
    (`spoiler_text`) comes first, on its own paragraph.

Credentials
    `access_token` (optional): a user token of the account, created in the instance's web interface under
    Preferences → Development → New application with the scopes `read:accounts read:statuses
    read:notifications`. Without it an account is tracked from public data (no mentions).
    `instance_url` (optional): the account's instance when the handle does not say it.
    OAuth 2.0 exists but an app must be registered on each instance (`POST /api/v1/apps`) and its
    authorize/token URLs are per instance, so this connector declares no fixed `OAuthConfig`; a
    per-instance flow is for the lead to add in the engine. Mastodon user tokens do not expire by
    default, so there is no refresh: a refused token ends the run with `AuthenticationError`.

Competitors
    Any public account: only the public endpoints above, no token, every number flagged "public_only".
    Instances in "limited federation"/whitelist mode refuse unauthenticated reads (401 "This API requires
    an authenticated user"); that is reported as an `AuthenticationError` saying so.

Rate limits (`X-RateLimit-Remaining`/`X-RateLimit-Reset` in ISO 8601, 429 + `Retry-After`) are the SDK's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, ClassVar, Final
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from plugins.connectors._public_feed import (
    STAGE_MENTIONS,
    FeedPage,
    Progress,
    counter,
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
    link_header,
    utc_today,
)

NETWORK: Final = "mastodon"
DEFAULT_INSTANCE: Final = "https://mastodon.social"
VERIFY_CREDENTIALS: Final = "api/v1/accounts/verify_credentials"
PAGE_SIZE: Final = 40
"""Statuses per page (the documented maximum) and notifications per page."""

FOLLOWERS: Final = "followers_count"
STATUSES: Final = "statuses"
FAVOURITES: Final = "favourites_count"
REBLOGS: Final = "reblogs_count"
REPLIES: Final = "replies_count"

POST_COUNTERS: Final = (FAVOURITES, REBLOGS, REPLIES)
DAILY: Final = (STATUSES, *POST_COUNTERS)

_METRICS: Final = (
    MetricDeclaration(
        native=FOLLOWERS,
        canonical="followers",
        unit="accounts",
        description="Account.followers_count on the day of the fetch (Mastodon keeps no history).",
    ),
    MetricDeclaration(
        native=STATUSES,
        canonical="posts_published",
        unit="posts",
        description="Statuses (boosts and direct messages excluded) published that day (UTC).",
    ),
    MetricDeclaration(
        native=FAVOURITES,
        canonical="reactions",
        unit="actions",
        description="Status.favourites_count: on a post, its total; per day, the sum over that day's statuses.",
    ),
    MetricDeclaration(
        native=REBLOGS,
        canonical="shares",
        unit="actions",
        description="Status.reblogs_count (boosts): on a post, its total; per day, the sum over that day's statuses.",
    ),
    MetricDeclaration(
        native=REPLIES,
        canonical="comments",
        unit="actions",
        description="Status.replies_count: on a post, its total; per day, the sum over that day's statuses.",
    ),
)

_AUTH_ERRORS: Final = {
    "The access token is invalid",
    "The access token was revoked",
    "The access token expired",
    "This method requires an authenticated user",
    "Your login is currently disabled",
    "Your login is missing a confirmed e-mail address",
    "Your login is currently pending approval",
}
_WHITELIST_ERROR: Final = "This API requires an authenticated user"


_today = utc_today
"""The day of the fetch (UTC); tests replace it (the SDK's clock)."""


# --- HTML ------------------------------------------------------------------------------------------


class _PlainText(HTMLParser):
    """Collects the text of Mastodon's status HTML: tags dropped, line breaks and paragraphs kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The plain text of a status's HTML `content`."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


# --- where the account lives -----------------------------------------------------------------------


def _normalise_instance(value: str) -> str:
    value = value.strip().rstrip("/")
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or parts.path not in ("", "/"):
        raise AuthenticationError(
            f"{NETWORK}: instance_url must be an https:// address with no path, like https://mastodon.social"
        )
    return f"https://{parts.netloc.lower()}"


def _instance_setting(*sources: Mapping[str, Any]) -> str | None:
    for source in sources:
        value = source.get("instance_url")
        if value is not None:
            if not isinstance(value, str) or not value.strip():
                raise AuthenticationError(f"{NETWORK}: instance_url must be a non-empty string")
            return _normalise_instance(value)
    return None


def parse_handle(handle: str) -> tuple[str, str | None]:
    """`(username, domain)` from `@user@domain`, `user@domain`, `@user` or `https://domain/@user`."""
    text = handle.strip()
    if "://" in text:
        parts = urlsplit(text)
        path = parts.path.strip("/")
        if not path.startswith("@") or "/" in path:
            raise ConnectorError(f"{NETWORK}: {handle!r} is not a profile URL like https://mastodon.social/@user")
        return path[1:], parts.netloc.lower() or None
    text = text.removeprefix("@")
    username, _, domain = text.partition("@")
    if not username:
        raise ConnectorError(f"{NETWORK}: {handle!r} is not a Mastodon handle like @user@mastodon.social")
    return username, (domain.lower() or None)


def _token(credentials: Mapping[str, Any]) -> str | None:
    unknown = sorted(set(credentials) - {"access_token", "instance_url"})
    if unknown:
        raise AuthenticationError(f"{NETWORK}: unknown credential field(s): {', '.join(unknown)}")
    token = credentials.get("access_token")
    if token is None:
        return None
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError(f"{NETWORK}: access_token must be a non-empty string")
    return token.strip()


def _classify(response: httpx.Response, body: Any) -> ConnectorError | None:
    """Mastodon's `{"error": "…"}` bodies: refused tokens, disabled logins, instances closed to the public."""
    message = body.get("error") if isinstance(body, dict) else None
    endpoint = response.request.url.path
    if response.status_code == 401 and message == _WHITELIST_ERROR:
        return AuthenticationError(
            f"{NETWORK}: the instance requires an authenticated user for GET {endpoint} (limited federation "
            "mode); public tracking is not possible there, add an access_token of an account on that instance"
        )
    if response.status_code in (401, 403, 422) and isinstance(message, str) and message in _AUTH_ERRORS:
        return AuthenticationError(
            f"{NETWORK} refused the access token on {response.request.method} {endpoint} "
            f"({response.status_code}: {message}); create a new token and reconnect the account"
        )
    return None


def _max_id(url: str) -> str:
    values = parse_qs(urlsplit(url).query).get("max_id")
    if not values or not values[0]:
        raise BadResponseError(f"{NETWORK}: the Link header's next page has no max_id ({urlsplit(url).path})")
    return values[0]


# --- records ----------------------------------------------------------------------------------------


def _status_text(status: Mapping[str, Any]) -> str:
    content = status.get("content")
    text = plain_text(content) if isinstance(content, str) else ""
    spoiler = status.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():
        return f"{spoiler.strip()}\n\n{text}".strip()
    return text


def _media_type(status: Mapping[str, Any]) -> str:
    attachments = status.get("media_attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        kind = attachments[0].get("type")
        if isinstance(kind, str) and kind:
            return kind  # image, gifv, video, audio or unknown
    if status.get("poll"):
        return "poll"
    if status.get("card"):
        return "link"
    return "text"


def _url(status: Mapping[str, Any]) -> str | None:
    for key in ("url", "uri"):
        value = status.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _id(item: Mapping[str, Any], what: str) -> str:
    value = item.get("id")
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise BadResponseError(f"{NETWORK}: {what} has no id")
    return str(value)


def _post(status: Mapping[str, Any], published: datetime) -> tuple[Post, dict[str, float]]:
    counters = {name: counter(status, name, NETWORK, "status") for name in POST_COUNTERS}
    tags = status.get("tags")
    listed = tags if isinstance(tags, list) else []
    names = tuple(str(tag["name"]).lower() for tag in listed if isinstance(tag, dict) and tag.get("name"))
    post = Post(
        external_id=_id(status, "a status"),
        published_at=published,
        text=_status_text(status),
        url=_url(status),
        media_type=_media_type(status),
        metrics=counters,
        tags=names,
    )
    return post, counters


def _mention(status: Mapping[str, Any], published: datetime, account_id: str) -> Mention | None:
    text = _status_text(status)
    if not text:
        return None  # a media-only status has nothing to read
    author = status.get("account")
    acct = author.get("acct") if isinstance(author, dict) else None
    language = status.get("language")
    reply_to = status.get("in_reply_to_id")
    is_reply = reply_to is not None and str(status.get("in_reply_to_account_id")) == account_id
    return Mention(
        external_id=_id(status, "a mention's status"),
        published_at=published,
        text=text,
        author=f"@{acct}" if isinstance(acct, str) and acct else None,
        url=_url(status),
        language=language if isinstance(language, str) and language and len(language) <= 8 else None,
        kind="reply" if is_reply else "mention",
        post_external_id=str(reply_to) if is_reply else None,
    )


# --- the connector -----------------------------------------------------------------------------------


class MastodonConnector(Connector):
    """Mastodon: followers, statuses and mentions of an account on its own instance (any instance).

    Public data: yes, any public account can be tracked as a competitor without a token. OAuth: not
    declared, apps and URLs are per instance (see the module docstring); use an access token.
    """

    id = NETWORK
    name = "Mastodon"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions", "public_data"})
    default_base_url = DEFAULT_INSTANCE
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "access_token": {
                "type": "string",
                "title": "Access token",
                "description": (
                    "Optional for public tracking, needed for mentions. Create it on the account's instance: "
                    "Preferences → Development → New application, scopes read:accounts read:statuses "
                    "read:notifications, then copy 'Your access token'."
                ),
                "minLength": 1,
                "writeOnly": True,
            },
            "instance_url": {
                "type": "string",
                "title": "Instance URL",
                "description": "The account's Mastodon server, e.g. https://mastodon.social, when the handle "
                "does not include it (@user@instance).",
                "format": "uri",
                "pattern": "^https://[^/]+/?$",
            },
        },
        "additionalProperties": False,
    }

    @classmethod
    def account_urls(cls, account: AccountRef) -> dict[str, str]:
        """The instance the account is read on, keyed by the field that names it (none: mastodon.social)."""
        sources = [("settings", account.settings)]
        if account.kind != "competitor":
            sources.append(("credentials", account.credentials))
        for where, source in sources:
            instance = _instance_setting(source)
            if instance is not None:
                return {f"{where}.instance_url": instance}
        _username, domain = parse_handle(account.handle)
        return {"handle": _normalise_instance(domain)} if domain is not None else {}

    def _client(self, instance: str | None, token: str | None) -> ConnectorHttp:
        return http_for(
            self, instance, token=BearerToken(access_token=token) if token else None, classify_error=_classify
        )

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """Without a token there is nothing to check; with one, `GET /api/v1/accounts/verify_credentials`."""
        token = _token(credentials)
        instance = _instance_setting(credentials)
        if token is None:
            return
        async with self._client(instance, token) as http:
            body = require_dict(await http.get_json(VERIFY_CREDENTIALS), NETWORK, "verify_credentials")
            _id(body, "verify_credentials")

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """The followers snapshot, the window's statuses and day sums, then mentions; checkpoint per page."""
        competitor = account.kind == "competitor"
        quality: Quality = "public_only" if competitor else "estimated"
        token = None if competitor else _token(account.credentials)
        username, domain = parse_handle(account.handle)
        instance = _instance_setting(account.settings, {} if competitor else account.credentials)
        if instance is None and domain is not None:
            instance = _normalise_instance(domain)
        today = _today()
        progress = Progress.resume(state, window)
        async with self._client(instance, token) as http:
            if progress is None:
                progress = Progress(window=window)
                profile = await self._account(http, account, token, username, domain, instance)
                progress.subject = _id(profile, "the account")
                if window.since <= today <= window.until:
                    yield MetricPoint(
                        native_metric=FOLLOWERS,
                        day=today,
                        value=counter(profile, FOLLOWERS, NETWORK, "account"),
                        quality="public_only" if competitor else "exact",
                    )
            if progress.stage != STAGE_MENTIONS:
                async for record in self._statuses(http, progress):
                    yield record
                for point in progress.points(DAILY, today, quality):
                    yield point
                progress.next_stage(STAGE_MENTIONS)
                if token is not None:
                    yield progress.checkpoint()
            if token is not None:
                async for record in self._mentions(http, progress):
                    yield record
        yield progress.finished(today)

    async def _account(
        self,
        http: ConnectorHttp,
        account: AccountRef,
        token: str | None,
        username: str,
        domain: str | None,
        instance: str | None,
    ) -> dict[str, Any]:
        if token is not None:
            body = require_dict(await http.get_json(VERIFY_CREDENTIALS), NETWORK, "verify_credentials")
            owner = body.get("username")
            if isinstance(owner, str) and owner.lower() != username.lower():
                raise AuthenticationError(
                    f"{NETWORK}: the access token belongs to @{owner}, not to @{username}; "
                    "use a token created by the tracked account"
                )
            return body
        if account.external_id:
            body = await http.get_json(f"api/v1/accounts/{quote(account.external_id, safe='')}")
            return require_dict(body, NETWORK, "the account")
        local = domain is None or instance is None or urlsplit(instance).netloc == domain
        acct = username if local else f"{username}@{domain}"
        body = await http.get_json("api/v1/accounts/lookup", params={"acct": acct})
        return require_dict(body, NETWORK, "accounts/lookup")

    async def _statuses(self, http: ConnectorHttp, progress: Progress) -> AsyncIterator[Record]:
        """Posts of the window, newest first, with a checkpoint after every page that has a next one."""
        path = f"api/v1/accounts/{quote(str(progress.subject), safe='')}/statuses"
        first = {"limit": str(PAGE_SIZE), "exclude_reblogs": "true"}
        async for page in _timeline(http, path, first, progress):
            for item in page.items:
                status = require_dict(item, NETWORK, "a status")
                published = parse_time(status.get("created_at"), NETWORK, "status.created_at")
                page.saw(published)
                if status.get("reblog") or status.get("visibility") == "direct":
                    continue
                if not in_window(published, progress.window):
                    continue
                post, counters = _post(status, published)
                progress.add(published.astimezone(UTC).date(), {STATUSES: 1.0, **counters})
                yield post
            if page.more():
                progress.cursor = _max_id(str(page.following))
                yield progress.checkpoint()

    async def _mentions(self, http: ConnectorHttp, progress: Progress) -> AsyncIterator[Record]:
        """Mention notifications of the window, newest first, with a checkpoint after every page."""
        first = {"types[]": "mention", "limit": str(PAGE_SIZE)}
        async for page in _timeline(http, "api/v1/notifications", first, progress):
            for item in page.items:
                notification = require_dict(item, NETWORK, "a notification")
                received = parse_time(notification.get("created_at"), NETWORK, "notification.created_at")
                page.saw(received)
                status = notification.get("status")
                if notification.get("type") != "mention" or not isinstance(status, dict):
                    continue
                if status.get("visibility") == "direct":
                    continue  # private messages to the account are not public opinion
                published = parse_time(status.get("created_at"), NETWORK, "status.created_at")
                if not in_window(published, progress.window):
                    continue
                mention = _mention(status, published, str(progress.subject))
                if mention is not None:
                    yield mention
            if page.more():
                progress.cursor = _max_id(str(page.following))
                yield progress.checkpoint()


async def _timeline(
    http: ConnectorHttp, path: str, first: Mapping[str, str], progress: Progress
) -> AsyncIterator[FeedPage]:
    """A timeline's pages, newest first, from the checkpoint's `max_id` on, following the Link header's next
    page for as long as the page just read says so (`FeedPage.more`)."""
    start = window_start(progress.window)
    params: Mapping[str, str] | None = {**first, "max_id": progress.cursor} if progress.cursor else first
    url = path
    while True:
        response = await http.request("GET", url, params=params)
        items = require_list(http.decode(response), NETWORK, f"GET /{path}")
        next_url, _ = link_header(items, response)
        page = FeedPage(items, next_url, start)
        yield page
        if not page.more() or next_url is None:
            return
        url, params = next_url, None


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The Mastodon plugin provides one connector."""
    return [MastodonConnector]
