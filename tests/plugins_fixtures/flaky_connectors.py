"""Small connector plugins that misbehave on purpose, for tests of the sync engine and worker.

Register with `load_registry(extra_plugins=[flaky_connectors])`. Every connector declares the same two
native metrics (`fans` → followers, `views` → impressions) and yields one `views` point per day, valued
`100 + day of month`, unless said otherwise.

Module-level state (`STATS`, `GATES`) is shared by every instance; tests reset it with `reset()`.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    Capability,
    Checkpoint,
    Connector,
    Mention,
    MetricDeclaration,
    MetricPoint,
    Post,
    RateLimitedError,
    Record,
    Window,
    hookimpl,
)

METRICS = (
    MetricDeclaration(native="fans", canonical="followers", unit="accounts"),
    MetricDeclaration(native="views", canonical="impressions", unit="views"),
)


def views(day: date) -> float:
    """The `views` value every well-behaved connector here yields for `day`."""
    return float(100 + day.day)


def days_of(window: Window) -> list[date]:
    return [window.since + timedelta(days=n) for n in range((window.until - window.since).days + 1)]


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@dataclass
class Stats:
    """What the counting connector saw: executions per handle and the most fetches at once."""

    executions: Counter[str] = field(default_factory=Counter)
    active: int = 0
    max_active: int = 0


@dataclass
class Gate:
    """Makes the no-checkpoint connector stop after `after` records until the test releases it."""

    after: int
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


STATS = Stats()
GATES: dict[str, Gate] = {}


def reset() -> None:
    """Forget what earlier tests left in the module-level state."""
    STATS.executions.clear()
    STATS.active = STATS.max_active = 0
    GATES.clear()


class _Base(Connector):
    version = "0.0.1"
    metrics = METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions"})

    async def check(self, credentials: Mapping[str, Any]) -> None:
        return None


class CrashingConnector(_Base):
    """Checkpoints `crash_after` days (default 2), yields one more day's point, then raises."""

    id = "flaky_crash"
    name = "Crashes mid-run"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        crash_after = int(account.settings.get("crash_after", 2))
        days = days_of(window)
        for day in days[:crash_after]:
            yield MetricPoint(native_metric="views", day=day, value=views(day))
            yield Checkpoint(state={"last_day": day.isoformat()})
        extra = days[crash_after]
        yield MetricPoint(native_metric="views", day=extra, value=views(extra))
        raise RuntimeError(f"the network went away after {crash_after} day(s)")


class HangingConnector(_Base):
    """Yields one point, then waits forever."""

    id = "flaky_hang"
    name = "Hangs forever"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        yield MetricPoint(native_metric="views", day=window.since, value=views(window.since))
        await asyncio.get_running_loop().create_future()  # never resolved


class InvalidRecordsConnector(_Base):
    """Valid and invalid records mixed; see `INVALID_RECORDS` for what is wrong with which."""

    id = "flaky_invalid"
    name = "Yields invalid records"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        first, second = window.since, window.since + timedelta(days=1)
        # 1: valid
        yield MetricPoint(native_metric="views", day=first, value=views(first))
        # 2: a native metric the connector never declared
        yield MetricPoint(native_metric="page_secret_metric", day=first, value=1.0)
        # 3: not a number
        yield MetricPoint(native_metric="fans", day=first, value=math.nan)
        # 4: a naive datetime
        yield Post(external_id="post-naive", published_at=datetime(first.year, first.month, first.day, 9), text="hi")
        # 5: a mention without text
        yield Mention(external_id="mention-empty", published_at=noon(first), text="")
        # 6: a day outside the window
        outside = window.until + timedelta(days=1)
        yield MetricPoint(native_metric="views", day=outside, value=views(outside))
        # 7, 8, 9: valid
        yield MetricPoint(native_metric="views", day=second, value=views(second))
        yield Post(external_id="post-ok", published_at=noon(first), text="a valid post", metrics={"views": 10.0})
        yield Mention(external_id="mention-ok", published_at=noon(second), text="a valid mention", author="someone")
        # 10: a timestamp given as a string (msgspec does not check types when a struct is built)
        yield Post(external_id="post-string-date", published_at="2026-01-01T09:00:00Z", text="hi")  # type: ignore[arg-type]
        # 11: a kind of mention the SDK does not have
        yield Mention(external_id="mention-retweet", published_at=noon(first), text="rt", kind="retweet")  # type: ignore[arg-type]
        # 12
        yield Checkpoint(state={"last_day": second.isoformat()})


