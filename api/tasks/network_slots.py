"""At most so many syncs of one network at once, across every worker of the deployment.

A network's quota is per application (one set of OAuth credentials for the whole service), not per worker: ten
workers each running eight Instagram syncs would spend it ten times faster than one. Each running sync holds a
slot of its network; a sync that finds none free waits in the queue a little and tries again.

On PostgreSQL a slot is a session advisory lock (`pg_try_advisory_lock`) held on a connection of its own for the
length of the sync, so a worker that dies releases its slots with its connections, at once. In one process (the
embedded default) a slot is a counter.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Mapping

from sqlalchemy import text

from tenants.database import Database

LOCK_SPACE = 0x52534E  # "RSN": the first key of every slot lock, so that no other advisory lock collides


def slot_lock_key(network: str, slot: int) -> int:
    """The second key of a slot's advisory lock: a signed 32-bit hash of the network and the slot's number."""
    key = zlib.crc32(f"{network}#{slot}".encode())
    return key - (1 << 32) if key >= 1 << 31 else key


class NetworkSlots:
    """Slots per network: `limits` by network id, `default` for the others."""

    def __init__(self, database: Database, limits: Mapping[str, int], default: int) -> None:
        self.database = database
        self.limits = dict(limits)
        self.default = default
        self._held: dict[str, int] = {}

    def limit(self, network: str) -> int:
        return self.limits.get(network, self.default)

    @contextlib.asynccontextmanager
    async def hold(self, network: str) -> AsyncIterator[bool]:
        """Hold a free slot of `network` for the block: True, or False when all are taken (nothing held)."""
        if not self.database.is_postgres:
            if self._held.get(network, 0) >= self.limit(network):
                yield False
                return
            self._held[network] = self._held.get(network, 0) + 1
            try:
                yield True
            finally:
                self._held[network] -= 1
            return
        async with self.database.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for slot in range(self.limit(network)):
                key = slot_lock_key(network, slot)
                taken = await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:space, :key)"), {"space": LOCK_SPACE, "key": key}
                )
                if taken:
                    break
            else:
                yield False
                return
            try:
                yield True
            finally:
                try:  # unlocked explicitly: the connection goes back to the pool, which keeps it open
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:space, :key)"), {"space": LOCK_SPACE, "key": key}
                    )
                except BaseException:  # not unlocked (cancelled, connection lost): never pool it with the lock
                    await connection.invalidate()
                    raise
