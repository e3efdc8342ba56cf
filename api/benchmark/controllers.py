"""Reading a client's benchmark: its accounts against its competitors', share of voice, rank among peers."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.benchmark.schemas import BenchmarkOut
from api.benchmark.service import DEFAULT_DAYS, read_benchmark
from api.client_analysis import ClientAnalysis, analysis
from api.metrics.window import AskedDays
from api.parameters import local_days


class BenchmarkController(ClientAnalysis):
    @analysis("benchmark", summary="Benchmark a client", days=local_days(DEFAULT_DAYS))
    async def read_benchmark(
        self, client_id: uuid.UUID, session: AsyncSession, principal: Principal, days: AskedDays
    ) -> BenchmarkOut:
        """The client's owned accounts against its competitor accounts (audience, growth, engagement rate,
        cadence, per account and per side), share of voice per network and in total, and the client's
        anonymised percentile among the agency's clients of the same industry; `definitions` states each formula."""
        return await read_benchmark(session, principal, client_id, days)
