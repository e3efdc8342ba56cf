"""Per-agency API rate limits by plan, and the `api_calls` meter they feed.

The limit is `api_requests_per_minute` of the agency's plan: all its keys together, every authenticated
request. Two stores give the same answers: `MemoryRateLimits` (embedded mode: one process, no I/O, no
lock, the event loop runs one check at a time) and `RedisRateLimits` (scaled mode, in
`api/billing/redis_rate_limits.py`: every API process shares one Redis and each check is one atomic
Lua script, checking and counting in one round trip, timed by Redis's own clock so that the processes'
clocks do not matter).

Algorithm: a sliding window of per-second counters, read conservatively. Each accepted request is
counted in the counter of its second; a request is accepted when the counters of the current second
and of the 60 seconds before it (61 counters) add up to less than the limit. Those 61 counters cover
the last 60 to 61 seconds, never less than 60, so the requests accepted in any 60 s interval, wherever
it starts, are at most the limit: take the last request accepted in the interval; every other request
of the interval lies in the 60 s before it, all counted when it was checked. GCRA and the
two-window "sliding window counter" were rejected because neither keeps that promise: GCRA with a
burst of `limit` lets `limit` through at once and then the refill, up to 2 x limit - 1 in a minute;
the weighted two-window estimate assumes requests spread evenly over the previous window and lets
more through when they were not. The price of the conservative reading is that a request keeps
counting until the end of the 60th second after its own (60 to 61 s), so `t` in the headers may
say 61. Memory: 61 small integers per agency in a process; a hash of at most 61 fields in Redis.

The `api_calls` meter counts the accepted requests per agency and minute (UTC) and writes them to the
usage ledger (`api.billing.metering`), `occurred_at` the start of the minute, `client_id` None:

* Redis mode: the counter of a minute is shared by every process (incremented by the same script
  that accepted the request). Once the minute is over, any process may write it as
  `api_calls:<YYYY-MM-DDTHH:MM>` with the Redis total: same key, same value, so two processes
  flushing the same minute, or one flushing it twice, count it once. A process that crashes loses
  nothing: the counts are in Redis (kept `CALLS_TTL_SECONDS`), and the minute stays listed as
  pending until a flush has written it, whichever process does it, even after a restart.
* Memory mode: each process counts its own requests and writes them as
  `api_calls:<YYYY-MM-DDTHH:MM>:<process>`, the process name unique to this run of the process (host,
  pid and a random part), so processes never overwrite each other and a repeated flush adds nothing.
  Closed minutes are written every `FLUSH_SECONDS` and whatever remains (the current minute
  included) when the application stops. A process killed without stopping loses the calls it had
  not written yet: at most the current minute and the one before it. Use Redis where that matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from api.billing.metering import record_usage
from tenants.database import Database

logger = logging.getLogger("resonance.rate_limits")

QUOTA: Final = "api_requests_per_minute"
WINDOW_SECONDS: Final = 60
"""The window the limit is promised over: never more than the limit in any 60 s."""
SLOTS: Final = WINDOW_SECONDS + 1
"""Per-second counters read at each check: the current second and the 60 before it."""
METER: Final = "api_calls"
FLUSH_SECONDS: Final = 15.0
"""How often the serving process writes closed minutes of `api_calls` to the ledger."""
CALLS_TTL_SECONDS: Final = 2 * 24 * 3600
"""How long Redis keeps a minute's call counters: a flush may come this late and still count them."""
REDIS_CONNECTIONS: Final = 32
"""Connections to Redis per process; more concurrent checks wait (up to 5 s) for one to be free."""
CLOSE_GRACE_SECONDS: Final = 5
"""A minute is flushed from Redis this long after it ended (a margin should Redis's clock step back)."""


class RateDecision:
    """The answer for one request: accepted or not, and where the agency stands in its window."""

    __slots__ = ("allowed", "limit", "remaining", "reset", "retry_after", "used")

    def __init__(self, allowed: bool, limit: int, used: int, reset: int, retry_after: int) -> None:
        self.allowed = allowed
        self.limit = limit
        self.used = used
        """Requests counted in the window (this one included when accepted)."""
        self.remaining = limit - used if used < limit else 0
        self.reset = reset
        """Seconds until the oldest counted request stops counting (quota comes back then)."""
        self.retry_after = retry_after
        """When refused: whole seconds until a request would be accepted; 0 when accepted."""

    def __repr__(self) -> str:
        return (
            f"RateDecision(allowed={self.allowed}, limit={self.limit}, used={self.used}, reset={self.reset}, "
            f"retry_after={self.retry_after})"
        )


