"""The pace of each rate-limited network's requests, shared by every worker of the deployment.

A network's quota belongs to the operator's application (`RESONANCE_NETWORK_RATE`, e.g. `instagram=200/1h`),
not to one worker: ten workers each keeping to 200 an hour would spend it ten times over. So a limited network's
requests are admitted in one place, at most one every `period ÷ requests` seconds: an interval of `period`
seconds, wherever it starts, admits at most `requests`. Every attempt of `ConnectorHttp` (retries included) asks
to be admitted (`resonance_sdk.RequestPacer`) when it is about to be sent; one refused is told how long until the
next turn, sleeps, and asks again. A network not named is paced by its own rate-limit headers only, and costs
nothing here.

Admission rather than booking a send time ahead: a worker whose event loop lags (a busy CPU, a model loading)
sends a booked request late, on top of the requests booked after it, and a burst of them would arrive together.
Admitted at the moment of sending, a late request is only ever one request of one worker.

* On PostgreSQL, each limited network's next free turn is a row of `network_request_pacing` (migration 0016),
  read and moved by one `INSERT … ON CONFLICT DO UPDATE` per ask, timed by PostgreSQL's clock so that the
  workers' clocks do not matter. The row lock orders concurrent asks.
* Otherwise (the embedded default: one process) it is a number in memory.

A refused request sleeps until the next turn plus a random part of a tenth of the interval (at most 0.25 s), so
that the waiters of a busy network do not all ask again at the same instant.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from sqlalchemy import text

from tenants.database import Database

MAX_SPREAD_SECONDS = 0.25
"""The most random time added to a refused request's wait (a tenth of the interval when that is less)."""

_ADMIT = text(
    """
    INSERT INTO network_request_pacing AS p (network, next_at, wait_seconds)
    VALUES (:network, clock_timestamp() + make_interval(secs => :interval), 0)
    ON CONFLICT (network) DO UPDATE SET
        wait_seconds = GREATEST(EXTRACT(EPOCH FROM p.next_at - clock_timestamp()), 0),
        next_at = CASE
            WHEN p.next_at <= clock_timestamp() THEN clock_timestamp() + make_interval(secs => :interval)
            ELSE p.next_at
        END
    RETURNING wait_seconds
    """
)
"""One ask: admitted (0) when the network's next free turn has come, which moves it one interval on; else the
seconds until it comes. SET's expressions read the row as it was before the statement. The statement's clock is
`clock_timestamp()`, not the transaction's start (`now()`), which would be stale after waiting for the row."""


class NetworkPacing:
    """Admission of requests to the networks in `rates` ((requests, period in seconds) by network id)."""

    def __init__(
        self,
        database: Database | None,
        rates: Mapping[str, tuple[int, float]],
        *,
        clock: Callable[[], float] = time.monotonic,
        spread: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.database = database if database is not None and database.is_postgres else None
        self.intervals = {network: period / requests for network, (requests, period) in rates.items()}
        """Seconds between two requests of each limited network."""
        self._clock = clock
        self._spread = spread
        self._next_at: dict[str, float] = {}

    def limits(self, network: str) -> bool:
        """Whether the operator limited the request rate of `network`."""
        return network in self.intervals

    async def admit(self, network: str) -> float:
        """0 when a request to `network` may go now, else seconds to sleep; see `resonance_sdk.RequestPacer`."""
        interval = self.intervals.get(network)
        if interval is None:
            return 0.0
        if self.database is None:
            wait = self._admit_here(network, interval)
        else:
            async with self.database.engine.connect() as connection:
                wait = float(await connection.scalar(_ADMIT, {"network": network, "interval": interval}) or 0.0)
                await connection.commit()
        if wait <= 0:
            return 0.0
        return wait + self._spread(0.0, min(interval / 10, MAX_SPREAD_SECONDS))

    def _admit_here(self, network: str, interval: float) -> float:
        now = self._clock()
        next_at = self._next_at.get(network, now)
        if next_at > now:
            return next_at - now
        self._next_at[network] = now + interval
        return 0.0
