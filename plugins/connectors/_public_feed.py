"""Shared by the Mastodon and Bluesky connectors: daily metrics derived from a public feed of posts.

Neither network keeps any history. A post's favourites/likes, boosts/reposts and replies are the totals as
of the fetch, and so is the account's follower count. Both connectors therefore

* yield the follower count as a snapshot for the day of the fetch (UTC), when that day is in the window;
* add each post's current counters to the day it was published (UTC) and yield those sums, and the number
  of posts, for every day of the window up to the fetch day, flagged "estimated": a post published on the
  3rd and favourited on the 9th counts on the 3rd, and a re-fetch later gives larger numbers;
* resume a crashed run from a checkpoint carrying the feed's cursor and the sums so far (`Progress`).

A checkpoint's state always has `last_day`, which the sync engine reads to pick the next default window:
mid-run it is the window's first day (so a resumed run gets the same window and the `resume` part
applies); at the end it is the last day fetched.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from plugins.sdk import (
    BadResponseError,
    Checkpoint,
    Connector,
    ConnectorHttp,
    DailySums,
    MetricPoint,
    Quality,
    Window,
    resume_checkpoint,
    resume_state,
)

STAGE_POSTS = "posts"
STAGE_MENTIONS = "mentions"
_STAGES = (STAGE_POSTS, STAGE_MENTIONS)


def http_for(connector: Connector, base_url: str | None, **options: Any) -> ConnectorHttp:
    """`connector.http()` aimed at a host chosen per account (a Mastodon instance, a Bluesky PDS).

    The account's own host is the declared host for that account. An operator's or a test's base-URL
    override replaces it, exactly as it replaces the connector's other hosts.
    """
    if base_url is None or connector.base_url != connector.default_base_url:
        return connector.http(**options)
    scoped = copy.copy(connector)
    scoped.base_url = base_url.rstrip("/")
    return scoped.http(**options)


def window_start(window: Window) -> datetime:
    """Midnight UTC at the start of the window's first day."""
    return datetime.combine(window.since, time(), UTC)


def in_window(moment: datetime, window: Window) -> bool:
    """Whether `moment` falls on a day (UTC) of the window."""
    return window.since <= moment.astimezone(UTC).date() <= window.until


def day_after(day: date) -> date:
    """The next day."""
    return day + timedelta(days=1)


def parse_time(value: Any, network: str, what: str) -> datetime:
    """A timezone-aware datetime from an ISO 8601 string (UTC when the network omitted the offset)."""
    if not isinstance(value, str):
        raise BadResponseError(f"{network}: {what} is missing or not a string (got {type(value).__name__})")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadResponseError(f"{network}: {what} is not an ISO 8601 datetime: {value[:40]!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def counter(item: Mapping[str, Any], key: str, network: str, what: str) -> float:
    """A non-negative count from `item[key]`; 0 when the network left it out."""
    value = item.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BadResponseError(f"{network}: {what}.{key} is not a count: {value!r}")
    return float(value)


def require_dict(value: Any, network: str, what: str) -> dict[str, Any]:
    """`value` when it is a JSON object; `BadResponseError` naming the network otherwise."""
    if not isinstance(value, dict):
        raise BadResponseError(f"{network}: {what} is not a JSON object (got {type(value).__name__})")
    return value


def require_list(value: Any, network: str, what: str) -> list[Any]:
    """`value` when it is a JSON array; `BadResponseError` naming the network otherwise."""
    if not isinstance(value, list):
        raise BadResponseError(f"{network}: {what} is not a JSON array (got {type(value).__name__})")
    return value


@dataclass
class FeedPage:
    """One page of a newest-first feed (statuses, notifications, an author feed, search results), and what
    decides whether the next page is read: this one had items, a position for the next, and, when `start`
    is given, nothing older than it (the rest of the feed is older still)."""

    items: list[Any]
    following: str | None
    """Where the next page is: a cursor, or a next link."""
    start: datetime | None = None
    oldest: datetime | None = None

    def saw(self, moment: datetime) -> None:
        """Note the time of one of the page's items, kept or not."""
        self.oldest = moment if self.oldest is None else min(self.oldest, moment)

    def more(self) -> bool:
        """Whether the next page is worth reading."""
        reached_start = self.start is not None and self.oldest is not None and self.oldest < self.start
        return bool(self.items) and bool(self.following) and not reached_start


@dataclass
class Progress:
    """Where a fetch is: the stage, the feed cursor, the account resolved at the start, the day sums."""

    window: Window
    stage: str = STAGE_POSTS
    cursor: str | None = None
    subject: str | None = None
    """The network's id of the account (Mastodon account id, Bluesky DID), resolved once per run."""
    days: DailySums = field(default_factory=DailySums)

    @classmethod
    def resume(cls, state: Mapping[str, Any], window: Window) -> Progress | None:
        """The progress a checkpoint recorded for this very window; None to start afresh."""
        saved = resume_state(state, window)
        if saved is None:
            return None
        stage, cursor, subject, days = saved.get("stage"), saved.get("cursor"), saved.get("subject"), saved.get("days")
        if (
            stage not in _STAGES
            or not isinstance(subject, str)
            or not (cursor is None or isinstance(cursor, str))
            or not isinstance(days, dict)
        ):
            return None  # an unreadable checkpoint costs a re-fetch, which yields identical records
        sums: dict[str, dict[str, float]] = {}
        for day, values in days.items():
            if not isinstance(day, str) or not isinstance(values, dict):
                return None
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()):
                return None
            sums[day] = {str(native): float(value) for native, value in values.items()}
        return cls(window=window, stage=stage, cursor=cursor, subject=subject, days=DailySums(sums))

    def checkpoint(self) -> Checkpoint:
        """A checkpoint from which a new run over the same window yields exactly the records still to come."""
        return resume_checkpoint(
            self.window,
            {"stage": self.stage, "cursor": self.cursor, "subject": self.subject, "days": self.days.state()},
            last_day=self.window.since,
        )

    def finished(self, today: date) -> Checkpoint:
        """The last checkpoint of a run: the next default window starts on the last day fetched."""
        last = max(self.window.since, min(self.window.until, today))
        return Checkpoint(state={"last_day": last.isoformat()})

    def add(self, day: date, counters: Mapping[str, float]) -> None:
        """Add one post's counters to the day it was published."""
        self.days.add(day, counters)

    def next_stage(self, stage: str) -> None:
        """Move on to `stage`, from its first page."""
        self.stage, self.cursor, self.days = stage, None, DailySums()

    def points(self, natives: Sequence[str], today: date, quality: Quality) -> Iterator[MetricPoint]:
        """The day sums as metric points, zeros included, for each day of the window up to `today`."""
        return self.days.points(natives, self.window, quality, through=today)
