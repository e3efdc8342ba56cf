"""Scaled mode's rate-limit store: the per-second counters and the `api_calls` counts in one Redis, shared by every
API process (the algorithm and the meter are described in `api/billing/rate_limits.py`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from api.billing.rate_limits import (
    CALLS_TTL_SECONDS,
    CLOSE_GRACE_SECONDS,
    METER,
    REDIS_CONNECTIONS,
    RateDecision,
    RateLimits,
    minute_key,
    write_calls,
)
from tenants.database import Database

logger = logging.getLogger("resonance.rate_limits")

_HIT_SCRIPT = """
-- ARGV: prefix, tenant, limit (-1: unlimited, counted only), now in seconds ('' = Redis's clock), calls TTL
local prefix, tenant, limit, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])
local now
if ARGV[4] == '' then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
else
  now = tonumber(ARGV[4])
end
local second = math.floor(now)
local minute = math.floor(second / 60)
local function count_call()
  local calls = prefix .. 'calls:' .. minute
  if redis.call('HINCRBY', calls, tenant, 1) == 1 then
    redis.call('EXPIRE', calls, ttl)
    redis.call('ZADD', prefix .. 'calls:pending', minute, minute)
  end
end
if limit < 0 then
  count_call()
  return {1, 0, 0, 0}
end
local window = prefix .. 'window:' .. tenant
local fields = redis.call('HGETALL', window)
local seconds, counts, total = {}, {}, 0
for i = 1, #fields, 2 do
  local counted, count = tonumber(fields[i]), tonumber(fields[i + 1])
  if counted < second - 60 then
    redis.call('HDEL', window, fields[i])
  else
    seconds[#seconds + 1] = counted
    counts[counted] = count
    total = total + count
  end
end
table.sort(seconds)
local function ceil1(value)
  return math.max(math.ceil(value), 1)
end
if total >= limit then
  local retry, freed = 60, 0
  if limit > 0 then
    for _, counted in ipairs(seconds) do
      freed = freed + counts[counted]
      if total - freed < limit then
        retry = ceil1(counted + 61 - now)
        break
      end
    end
  end
  return {0, total, ceil1((seconds[1] or second) + 61 - now), retry}
end
redis.call('HINCRBY', window, second, 1)
redis.call('EXPIRE', window, 62)
count_call()
return {1, total + 1, ceil1((seconds[1] or second) + 61 - now), 0}
"""


class RedisRateLimits(RateLimits):
    """Scaled mode: counters in Redis shared by every API process (one Redis; not written for Redis Cluster)."""

    def __init__(self, url: str, prefix: str = "resonance:", clock: Callable[[], float] | None = None) -> None:
        import redis.asyncio as redis  # only scaled mode needs it

        # A burst of concurrent requests waits for one of the pool's connections rather than failing.
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=REDIS_CONNECTIONS, timeout=5)
        self.redis: Any = redis.Redis(connection_pool=pool)
        self.prefix = prefix
        self.clock = clock
        """None: Redis's own clock (one clock for every process); tests inject their own."""
        self._script = self.redis.register_script(_HIT_SCRIPT)

    def _clock_arg(self) -> str:
        return "" if self.clock is None else repr(self.clock())

    async def hit(self, tenant_id: uuid.UUID, limit: int | None) -> RateDecision | None:
        allowed, used, reset, retry_after = await self._script(
            args=[self.prefix, str(tenant_id), -1 if limit is None else limit, self._clock_arg(), CALLS_TTL_SECONDS]
        )
        if limit is None:
            return None
        return RateDecision(bool(allowed), limit, int(used), int(reset), int(retry_after))

    async def _now(self) -> float:
        if self.clock is not None:
            return self.clock()
        seconds, microseconds = await self.redis.time()
        return float(seconds) + float(microseconds) / 1_000_000

    async def flush(self, database: Database, now: float | None = None, *, final: bool = False) -> int:
        # `final` changes nothing here: the current minute is shared with the other processes and is
        # written by whichever flushes after it is over.
        now = await self._now() if now is None else now
        last_closed = (int(now) - CLOSE_GRACE_SECONDS) // 60 - 1
        pending = self.prefix + "calls:pending"
        written = 0
        for raw in await self.redis.zrangebyscore(pending, "-inf", last_closed):
            minute = int(raw)
            calls = await self.redis.hgetall(f"{self.prefix}calls:{minute}")
            if not calls:
                logger.error("the api_calls counters of %s are gone from Redis; not written", minute_key(minute))
            for tenant, quantity in calls.items():
                tenant_id = uuid.UUID(tenant.decode())
                await write_calls(database, tenant_id, minute, int(quantity), f"{METER}:{minute_key(minute)}")
                written += 1
            await self.redis.zrem(pending, raw)
        return written

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)
