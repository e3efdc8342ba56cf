"""resonance-feed: a Resonance connector for RSS 2.0 and Atom feeds, and the example third-party plugin.

Point an account at a blog's or a newsroom's feed and Resonance records what it publishes: each entry
of the sync window becomes a `Post` (id or guid, date, title and summary as text, link, categories),
and the number of entries published each day (UTC) becomes the `posts_published` metric. A public feed
says nothing its publisher would not, so a competitor's newsroom can be tracked as well as the client's
own blog (capability `public_data`).

Which feed
    The account's `settings.feed_url` when it is set, otherwise its handle. It must be an https URL on a
    named host (not an IP address, not `localhost`) and carry no user name or password: a tenant chooses
    it, and Resonance's servers fetch it. (Operators who need more than that against server-side request
    forgery still filter outgoing traffic at the network's edge.)

Base URL and declared hosts
    An API connector declares one API host; a feed connector has none of its own, since every account
    names its own site. So:

    * `default_base_url` is a placeholder in the reserved `.invalid` domain. It is never called; the
      SDK, the conformance kit and `GET /v1/connectors` just want one.
    * Without an override, each fetch calls `self.http()` on a copy of the connector whose base URL is
      the feed's origin (`https://host[:port]`). That origin is the only host the client may call: a
      next-page link to another host is refused (`ForbiddenUrlError`) and redirects are not followed
      (give the feed's final URL), so a feed can send neither Resonance nor its password elsewhere.
    * With an override (an operator's `RESONANCE_CONNECTOR_BASE_URLS=feed=URL`, the CLI's `--base-url`,
      the conformance kit's local server), the override stands in for the origin of every feed: the
      path and query of the feed URL and of its next-page links are requested under it, so
      `https://blog.example.com/feed.xml?page=2` is fetched as `URL/feed.xml?page=2`. Accounts and
      recorded feeds keep their real URLs; only the place they are fetched from changes.

Pages
    RFC 5005 paged feeds: the `rel="next"` link of an Atom feed (`<link rel="next">`), of an RSS feed
    (`<atom:link rel="next">`) or of the HTTP response (`Link: <…>; rel="next"`) leads to older
    entries. Paging stops at the first page that reaches back before the window, when there is no next
    link, or when a link comes round again. After every page that has a next one, a `Checkpoint` holds
    the next page's URL and the entries counted so far, so a resumed run counts each entry once.

Counting
    `posts_published` is exact on every day the feed fully covers, zeros included: the whole window
    when paging reached an entry older than the window (or the feed says it is complete, RFC 5005
    `<fh:complete/>`), otherwise only the days after its oldest entry's day, since a feed that keeps its
    latest twenty entries may have dropped others of that day. Days after today are not counted yet.
    The final checkpoint's `last_day` (the last day counted) is where the sync engine starts next time.

Credentials
    None for a public feed. For a feed behind HTTP Basic authentication: `username`, `password`
    (write-only) and `feed_url`, the feed they open; the password is sent to that URL's site only, and
    `check()` fetches that feed with them. Conditional requests (`If-None-Match`) are not sent: a sync
    reads only the pages its window needs.
"""

from __future__ import annotations

import base64
import calendar
import copy
import hashlib
import io
import ipaddress
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, ClassVar, Final
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import feedparser
import httpx
from resonance_sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    BearerToken,
    Capability,
    Checkpoint,
    Connector,
    ConnectorError,
    ConnectorHttp,
    MetricDeclaration,
    MetricPoint,
    Post,
    Record,
    Window,
    hookimpl,
    utc_today,
    window_key,
)

__version__ = "1.0.0"

logger = logging.getLogger("resonance_feed")

ENTRIES_PUBLISHED: Final = "entries_published"
"""The native metric: entries the feed published on a day (UTC)."""

ACCEPT: Final = "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
MAX_PAGES: Final = 500
TEXT_LIMIT: Final = 4000
"""Longest post text kept: the title and the start of the summary are what analytics read."""
ID_LIMIT: Final = 200
HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
LOCAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
"""Names that only mean something inside a private network."""


# --- the feed URL ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedUrl:
    """An accepted feed URL: the URL itself, its origin (`https://host[:port]`) and what to request."""

    url: str
    origin: str
    target: str
    """Path and query, fetched under the origin (or under a base-URL override)."""


def _origin(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port and port != default else "")


