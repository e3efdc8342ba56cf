"""`resonance worker` as the fault test runs it: loaded first, started on a line on stdin, and observed.

Two test-only changes are made before the real CLI starts, nothing else:

- Sync runs are taken over when their heartbeat is older than FAULT_STALE_SECONDS instead of five minutes
  (`SyncWorker`'s `stale_after`, which the CLI does not expose), so that a killed worker's runs are found again
  by the dispatch within seconds, exactly as they would be minutes later in production.
- Every execution of a sync appends `start <pid> <run>` when it begins (`SyncEngine.execute`) and
  `end <pid> <run> <status>` as soon as its end is committed (`SyncEngine._finish`, before the after-run hook)
  to the file FAULT_EXECUTIONS (one `write` per line on an O_APPEND descriptor: lines never interleave), so the
  test can count how often each run was started and completed, and which process did it; and `ready <pid>` once
  the worker stops gracefully on SIGTERM (before, SIGTERM kills a process still starting).

Loading happens before the go so that a spare worker is ready when the test kills one.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import timedelta
from typing import Any


def main() -> None:
    import api.app  # imported before the go: the heavy part of starting
    import api.cli
    from api.cli import server
    from api.sync.engine import SyncEngine
    from api.sync.worker import SyncWorker
    from plugins.registry import load_registry

    load_registry()
    defaults = SyncWorker.__init__.__kwdefaults__
    assert defaults is not None
    assert "stale_after" in defaults
    defaults["stale_after"] = timedelta(seconds=float(os.environ["FAULT_STALE_SECONDS"]))

    log = os.open(os.environ["FAULT_EXECUTIONS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    execute, finish = SyncEngine.execute, SyncEngine._finish
    pid = os.getpid()

    async def started(self: SyncEngine, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
        os.write(log, f"start {pid} {run_id}\n".encode())
        return await execute(self, tenant_id, run_id)

    async def finished(self: SyncEngine, context: Any, *args: Any) -> str:
        status = await finish(self, context, *args)
        os.write(log, f"end {pid} {context.run_id} {status}\n".encode())
        return status

    SyncEngine.execute = started  # type: ignore[method-assign]
    SyncEngine._finish = finished  # type: ignore[method-assign]

    install = server._stop_on_signals

    def stop_on_signals() -> asyncio.Event:
        stop = install()
        os.write(log, f"ready {pid}\n".encode())
        return stop

    server._stop_on_signals = stop_on_signals
    sys.stdin.readline()
    sys.argv = ["resonance", "worker"]
    api.cli.main()


if __name__ == "__main__":
    main()
