"""At most so many syncs of one network at once, across every worker of the deployment.

A network's quota is per application (one set of OAuth credentials for the whole service), not per worker: ten
workers each running eight Instagram syncs would spend it ten times faster than one. Each running sync holds a
slot of its network; a sync that finds none free waits in the queue a little and tries again.

On PostgreSQL a slot is a session advisory lock (`pg_try_advisory_lock`). Each process holds all of its slots on
one connection of its own, so a running sync costs no extra connection, and a worker that dies releases its slots
with that connection, at once. In one process (the embedded default) a slot is a counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator, Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenants.database import Database

logger = logging.getLogger("resonance.tasks")

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
        self._mine: dict[str, set[int]] = {}
        """The slots this process holds on `_connection`, by network (a session may take one lock twice)."""
        self._connection: AsyncConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

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
        slot = await self._take(network)
        if slot is None:
            yield False
            return
        try:
            yield True
        finally:
            await self._give_back(network, slot)

    async def _take(self, network: str) -> int | None:
        async with self._guard():
            connection = await self._lock_connection()
            mine = self._mine.setdefault(network, set())
            for slot in range(self.limit(network)):
                if slot in mine:
                    continue
                key = slot_lock_key(network, slot)
                if await connection.scalar(_TRY_LOCK, {"space": LOCK_SPACE, "key": key}):
                    mine.add(slot)
                    return slot
            return None

    async def _give_back(self, network: str, slot: int) -> None:
        async with self._guard():
            self._mine.get(network, set()).discard(slot)
            connection = self._connection
            if connection is None or connection.invalidated or connection.closed:  # its locks went with it
                self._forget()
                return
            try:
                await connection.execute(_UNLOCK, {"space": LOCK_SPACE, "key": slot_lock_key(network, slot)})
            except Exception:  # the connection lost (PostgreSQL restarted): its locks went with it
                logger.warning("lost the connection holding the network slots; they are free again", exc_info=True)
                self._forget()
                await connection.invalidate()
            except BaseException:  # cancelled while unlocking: drop the connection, and so the lock
                self._forget()
                await connection.invalidate()
                raise

    def _guard(self) -> asyncio.Lock:
        """One slot change at a time on the connection (created per event loop, as the connection is)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            if self._connection is not None and self._loop is not loop:
                self._forget()  # opened on another loop (a test client's lifespan after another's): left behind
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def _lock_connection(self) -> AsyncConnection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._forget()
            connection = await self.database.engine.connect()
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def _forget(self) -> None:
        self._connection = None
        self._mine.clear()

    async def close(self) -> None:
        """Release every slot this process holds (its connection closes)."""
        if self._connection is not None and self._loop is asyncio.get_running_loop():
            await self._connection.close()
        self._forget()


_TRY_LOCK = text("SELECT pg_try_advisory_lock(:space, :key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:space, :key)")
