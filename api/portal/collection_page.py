"""A portal page of the agency's settings that lists what the agency has of one kind with a form to add one
(its API keys, its webhook endpoints); admins only.

A subclass names its template and its blank form and reads what the page lists (`listing`); `_render` is the
page as first shown and, given the form's errors and the status that says why, a refused form shown again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Controller, Request
from litestar.di import Provide
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.portal.pages import page
from api.portal.viewer import Viewer, provide_viewer
from api.services import Services


class CollectionPage(Controller):
    """What the agency has of one kind, and a form to add one."""

    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}
    template: ClassVar[str]
    blank_form: ClassVar[dict[str, Any]]  # the form as first shown

    async def listing(self, session: AsyncSession) -> dict[str, Any]:
        """The page's context besides the form: what is listed, read in the agency's session."""
        raise NotImplementedError

    async def _render(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        *,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
    ) -> Template:
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            listed = await self.listing(session)
        return page(
            request,
            self.template,
            viewer,
            status_code=status_code,
            errors=errors or {},
            form=form or self.blank_form,
            **listed,
        )
