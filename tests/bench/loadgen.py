"""A small HTTP/1.1 load generator, run in its own process: `python -m tests.bench.loadgen '<json options>'`.

Why our own: Debian ships `wrk` (closed loop, used for the throughput figures when installed) but not
`wrk2`, and latency at a *fixed request rate* needs an open-loop client. This one keeps several
keep-alive connections open with raw asyncio protocols (no HTTP library in the hot path, so it costs
the server's core as little as possible) and has three modes:

* `closed`: every connection sends its next request as soon as the previous answer arrived, for
  `duration` seconds (throughput; the fallback when `wrk` is not installed), taking the paths of `urls` in
  turn when given (a read whose answers must not be shared between concurrent requests);
* `open`: requests are due at a fixed `rate` (request i at t0 + i / rate) whatever the server does,
  the wrk2 model. A request that finds every connection busy waits for one, and its latency is
  counted from the moment it was due, so a server that falls behind shows it (no coordinated
  omission). Otherwise latency counts from the moment it was sent, so the ~1 ms granularity of the
  event loop's timers does not count against the server;
  Requests still unanswered `grace` seconds after the end are counted as `unfinished`;
* `sequential`: one connection, `requests` requests one after the other (latency of a lone caller).

It prints one JSON object: requests, errors (non-200 answers), duration, rate, latency percentiles (ms).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import sys
import time
from typing import Any
from urllib.parse import urlsplit


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends the prepared request and waits for the whole answer."""

    def __init__(self, request: bytes) -> None:
        self.request_bytes = request
        self.buffer = bytearray()
        self.expected: int | None = None
        self.status = 0
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.expected is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buffer[:end]).lower()
                self.status = int(head[9:12])
                marker = head.find(b"content-length:")
                if marker < 0:
                    raise RuntimeError("the server answered without Content-Length; this client needs one")
                line_end = head.find(b"\r\n", marker)
                length = int(head[marker + 15 : line_end if line_end >= 0 else len(head)])
                self.expected = end + 4 + length
            if len(self.buffer) < self.expected:
                return
            del self.buffer[: self.expected]
            self.expected = None
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(self.status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("the server closed the connection"))

    async def request(self, request: bytes | None = None) -> int:
        """Send `request` (default: the connection's own) and wait for the whole answer."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request or self.request_bytes)
        return await self.waiter


def _request_bytes(url: str, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connect(url: str, headers: dict[str, str], count: int) -> list[_Connection]:
    host, port, request = _request_bytes(url, headers)
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(count):
        _transport, protocol = await loop.create_connection(lambda: _Connection(request), host, port)
        connections.append(protocol)
    return connections


async def run(options: dict[str, Any]) -> dict[str, Any]:
    mode = options["mode"]
    connections = await _connect(options["url"], options.get("headers", {}), options.get("connections", 1))
    latencies: list[float] = []
    errors = 0
    unfinished = 0  # open mode: requests still unanswered (or never sent) when the grace period ended
    waited = 0  # open mode: requests that found every connection busy
    clock = time.perf_counter
    started = clock()

    if mode == "sequential":
        connection = connections[0]
        for _ in range(int(options["requests"])):
            sent = clock()
            status = await connection.request()
            latencies.append(clock() - sent)
            errors += status != 200
    elif mode == "closed":
        end = started + float(options["duration"])
        # `urls` (optional, same host): the connections take them in turn, so no two requests in flight ask the
        # same thing and a server cannot answer many with one computation.
        targets = itertools.cycle(
            [_request_bytes(url, options.get("headers", {}))[2] for url in options.get("urls", [])] or [None]
        )

        async def loop_on(connection: _Connection) -> None:
            nonlocal errors
            while clock() < end:
                sent = clock()
                status = await connection.request(next(targets))
                latencies.append(clock() - sent)
                errors += status != 200

        await asyncio.gather(*(loop_on(connection) for connection in connections))
    elif mode == "open":
        rate, duration = float(options["rate"]), float(options["duration"])
        hard_stop = started + duration + float(options.get("grace", 10.0))
        idle: asyncio.Queue[_Connection] = asyncio.Queue()
        for connection in connections:
            idle.put_nowait(connection)
        tasks: set[asyncio.Task[None]] = set()

        async def one(connection: _Connection, since: float) -> None:
            nonlocal errors
            status = await connection.request()
            latencies.append(clock() - since)
            errors += status != 200
            idle.put_nowait(connection)

        total = int(rate * duration)
        for index in range(total):
            due = started + index / rate
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if idle.empty():
                waited += 1
                try:
                    connection = await asyncio.wait_for(idle.get(), timeout=max(0.0, hard_stop - clock()))
                except TimeoutError:
                    unfinished += total - index  # the server is so far behind that these were never sent
                    break
                since = due  # the server is behind: the wait for a free connection counts
            else:
                connection = idle.get_nowait()
                since = max(due, clock())  # timer lateness is the client's, not the server's
            task = asyncio.create_task(one(connection, since))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            _done, pending = await asyncio.wait(set(tasks), timeout=max(0.1, hard_stop - clock()))
            for task in pending:
                task.cancel()
            unfinished += len(pending)
    else:
        raise ValueError(f"unknown mode {mode!r}")

    elapsed = clock() - started
    latencies.sort()

    def ms(fraction: float) -> float:
        if not latencies:
            return float("nan")
        rank = max(0, min(len(latencies) - 1, math.ceil(fraction * len(latencies)) - 1))  # nearest rank
        return round(latencies[rank] * 1000, 3)

    result: dict[str, Any] = {
        "mode": mode,
        "requests": len(latencies),
        "errors": errors,
        "duration_s": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": ms(0.50),
        "p90_ms": ms(0.90),
        "p99_ms": ms(0.99),
        "p999_ms": ms(0.999),
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else float("nan"),
    }
    if options.get("raw"):
        result["latencies_ms"] = [round(value * 1000, 3) for value in latencies]
    if mode == "open":
        result["target_rps"] = options["rate"]
        result["waited_for_connection"] = waited
        result["unfinished"] = unfinished
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    return result


def main() -> None:
    options = json.loads(sys.argv[1])
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is installed with uvicorn[standard]
        runner = asyncio.run
    print(json.dumps(runner(run(options))), flush=True)


if __name__ == "__main__":
    main()
