"""The metrics endpoint: `GET /metrics` and `GET /health` on a port of their own, never the API's.

Metrics say how busy each route is and how far billing lags; they are for the platform's Prometheus, not for
the internet, so they are served on `RESONANCE_METRICS_PORT` (default 9100), which a deployment keeps inside
the cluster, and the public API answers 404 for `/metrics`.

The server runs on the process's own event loop: a `/health` answer proves the loop is alive (a loop stuck in
a blocking call answers nothing, which is what a liveness probe should see). `ready` lets a worker say its job
loop has stopped (503). A scrape is built in a thread, since in multiprocess mode it reads every process's files.

With `PROMETHEUS_MULTIPROC_DIR` set, every process of `resonance serve --workers N` binds the port with
SO_REUSEPORT and any of them answers with the totals of all. Without it only the first process gets the port;
the others log a warning and serve no metrics (their counts would be theirs alone), never failing to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import mark_process_dead

from api.observability import metrics
from tenants.settings import Settings

logger = logging.getLogger("resonance.metrics")

_MAX_REQUEST_HEAD = 8192
_ANSWER_SECONDS = 10.0
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the endpoint is scraped from inside the cluster


class MetricsEndpoint:
    """A started metrics server; `port` is the one bound (useful when asked for port 0)."""

    def __init__(self, server: asyncio.Server) -> None:
        self._server = server
        self.port: int = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        await self._server.wait_closed()


async def start_metrics_endpoint(
    port: int,
    *,
    host: str = ALL_INTERFACES,
    ready: Callable[[], bool] | None = None,
) -> MetricsEndpoint | None:
    """Serve `/metrics` and `/health` on `host:port` (0: a free port); None when the port is taken by another
    process (logged), so a second server process never fails to start over its metrics."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_ANSWER_SECONDS):  # a client that sends nothing does not hold a task forever
                await _answer(reader, writer, ready)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            # The scraper went away, never asked, or sent a head too large: nobody is left to answer.
            logger.debug("metrics endpoint: dropped a connection (%s)", type(error).__name__)
        except Exception:
            logger.exception("the metrics endpoint could not answer")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    shared = metrics.multiprocess_dir() is not None and hasattr(socket, "SO_REUSEPORT")
    try:
        server = await asyncio.start_server(handle, host, port, reuse_port=shared, limit=_MAX_REQUEST_HEAD)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        logger.warning(
            "metrics port %d is in use; this process serves no metrics (with several server processes, set "
            "PROMETHEUS_MULTIPROC_DIR so that any of them answers for all)",
            port,
        )
        return None
    endpoint = MetricsEndpoint(server)
    logger.info("metrics on http://%s:%d/metrics", host, endpoint.port)
    return endpoint


@contextlib.asynccontextmanager
async def metrics_endpoint(
    port: int | None,
    *,
    host: str = ALL_INTERFACES,
    ready: Callable[[], bool] | None = None,
) -> AsyncIterator[MetricsEndpoint | None]:
    """The metrics server for the duration of the block (`port` None: none; 0: any free port). On the way out, in
    multiprocess mode, this process's live gauges (jobs in progress) are retired."""
    endpoint = None if port is None else await start_metrics_endpoint(port, host=host, ready=ready)
    try:
        yield endpoint
    finally:
        if endpoint is not None:
            await endpoint.close()
        if metrics.multiprocess_dir() is not None:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def metrics_endpoint_for(
    settings: Settings, *, ready: Callable[[], bool] | None = None
) -> contextlib.AbstractAsyncContextManager[MetricsEndpoint | None]:
    """`metrics_endpoint` on `RESONANCE_METRICS_HOST:RESONANCE_METRICS_PORT` (port 0: off)."""
    return metrics_endpoint(settings.metrics_port or None, host=settings.metrics_host, ready=ready)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ready: Callable[[], bool] | None) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
    path = rest.split(" ", 1)[0].split("?", 1)[0]
    if method not in {"GET", "HEAD"}:
        status, content_type, body = 405, "text/plain; charset=utf-8", b"method not allowed\n"
    elif path == "/metrics":
        body = await asyncio.to_thread(generate_latest, metrics.scrape_registry())
        status, content_type = 200, CONTENT_TYPE_LATEST
    elif path == "/health":
        alive = ready() if ready is not None else True
        status, content_type = (200, "application/json") if alive else (503, "application/json")
        body = json.dumps({"status": "ok" if alive else "stopped"}).encode()
    else:
        status, content_type, body = 404, "text/plain; charset=utf-8", b"not found: try /metrics or /health\n"
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n".encode("latin-1")
    )
    if method != "HEAD":
        writer.write(body)
    await writer.drain()