def minute_key(minute: int) -> str:
    """`YYYY-MM-DDTHH:MM` (UTC) of the minute number `minute` (seconds since the epoch // 60)."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M")


def process_name() -> str:
    """A name for this run of this process: host, pid and a random part (a restarted process gets another)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def write_calls(database: Database, tenant_id: uuid.UUID, minute: int, quantity: int, key: str) -> None:
    """Append one agency's calls of one minute to its ledger under `key` (nothing if already there)."""
    async with database.tenant_session(tenant_id) as session:
        await record_usage(
            session,
            meter=METER,
            quantity=quantity,
            key=key,
            occurred_at=datetime.fromtimestamp(minute * 60, UTC),
        )


class RateLimits(ABC):
    """A rate-limit store: checks and counts requests per agency, and flushes the `api_calls` meter."""

    flush_interval: float = FLUSH_SECONDS
    """Seconds between two flushes of `run_forever`."""

    @abstractmethod
    async def hit(self, tenant_id: uuid.UUID, limit: int | None) -> RateDecision | None:
        """Check and count one request of the agency; None when its plan has no limit (still metered)."""

    @abstractmethod
    async def flush(self, database: Database, now: float | None = None, *, final: bool = False) -> int:
        """Write the minutes of calls that are over (every minute when `final`) to the ledger; returns
        how many (agency, minute) entries were written."""

    async def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections."""

    async def run_forever(self, database: Database, stop: asyncio.Event) -> None:
        """Flush every `flush_interval` seconds until `stop` is set, then flush what remains."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.flush_interval)
            final = stop.is_set()
            try:
                await self.flush(database, final=final)
            except Exception:  # the database or Redis may be briefly away: counts stay, the next flush writes them
                logger.exception("could not write the api_calls meter; will retry")
            if final:
                return


def _ceil(value: float) -> int:
    return max(math.ceil(value), 1)


class _Window:
    """One agency's per-second counters (a ring of `SLOTS`) and its calls in the current minute."""

    __slots__ = ("calls", "counts", "minute", "oldest", "second", "total")

    def __init__(self, second: int) -> None:
        self.counts = [0] * SLOTS
        self.total = 0
        self.oldest = second
        """The oldest second with a count (meaningless while `total` is 0)."""
        self.second = second
        self.minute = second // 60
        self.calls = 0


