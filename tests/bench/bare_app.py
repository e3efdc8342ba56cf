"""The yardstick of the read benchmark: a bare Litestar app that answers with a pre-built JSON body.

`uvicorn --factory tests.bench.bare_app:create_app` serves, at the same path as the metrics read,
the very bytes Resonance answered (read from the file named by `RESONANCE_BENCH_BODY`): no
middleware, no authentication, no database, no serialisation. The ratio of Resonance's requests per
second to this app's is what the application itself costs on top of the framework and the server.
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, Response, get

BODY_ENV = "RESONANCE_BENCH_BODY"


def create_app() -> Litestar:
    body = Path(os.environ[BODY_ENV]).read_bytes()

    @get("/v1/metrics")
    async def metrics() -> Response[bytes]:
        return Response(content=body, media_type="application/json")

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[metrics, health], debug=False)
