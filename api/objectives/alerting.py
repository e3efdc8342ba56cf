"""The objectives' answer to `objective_off_track` alert rules."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from api.alerts.evaluation import ObjectiveVerdict
from api.objectives.progress import find_objective, objective_status
from plugins.registry import Registry


class ObjectivesChecker:
    """Tells the alert evaluator whether an objective is off track by more than a rule's tolerance."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def check(
        self, session: AsyncSession, *, client_id: uuid.UUID, objective_id: uuid.UUID, tolerance: float, day: date
    ) -> ObjectiveVerdict | None:
        objective = await find_objective(session, client_id, objective_id)
        if objective is None:
            return None
        progress = await objective_status(session, objective, day, catalog=self.registry.metrics)
        return ObjectiveVerdict(
            objective_id=objective_id,
            off_track=progress.off_track_beyond(tolerance),
            summary=progress.summary,
            observed=None if progress.forecast is None else float(progress.forecast),
            expected=float(progress.target),
            details={
                "status": progress.status,
                "value": None if progress.value is None else str(progress.value),
                "expected_by_now": None if progress.expected_by_now is None else str(progress.expected_by_now),
                "forecast": None if progress.forecast is None else str(progress.forecast),
                "target": str(progress.target),
                "driver": None
                if progress.driver is None
                else {"network": progress.driver.network, "handle": progress.driver.handle},
            },
        )