class MemoryRateLimits(RateLimits):
    """Embedded mode: counters in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.time, name: str | None = None) -> None:
        self.clock = clock
        """Seconds since the epoch; tests inject their own to cross windows without sleeping."""
        self.name = name or process_name()
        self._latest = 0.0
        self._windows: dict[int, _Window] = {}
        """By the agency's id as an integer (hashed in C; a UUID's hash is a Python call)."""
        self._pending: dict[tuple[uuid.UUID, int], int] = {}

    def _now(self) -> float:
        now = self.clock()
        if now < self._latest:
            return self._latest
        self._latest = now
        return now

    def _advance(self, tenant_id: uuid.UUID, window: _Window, second: int) -> None:
        counts = window.counts
        if second - window.second >= SLOTS:
            window.counts = [0] * SLOTS
            window.total = 0
        else:
            for passed in range(window.second + 1, second + 1):
                slot = passed % SLOTS
                window.total -= counts[slot]
                counts[slot] = 0
        window.second = second
        if not window.total:
            window.oldest = second
        elif window.oldest < second - WINDOW_SECONDS:
            # Each second is stepped over once as the window slides: constant time per request on average.
            oldest = second - WINDOW_SECONDS
            while not counts[oldest % SLOTS]:
                oldest += 1
            window.oldest = oldest
        minute = second // 60
        if minute != window.minute:
            if window.calls:
                key = (tenant_id, window.minute)
                self._pending[key] = self._pending.get(key, 0) + window.calls
                window.calls = 0
            window.minute = minute

    async def hit(self, tenant_id: uuid.UUID, limit: int | None) -> RateDecision | None:
        used = self.try_hit(tenant_id, limit)
        if used is None or limit is None:
            return None
        return self.decision(tenant_id, limit, accepted=bool(used))

    def try_hit(self, tenant_id: uuid.UUID, limit: int | None) -> int | None:
        """Check and count one request, without I/O: once accepted, the requests counted in the window, this one
        included (1 or more); 0 when refused (nothing counted); None when `limit` is None (counted, nothing to
        check). `decision` then tells the rest (reset, retry after)."""
        # The hot path of every request (the cached-read fast path included): a few operations, no call or object
        # that can be avoided.
        now = self.clock()
        if now < self._latest:
            now = self._latest  # never backwards (a clock stepped back by NTP): a closed minute stays closed
        else:
            self._latest = now
        second = int(now)
        window = self._windows.get(tenant_id.int)
        if window is None:
            window = self._windows[tenant_id.int] = _Window(second)
        elif second != window.second:
            self._advance(tenant_id, window, second)
        if limit is None:
            window.calls += 1
            return None
        total = window.total
        if total >= limit:
            return 0
        window.counts[second % SLOTS] += 1
        window.total = total = total + 1
        window.calls += 1
        return total

    def decision(self, tenant_id: uuid.UUID, limit: int, *, accepted: bool) -> RateDecision:
        """Where the agency stands after its `try_hit`, which was `accepted` or not; call it right after, with no
        await between (it reads the window at the store's latest clock reading)."""
        now = self._latest
        window = self._windows[tenant_id.int]
        if not accepted:
            return self._refused(window, limit, now, int(now))
        # > 0: the oldest counted second is at most 60 s before this one
        return RateDecision(True, limit, window.total, math.ceil(window.oldest + SLOTS - now), 0)

    @staticmethod
    def _refused(window: _Window, limit: int, now: float, second: int) -> RateDecision:
        counts = window.counts
        oldest = None
        retry_after = WINDOW_SECONDS  # a limit of 0 never frees anything
        freed = 0
        for counted in range(second - WINDOW_SECONDS, second + 1):
            count = counts[counted % SLOTS]
            if not count:
                continue
            if oldest is None:
                oldest = counted
            freed += count
            if limit and window.total - freed < limit:
                retry_after = _ceil(counted + SLOTS - now)
                break
        reset = _ceil((oldest if oldest is not None else second) + SLOTS - now)
        return RateDecision(False, limit, window.total, reset, retry_after)

    def _take(self, minute_now: int, final: bool) -> dict[tuple[uuid.UUID, int], int]:
        """Move the calls of minutes that are over (all when `final`) out of the windows, synchronously."""
        for number, window in list(self._windows.items()):
            if window.calls and (final or window.minute < minute_now):
                key = (uuid.UUID(int=number), window.minute)
                self._pending[key] = self._pending.get(key, 0) + window.calls
                window.calls = 0
            if not window.calls and minute_now * 60 - window.second > SLOTS:
                del self._windows[number]  # idle for over a window: nothing in it counts any more
        taken, self._pending = self._pending, {}
        return taken

    async def flush(self, database: Database, now: float | None = None, *, final: bool = False) -> int:
        taken = self._take(int(self._now() if now is None else now) // 60, final)
        written = 0
        for (tenant_id, minute), quantity in taken.items():
            try:
                await write_calls(database, tenant_id, minute, quantity, f"{METER}:{minute_key(minute)}:{self.name}")
            except BaseException:
                # Keep what was not written for the next flush (a written entry would be skipped by its key).
                for key in list(taken)[written:]:
                    self._pending[key] = self._pending.get(key, 0) + taken[key]
                raise
            written += 1
        return written


def rate_limits_store(redis_url: str, prefix: str = "resonance:") -> RateLimits:
    """Redis when a URL is given (scaled mode), else this process's memory (embedded mode)."""
    if not redis_url:
        return MemoryRateLimits()
    from api.billing.redis_rate_limits import RedisRateLimits  # here: that module builds on this one

    return RedisRateLimits(redis_url, prefix)