def _target(parts: SplitResult) -> str:
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def parse_feed_url(value: Any, *, where: str) -> FeedUrl:
    """`value` as a `FeedUrl`, or `ConnectorError` saying what is wrong with it (`where` names the field)."""
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError(f"feed: {where} must be the feed's https URL, e.g. https://blog.example.com/feed.xml")
    text = value.strip()
    parts = urlsplit(text)
    try:
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        host = ""
    if parts.scheme.lower() != "https" or not host:
        raise ConnectorError(f"feed: {where} must be an https URL, e.g. https://blog.example.com/feed.xml")
    if parts.username is not None or parts.password is not None:
        raise ConnectorError(f"feed: {where} must not carry a user name or password; put them in the credentials")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ConnectorError(f"feed: {where} must name its host, not an IP address")
    if "." not in host or host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        raise ConnectorError(f"feed: {where} must be on a public host name, not {host!r}")
    return FeedUrl(url=text, origin=_origin(parts), target=_target(parts))


def account_feed(account: AccountRef) -> FeedUrl:
    """The account's feed: `settings.feed_url` when set, else the handle."""
    configured = account.settings.get("feed_url")
    if configured is not None:
        return parse_feed_url(configured, where="the account's settings.feed_url")
    return parse_feed_url(account.handle, where="the account's handle (or settings.feed_url)")


@dataclass(frozen=True)
class Login:
    """HTTP Basic credentials and the feed they were given for."""

    username: str
    password: str = field(repr=False)
    feed: FeedUrl

    def token(self) -> BearerToken:
        encoded = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return BearerToken(access_token=encoded, scheme="Basic")


def login_from(credentials: Mapping[str, Any]) -> Login | None:
    """The Basic credentials, or None for a public feed; `AuthenticationError` when they are incomplete."""
    username, password = credentials.get("username"), credentials.get("password")
    if not username and not password:
        return None
    if not (isinstance(username, str) and username and isinstance(password, str) and password):
        raise AuthenticationError("feed: the credentials need both a username and a password")
    return Login(
        username=username,
        password=password,
        feed=parse_feed_url(credentials.get("feed_url"), where="the credentials' feed_url"),
    )


# --- reading a page -------------------------------------------------------------------------------


class _TextOf(HTMLParser):
    """The text of an HTML fragment (feedparser has already sanitised it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")  # <p>a</p><p>b</p> is "a b", not "ab"


def plain_text(value: str, content_type: str | None) -> str:
    """`value` as one line of plain text: HTML tags dropped when the feed says it is HTML, spaces (no-break
    spaces too) collapsed."""
    if content_type in HTML_TYPES:
        parser = _TextOf()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    return " ".join(value.split())


def _moment(parsed: Any) -> datetime | None:
    """feedparser's UTC `struct_time` as an aware datetime."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _text_field(entry: Mapping[str, Any], name: str) -> str:
    value, detail = entry.get(name), entry.get(f"{name}_detail")
    contents = entry.get("content") or []
    if name == "summary" and not detail and contents:
        # An Atom entry with only <content>: feedparser copies it to `summary`, without its type.
        value, detail = contents[0].get("value"), contents[0]
    if not isinstance(value, str):
        return ""
    return plain_text(value, (detail or {}).get("type"))


def entry_post(entry: Mapping[str, Any]) -> Post | None:
    """A feed entry as a `Post`, or None when it has neither an id nor a link, or no date."""
    identifier = entry.get("id") or entry.get("link")
    published = _moment(entry.get("published_parsed")) or _moment(entry.get("updated_parsed"))
    if not isinstance(identifier, str) or not identifier.strip() or published is None:
        return None
    identifier = identifier.strip()
    if len(identifier) > ID_LIMIT:  # some ids are long URLs: a digest is as stable and fits
        identifier = "sha256:" + hashlib.sha256(identifier.encode()).hexdigest()
    text = "\n\n".join(part for part in (_text_field(entry, "title"), _text_field(entry, "summary")) if part)
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    link = entry.get("link")
    terms = (tag.get("term") for tag in entry.get("tags") or [])
    return Post(
        external_id=identifier,
        published_at=published,
        text=text,
        url=link if isinstance(link, str) and link.startswith(("https://", "http://")) and len(link) <= 2000 else None,
        media_type="article",
        tags=tuple(term.strip() for term in terms if isinstance(term, str) and term.strip()),
    )


@dataclass(frozen=True)
class FeedPage:
    """One document of a feed: its posts, the next (older) page's URL, and whether it is complete."""

    posts: list[Post]
    next_url: str | None
    complete: bool
    skipped: int = 0


