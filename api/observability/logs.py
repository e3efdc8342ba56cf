"""Request ids and structured JSON logs."""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import sys
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ID_PREFIX = secrets.token_hex(8)
_id_counter = itertools.count(1)
access_logger = logging.getLogger("resonance.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """One line a person reads in a terminal: time, level, logger, message, then the `extra` fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        line = (
            f"{self.formatTime(record, '%H:%M:%S')} {record.levelname.lower():<7} {record.name}: {record.getMessage()}"
        )
        line = f"{line}  {fields}" if fields else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_TERMINAL_ONLY = {"color_message"}  # uvicorn's copy of the message with colour codes, for its own console handler


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra` fields a log call added to the record (request id, status…)."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and key not in _TERMINAL_ONLY and not key.startswith("_")
    }


def configure_logging(level: str, log_format: str = "auto") -> None:
    """Send every log record to stderr: JSON lines, or readable lines when `log_format` says so (`auto`: readable
    when stderr is a terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    readable = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    handler.setFormatter(ConsoleFormatter() if readable else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True


def new_request_id() -> str:
    """A process-unique id: a random prefix drawn at start-up and a counter (no system call per request)."""
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def ensure_request_id(scope: Any) -> str:
    """The request's id, made now if it has none: the caller's `X-Request-ID` if sane, else a new one."""
    state = scope.setdefault("state", {})
    if not state.get("request_id"):
        incoming = dict(scope.get("headers", [])).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        state["request_id"] = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
    return str(state["request_id"])


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id and note when it started."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) == "http":
            ensure_request_id(scope)
            scope["state"]["started"] = time.perf_counter()
        await app(scope, receive, send)

    return middleware


async def echo_request_id(message: Message, scope: Scope) -> None:
    """`before_send` hook: echo the request id and log the request, error responses included.

    A hook rather than middleware because it also sees the responses Litestar builds for errors
    raised in middleware (such as a refused API key), which bypass the middleware stack.
    """
    if message["type"] != "http.response.start":
        return
    state = scope.get("state", {})
    request_id = state.get("request_id")
    if request_id:
        headers = list(message.get("headers", []))
        headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
        message["headers"] = headers
    log_access(scope, message["status"])


def log_access(scope: Scope, status: int) -> None:
    """One access-log line for the request (at INFO, with its id and duration)."""
    if access_logger.isEnabledFor(logging.INFO):
        state = scope.get("state", {})
        started = state.get("started", time.perf_counter())
        access_logger.info(
            "%s %s %d",
            scope.get("method"),
            scope.get("path"),
            status,
            extra={
                "request_id": state.get("request_id"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
