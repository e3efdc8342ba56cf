"""Which task engine a process runs, from its settings."""

from __future__ import annotations

from collections.abc import Callable

from api.tasks.engine import Catalogue, TaskEngine
from api.tasks.in_process import InProcessEngine
from tenants.database import driver_url
from tenants.settings import Settings


def task_engine_factory(settings: Settings) -> Callable[[Catalogue], TaskEngine]:
    """procrastinate on PostgreSQL (`RESONANCE_TASK_ENGINE`), else the in-process engine."""
    if not settings.tasks_on_postgresql:
        return InProcessEngine
    from api.tasks.postgres_engine import ProcrastinateEngine  # psycopg's pool is only needed here

    # libpq reads the same URL without SQLAlchemy's driver name.
    conninfo = "postgresql://" + driver_url(settings.database_url, asynchronous=True).partition("://")[2]

    # The worker listens on one connection and fetches, beats and finishes jobs over the others, briefly each.
    pool_size = max(4, min(settings.sync_concurrency // 2 + 2, 10))

    def build(catalogue: Catalogue) -> TaskEngine:
        return ProcrastinateEngine(catalogue, conninfo, pool_size=pool_size)

    return build
