"""The agency's custom domains in the portal (admins only): add a host, see the DNS record that proves it is
the agency's, verify it, remove it.

The rules are the API's (`tenants/domains.py`, `/v1/tenant/domains`): a host maps to the agency, and shows its
brand, only once the TXT record is found; each step is in the audit log with the member as actor. Verifying or
removing forgets this process's kept answer for the host (`api/portal/host.py`), as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from api.portal.pages import page
from api.portal.viewer import Viewer, actor_of, provide_viewer, require_admin
from api.services import Services
from tenants.domains import DomainError, add_domain, list_domains, remove_domain, verify_domain

PATH = "/portal/domains"
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class DomainForm:
    host: str = ""


class DomainsController(Controller):
    """The agency's custom domains."""

    path = PATH
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}

    async def _render(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        *,
        problem: DomainError | None = None,
        failed_host: str = "",
        host: str = "",
    ) -> Template:
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            domains = await list_domains(session)
        # The notices repeat a host from the address bar: only one that is (or, removed, is no longer) the agency's.
        hosts = {domain.host for domain in domains}
        verified_hosts = {domain.host for domain in domains if domain.verified_at}
        asked = request.query_params
        added = asked.get("added", "") if asked.get("added") in hosts else ""
        verified = asked.get("verified", "") if asked.get("verified") in verified_hosts else ""
        removed = asked.get("removed", "") if asked.get("removed") not in hosts else ""
        return page(
            request,
            "domains.html",
            viewer,
            status_code=422 if problem else 200,
            domains=domains,
            problem=problem,
            failed_host=failed_host,
            host=host,
            added=added,
            verified=verified,
            removed=removed,
        )

    @get("/")
    async def domains_page(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Template:
        require_admin(viewer)
        return await self._render(request, services, viewer)

    @post("/", status_code=303)
    async def add(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, data: Annotated[DomainForm, FORM]
    ) -> Response[Any]:
        require_admin(viewer)
        try:
            async with services.database.tenant_session(viewer.principal.tenant_id) as session:
                domain = await add_domain(session, actor_of(request, viewer), viewer.principal.tenant_id, data.host)
                host = domain.host
        except DomainError as error:
            return await self._render(request, services, viewer, problem=error, host=data.host)
        return Redirect(f"{PATH}?added={quote(host)}#domain-{host}", status_code=303)

    @post("/{host:str}/verify", status_code=303)
    async def verify(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, host: str
    ) -> Response[Any]:
        require_admin(viewer)
        tenant_id = viewer.principal.tenant_id
        try:
            async with services.database.tenant_session(tenant_id) as session:
                domain = await verify_domain(
                    session, actor_of(request, viewer), tenant_id, host, services.domain_resolver
                )
                verified = domain.host if domain else None
        except DomainError as error:
            return await self._render(request, services, viewer, problem=error, failed_host=host)
        if verified is None:
            raise NotFoundException()
        services.host_agencies.forget(verified)
        return Redirect(f"{PATH}?verified={quote(verified)}", status_code=303)

    @post("/{host:str}/remove", status_code=303)
    async def remove(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, host: str
    ) -> Response[Any]:
        require_admin(viewer)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            removed = await remove_domain(session, actor_of(request, viewer), host)
        if not removed:
            raise NotFoundException()
        services.host_agencies.forget(host)
        return Redirect(f"{PATH}?removed={quote(host)}", status_code=303)
