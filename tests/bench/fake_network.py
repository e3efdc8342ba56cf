"""The fan-out benchmark's make-believe Mastodon instance: every call answered after `LATENCY` seconds.

A bare ASGI app (`uvicorn --factory tests.bench.fake_network:create_app`, in its own process), so that what
one call costs here is the 50 ms sleep and little else: the benchmark measures the workers, not this server.
A public account's sync calls two endpoints (plugins/connectors/mastodon.py):

* `GET /api/v1/accounts/lookup?acct=<user>`: the profile (id, username, followers_count);
* `GET /api/v1/accounts/<id>/statuses?limit=40&exclude_reblogs=true`: one status published today and no
  `Link` header, so the timeline ends after one page.

`GET /_calls` answers at once with how many lookups each account had, so a run can prove that every account
was synced exactly once (a job delivered twice whose claim failed calls nothing); `GET /_times` with the arrival
time (this process's monotonic clock) of every network call, so a run can check a deployment-wide request rate;
`GET /health` too.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

LATENCY = float(os.environ.get("FAKE_NETWORK_LATENCY", "0.05"))
"""Seconds before every network answer (not `/_calls` or `/health`)."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _status(account_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "id": f"{account_id}01",
        "created_at": now,
        "visibility": "public",
        "content": "<p>Fan-out benchmark status</p>",
        "url": f"https://bench.example/@{account_id}/1",
        "favourites_count": 3,
        "reblogs_count": 1,
        "replies_count": 0,
        "tags": [],
        "media_attachments": [],
    }


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    lookups: Counter[str] = Counter()
    arrivals: list[float] = []

    async def answer(send: Send, body: Any, status: int = 200) -> None:
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/health":
            await answer(send, {"ok": True})
            return
        if path == "/_calls":
            await answer(send, dict(lookups))
            return
        if path == "/_times":
            await answer(send, arrivals)
            return
        arrivals.append(time.monotonic())
        await asyncio.sleep(LATENCY)
        if path == "/api/v1/accounts/lookup":
            acct = parse_qs(scope["query_string"].decode()).get("acct", [""])[0]
            lookups[acct] += 1
            await answer(send, {"id": acct, "username": acct, "acct": acct, "followers_count": 1000 + len(acct)})
        elif path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            await answer(send, [_status(path.split("/")[4])])
        else:
            await answer(send, {"error": "Record not found"}, status=404)

    return app