INVALID_RECORDS = {
    2: "native_metric",
    3: "value",
    4: "published_at",
    5: "text",
    6: "day",
    10: "published_at",
    11: "kind",
}
"""Record number (1-based, as the engine counts them) → the field that is wrong."""


class AuthRefusedConnector(_Base):
    """The network refuses the credentials."""

    id = "flaky_auth"
    name = "Refuses credentials"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        raise AuthenticationError(f"the token of {account.handle} has expired")
        yield  # pragma: no cover - makes this an async generator


class RateLimitedConnector(_Base):
    """Yields and checkpoints the first day, then is told to slow down for `retry_after` seconds (default 120)."""

    id = "flaky_ratelimited"
    name = "Rate limited"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        yield MetricPoint(native_metric="views", day=window.since, value=views(window.since))
        yield Checkpoint(state={"last_day": window.since.isoformat()})
        raise RateLimitedError("429 Too Many Requests", retry_after=account.settings.get("retry_after", 120))


class NoCheckpointConnector(_Base):
    """Yields `count` (default 25) points, cycling over both metrics and the window's days, and never a checkpoint.

    When `GATES` holds a gate for the handle, it stops after `gate.after` records until released.
    """

    id = "flaky_nocheckpoint"
    name = "Never checkpoints"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        count = int(account.settings.get("count", 25))
        keys = [(native, day) for day in days_of(window) for native in ("fans", "views")]
        assert count <= len(keys), "the window is too short for that many distinct points"
        gate = GATES.get(account.handle)
        for n, (native, day) in enumerate(keys[:count], start=1):
            yield MetricPoint(native_metric=native, day=day, value=views(day))
            if gate is not None and n == gate.after:
                gate.reached.set()
                await gate.release.wait()


class CountingConnector(_Base):
    """Counts its executions per handle and the most fetches in flight at once; sleeps `delay` s (default 0.2)."""

    id = "flaky_counting"
    name = "Counts executions"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        stats = STATS
        stats.executions[account.handle] += 1
        stats.active += 1
        stats.max_active = max(stats.max_active, stats.active)
        try:
            await asyncio.sleep(float(account.settings.get("delay", 0.2)))
            yield MetricPoint(native_metric="views", day=window.since, value=views(window.since))
            yield Checkpoint(state={"last_day": window.since.isoformat()})
        finally:
            stats.active -= 1


class RevisionConnector(_Base):
    """One point, one post and one mention per day; setting `revision` changes the first day's three records."""

    id = "flaky_revision"
    name = "Revises the first day"

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        revision = int(account.settings.get("revision", 0))
        for day in days_of(window):
            edited = revision if day == window.since else 0
            yield MetricPoint(native_metric="views", day=day, value=views(day) + edited)
            yield Post(
                external_id=f"post-{day}",
                published_at=noon(day),
                text=f"post of {day}" + (f" (edit {edited})" if edited else ""),
                metrics={"views": views(day) + edited},
            )
            yield Mention(
                external_id=f"mention-{day}",
                published_at=noon(day),
                text=f"mention of {day}" + (f" (edit {edited})" if edited else ""),
            )
            yield Checkpoint(state={"last_day": day.isoformat()})


CONNECTORS: list[type[Connector]] = [
    CrashingConnector,
    HangingConnector,
    InvalidRecordsConnector,
    AuthRefusedConnector,
    RateLimitedConnector,
    NoCheckpointConnector,
    CountingConnector,
    RevisionConnector,
]


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The misbehaving connectors of this module."""
    return list(CONNECTORS)
