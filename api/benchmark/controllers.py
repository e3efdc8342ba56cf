"""Reading a client's benchmark: its accounts against its competitors', share of voice, rank among peers."""

from __future__ import annotations

import uuid

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.benchmark.schemas import BenchmarkOut
from api.benchmark.service import DEFAULT_DAYS, read_benchmark
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.metrics.window import AskedDays
from api.parameters import local_days


class BenchmarkController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["analytics"]

    @get(
        "/v1/clients/{client_id:uuid}/benchmark",
        guards=[require("read")],
        summary="Benchmark a client",
        dependencies={"days": local_days(DEFAULT_DAYS)},
    )
    async def read_benchmark(
        self, client_id: uuid.UUID, session: AsyncSession, principal: Principal, days: AskedDays
    ) -> BenchmarkOut:
        """The client's owned accounts against its competitor accounts (audience, growth, engagement rate,
        cadence, per account and per side), share of voice per network and in total, and the client's
        anonymised percentile among the agency's clients of the same industry; `definitions` states each formula."""
        return await read_benchmark(session, principal, client_id, days)