def read_page(content: bytes, *, url: str, content_type: str = "", header_next: str | None = None) -> FeedPage:
    """Parse one RSS or Atom document fetched from `url`; `BadResponseError` when it is neither.

    `header_next` is the response's `Link: <…>; rel="next"`, used when the document has no next link.
    """
    parsed = feedparser.parse(
        io.BytesIO(content),  # never a str: feedparser would fetch a string that looks like a URL
        response_headers={"content-type": content_type or "application/xml", "content-location": url},
    )
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        reason = f"{type(problem).__name__}: {str(problem)[:80]}" if problem else "no RSS or Atom root element"
        raise BadResponseError(
            f"feed: GET {urlsplit(url).path or '/'} answered something that is not a feed ({reason})"
        )
    posts: list[Post] = []
    skipped = 0
    for entry in parsed.entries:
        post = entry_post(entry)
        if post is None:
            skipped += 1
        else:
            posts.append(post)
    next_url = next((link.get("href") for link in parsed.feed.get("links", []) if link.get("rel") == "next"), None)
    next_url = next_url or header_next
    return FeedPage(
        posts=posts,
        next_url=urljoin(url, next_url) if next_url else None,
        complete="fh_complete" in parsed.feed,
        skipped=skipped,
    )


# --- counting -------------------------------------------------------------------------------------


def _digest(external_id: str) -> str:
    return hashlib.sha256(external_id.encode()).hexdigest()[:16]


def _days(since: date, until: date) -> Iterator[date]:
    day = since
    while day <= until:
        yield day
        day += timedelta(days=1)


today = utc_today
"""Today (UTC); days after it have not been published yet. A module name, so tests can pin it."""


@dataclass
class Progress:
    """What a run has read so far: enough to resume it and to count each day's entries exactly."""

    window: Window
    feed: str
    page_url: str
    counted: dict[str, set[str]] = field(default_factory=dict)
    """Digests of the window's entries, by day (ISO): an entry on two pages counts once."""
    oldest: datetime | None = None
    reached_start: bool = False

    @classmethod
    def resume(cls, state: Mapping[str, Any], window: Window, feed: FeedUrl) -> Progress:
        """Carry on from a mid-run checkpoint of the same feed and window; otherwise start at the feed."""
        fresh = cls(window=window, feed=feed.url, page_url=feed.url)
        if state.get("feed") != feed.url or state.get("window") != window_key(window):
            return fresh
        try:
            oldest = state.get("oldest")
            return cls(
                window=window,
                feed=feed.url,
                page_url=str(state["next"]),
                counted={str(day): set(digests) for day, digests in dict(state.get("counted", {})).items()},
                oldest=datetime.fromisoformat(oldest) if isinstance(oldest, str) else None,
                reached_start=bool(state.get("reached_start", False)),
            )
        except (KeyError, TypeError, ValueError):
            logger.warning("feed: ignoring an unreadable checkpoint of %s; starting again", feed.url)
            return fresh

    def read(self, posts: list[Post]) -> list[Post]:
        """Note a page's posts; return those of the window not counted before, to yield."""
        new: list[Post] = []
        for post in posts:
            day = post.published_at.astimezone(UTC).date()
            if self.oldest is None or post.published_at < self.oldest:
                self.oldest = post.published_at
            if day < self.window.since:
                self.reached_start = True
            elif day <= self.window.until:
                digests = self.counted.setdefault(day.isoformat(), set())
                if _digest(post.external_id) not in digests:
                    digests.add(_digest(post.external_id))
                    new.append(post)
        return new

    def state(self) -> dict[str, Any]:
        """The checkpoint that resumes at `page_url`; `last_day` keeps the engine's next window on this one."""
        return {
            "feed": self.feed,
            "window": window_key(self.window),
            "next": self.page_url,
            "counted": {day: sorted(self.counted[day]) for day in sorted(self.counted)},
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "reached_start": self.reached_start,
            "last_day": self.window.since.isoformat(),
        }

    def last_day(self, now: date) -> date:
        """The last day that can be counted: the window's end, or today."""
        return min(self.window.until, now)

    def points(self, *, complete: bool, now: date) -> list[MetricPoint]:
        """One `posts_published` value per day the feed fully covers."""
        if self.reached_start or complete:
            first = self.window.since
        elif self.oldest is not None:
            first = max(self.window.since, self.oldest.astimezone(UTC).date() + timedelta(days=1))
        else:
            return []
        return [
            MetricPoint(native_metric=ENTRIES_PUBLISHED, day=day, value=len(self.counted.get(day.isoformat(), ())))
            for day in _days(first, self.last_day(now))
        ]


# --- the connector --------------------------------------------------------------------------------


def _classify(response: httpx.Response, _body: Any) -> ConnectorError | None:
    if response.status_code != 401:
        return None
    sent = "authorization" in response.request.headers
    path = response.request.url.path or "/"
    if sent:
        return AuthenticationError(f"feed: GET {path} refused the username and password (401); update the credentials")
    return AuthenticationError(
        f"feed: GET {path} asks for a username and password (401); add them to the account's credentials"
    )


