"""Slowing down password guessing and mail bombing: failed sign-ins, and e-mailed links asked for, counted per
account and per client address.

After `free` failures in a row a key must wait before its next try, twice as long after each further failure,
up to `longest` seconds; a key forgets its failures `forget` seconds after the last one, and a successful
sign-in clears the account's count (not the address's: one address may try many accounts). The account is
keyed by the address typed in the form whether or not such a member exists, so the wait never tells a
stranger which addresses have an account.

The same counter limits the links sent by e-mail (sign-in links, new passwords), each request counting as one
"failure" under `LINK_LIMITS`: a few e-mails to one address, then fewer and fewer, so nobody can fill a member's
inbox through the form, nor send thousands of e-mails from one address.

Embedded mode keeps the counts in this process's memory; scaled mode (RESONANCE_REDIS_URL) in Redis, shared by
every process and updated atomically.
"""

from __future__ import annotations

import hashlib
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class Limit:
    free: int  # failures allowed before any wait
    first_wait: float  # seconds of the first wait, doubled after each further failure
    longest: float  # seconds: the longest wait
    forget: float  # seconds after the last failure when the count starts again from nothing

    def wait(self, failures: int, last: float, now: float) -> int:
        """Whole seconds still to wait before the next try (0: it may try now)."""
        if failures < self.free or now - last >= self.forget:
            return 0
        delay = min(self.first_wait * 2.0 ** (failures - self.free), self.longest)
        return max(0, math.ceil(last + delay - now))


LIMITS = {
    # One person mistyping gets five tries, then 30 s, 1 min, 2 min... up to 15 minutes.
    ACCOUNT: Limit(free=5, first_wait=30, longest=900, forget=3600),
    # An address is shared by an office behind one NAT: more tries, the same ceiling.
    ADDRESS: Limit(free=30, first_wait=30, longest=900, forget=3600),
}

LINK_LIMITS = {
    # Three e-mails to one address within the hour, then one after 5 min, 10 min... (at most one an hour).
    ACCOUNT: Limit(free=3, first_wait=300, longest=3600, forget=3600),
    # Twenty e-mails asked from one address (an office's NAT) within the hour, then the same slowing down.
    ADDRESS: Limit(free=20, first_wait=300, longest=3600, forget=3600),
}
SIGN_IN = "sign-in"
EMAIL_LINK = "email-link"


def throttle_keys(email: str, address: str | None) -> dict[str, str]:
    """The keys of one attempt; the account's is a digest, so no address is kept in memory or in Redis."""
    account = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    keys = {ACCOUNT: account}
    if address:
        keys[ADDRESS] = address
    return keys


class SignInThrottle(ABC):
    """Counts failed sign-ins; `wait` says how long an attempt with these keys must wait."""

    def __init__(self, limits: dict[str, Limit] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits or LIMITS
        self.clock = clock

    async def wait(self, keys: dict[str, str]) -> int:
        now = self.clock()
        counts = await self._read(keys.items())
        return max((self.limits[kind].wait(failures, last, now) for kind, (failures, last) in counts), default=0)

    @abstractmethod
    async def _read(self, keys: Iterable[tuple[str, str]]) -> list[tuple[str, tuple[int, float]]]:
        """(kind, (failures, time of the last failure)) of each key."""

    @abstractmethod
    async def failed(self, keys: dict[str, str]) -> None:
        """Count one more failure for every key."""

    @abstractmethod
    async def succeeded(self, keys: dict[str, str]) -> None:
        """Forget the account's failures."""

    async def close(self) -> None:  # noqa: B027 - the memory store holds nothing to release
        """Release connections."""


class MemorySignInThrottle(SignInThrottle):
    """Embedded mode: one process's counts."""

    SWEEP_EVERY = 1000

    def __init__(self, limits: dict[str, Limit] | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(limits, clock)
        self._counts: dict[tuple[str, str], tuple[int, float]] = {}
        self._writes = 0

    async def _read(self, keys: Iterable[tuple[str, str]]) -> list[tuple[str, tuple[int, float]]]:
        return [(kind, self._counts.get((kind, key), (0, 0.0))) for kind, key in keys]

    async def failed(self, keys: dict[str, str]) -> None:
        now = self.clock()
        for kind, key in keys.items():
            failures, last = self._counts.get((kind, key), (0, 0.0))
            if now - last >= self.limits[kind].forget:
                failures = 0
            self._counts[(kind, key)] = (failures + 1, now)
        self._writes += 1
        if self._writes % self.SWEEP_EVERY == 0:  # many addresses tried once each must not grow memory forever
            self._counts = {
                name: (failures, last)
                for name, (failures, last) in self._counts.items()
                if now - last < self.limits[name[0]].forget
            }

    async def succeeded(self, keys: dict[str, str]) -> None:
        self._counts.pop((ACCOUNT, keys[ACCOUNT]), None)


# KEYS[1]: the key's hash; ARGV: now, forget (seconds). The count restarts once `forget` has passed.
_FAIL_SCRIPT = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now = tonumber(ARGV[1])
if now - last >= tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'failures', 0) end
redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
return 1
"""


class RedisSignInThrottle(SignInThrottle):
    """Scaled mode: counts in Redis under `<prefix><scope>:<kind>:<key>` (scope: sign-in or email-link), one atomic
    script per failure."""

    def __init__(
        self,
        url: str,
        prefix: str = "resonance:",
        limits: dict[str, Limit] | None = None,
        clock: Callable[[], float] = time.time,
        scope: str = SIGN_IN,
    ) -> None:
        super().__init__(limits, clock)
        import redis.asyncio as redis  # only scaled mode needs it

        self.redis: Any = redis.Redis.from_url(url)
        self.prefix = prefix
        self.scope = scope
        self._fail = self.redis.register_script(_FAIL_SCRIPT)

    def _name(self, kind: str, key: str) -> str:
        return f"{self.prefix}{self.scope}:{kind}:{key}"

    async def _read(self, keys: Iterable[tuple[str, str]]) -> list[tuple[str, tuple[int, float]]]:
        counts = []
        for kind, key in keys:
            failures, last = await self.redis.hmget(self._name(kind, key), "failures", "last")
            counts.append((kind, (int(failures or 0), float(last or 0))))
        return counts

    async def failed(self, keys: dict[str, str]) -> None:
        now = repr(self.clock())
        for kind, key in keys.items():
            await self._fail(keys=[self._name(kind, key)], args=[now, self.limits[kind].forget])

    async def succeeded(self, keys: dict[str, str]) -> None:
        await self.redis.delete(self._name(ACCOUNT, keys[ACCOUNT]))

    async def close(self) -> None:
        await self.redis.aclose()


def sign_in_throttle(redis_url: str, prefix: str = "resonance:") -> SignInThrottle:
    """Failed sign-ins: in Redis when a URL is given (scaled mode), else in this process's memory (embedded)."""
    return RedisSignInThrottle(redis_url, prefix) if redis_url else MemorySignInThrottle()


def email_link_throttle(redis_url: str, prefix: str = "resonance:") -> SignInThrottle:
    """Links asked for by e-mail, with `LINK_LIMITS`: in Redis in scaled mode, else in this process's memory."""
    if redis_url:
        return RedisSignInThrottle(redis_url, prefix, LINK_LIMITS, scope=EMAIL_LINK)
    return MemorySignInThrottle(LINK_LIMITS)