class FeedConnector(Connector):
    """A blog's or a newsroom's RSS 2.0 or Atom feed: its entries as posts, and how many each day."""

    id = "feed"
    name = "RSS and Atom feeds"
    version = __version__
    default_base_url = "https://feed.invalid"
    """A placeholder, never called: each account's feed URL names its host (see the module docstring)."""
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"posts", "account_metrics", "public_data"})
    metrics = (
        MetricDeclaration(
            native=ENTRIES_PUBLISHED,
            canonical="posts_published",
            unit="posts",
            description="Entries the feed published that day (UTC).",
        ),
    )
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Feed credentials",
        "description": "Leave empty for a public feed. For a feed behind HTTP Basic authentication, give all three.",
        "properties": {
            "username": {
                "type": "string",
                "title": "User name",
                "minLength": 1,
                "maxLength": 200,
                "pattern": "^[^:]+$",
            },
            "password": {"type": "string", "title": "Password", "minLength": 1, "maxLength": 500, "writeOnly": True},
            "feed_url": {
                "type": "string",
                "title": "Protected feed URL",
                "description": "The feed these credentials open; the password is only ever sent to this URL's site.",
                "format": "uri",
                "pattern": "^https://",
                "maxLength": 2000,
            },
        },
        "dependentRequired": {
            "username": ["password", "feed_url"],
            "password": ["username", "feed_url"],
            "feed_url": ["username", "password"],
        },
        "additionalProperties": False,
    }

    @classmethod
    def account_urls(cls, account: AccountRef) -> dict[str, str]:
        """The feed (and the protected feed of the credentials), keyed by the field that names each."""
        where = "settings.feed_url" if account.settings.get("feed_url") is not None else "handle"
        urls = {where: account_feed(account).url}
        login = login_from(account.credentials)
        if login is not None:
            urls["credentials.feed_url"] = login.feed.url
        return urls

    def client(self, feed: FeedUrl, login: Login | None = None) -> ConnectorHttp:
        """`self.http()` aimed at the feed's origin, or at the base-URL override when there is one."""
        connector: Connector = self
        if not self.overridden:
            connector = copy.copy(self)
            connector.base_url = feed.origin
        return connector.http(
            headers={"Accept": ACCEPT}, token=login.token() if login else None, classify_error=_classify
        )

    def _request_target(self, http: ConnectorHttp, url: str, feed: FeedUrl) -> str:
        """What to ask `http` for to get `url`: its path under the feed's origin, or `url` as it is."""
        parts = urlsplit(url)
        try:
            same_site = _origin(parts) == feed.origin
        except ValueError:  # a link with a broken port
            same_site = False
        if url.startswith(http.base_url) or not same_site:
            return url  # already under the client's base, or another site, which the client refuses
        return _target(parts)

    async def page(self, http: ConnectorHttp, url: str, feed: FeedUrl) -> FeedPage:
        """Fetch and parse the feed document at `url`."""
        response = await http.request("GET", self._request_target(http, url, feed))
        page = read_page(
            response.content,
            url=url,
            content_type=response.headers.get("content-type", ""),
            header_next=response.links.get("next", {}).get("url"),
        )
        if page.skipped:
            logger.info("feed: %d entries of %s have no id, link or date; skipped", page.skipped, urlsplit(url).path)
        return page

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """A public feed needs no credentials; Basic credentials must open the feed they name."""
        login = login_from(credentials)
        if login is None:
            return
        async with self.client(login.feed, login) as http:
            await self.page(http, login.feed.url, login.feed)

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """The window's entries page by page (a checkpoint after each), then the daily counts."""
        feed = account_feed(account)
        login = login_from(account.credentials)
        if login is not None and login.feed.origin != feed.origin:
            raise AuthenticationError(
                f"feed: the account's credentials were given for another site than its feed ({feed.origin}); "
                "the password is only sent to its own site: update the credentials"
            )
        progress = Progress.resume(state, window, feed)
        visited: set[str] = set()
        complete = False
        async with self.client(feed, login) as http:
            for _ in range(MAX_PAGES):
                visited.add(progress.page_url)
                page = await self.page(http, progress.page_url, feed)
                for post in progress.read(page.posts):
                    yield post
                if page.next_url is None or progress.reached_start or page.next_url in visited:
                    complete = page.complete and page.next_url is None
                    break
                progress.page_url = page.next_url
                yield Checkpoint(state=progress.state())
            else:
                raise BadResponseError(f"feed: {urlsplit(feed.url).path}: more than {MAX_PAGES} pages; stopped")
        now = today()
        for point in progress.points(complete=complete, now=now):
            yield point
        yield Checkpoint(state={"last_day": progress.last_day(now).isoformat()})


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The plugin's one connector."""
    return [FeedConnector]
