"""The agency's brand in the portal: its admins set the colours and the logo; everyone sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from api.portal.host import tenant_of_request
from api.portal.pages import page
from api.portal.viewer import Viewer, current_viewer, provide_viewer, require_admin
from api.services import Services
from tenants.branding import (
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    LOGO_MAX_BYTES,
    BrandError,
    delete_logo,
    get_brand,
    get_logo,
    set_brand,
    set_logo,
)

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class BrandForm:
    primary_color: str = ""
    accent_color: str = ""
    display_name: str = ""


@dataclass
class LogoForm:
    logo: UploadFile | None = None


class BrandController(Controller):
    """The brand page (admins) and the logo (anyone on the agency's pages or domain)."""

    path = "/portal/brand"
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}

    async def _form(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, **context: Any
    ) -> Template:
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            brand = await get_brand(session)
            has_logo = await get_logo(session) is not None
        values = {
            "primary_color": brand.primary_color if brand else DEFAULT_PRIMARY,
            "accent_color": brand.accent_color if brand else DEFAULT_ACCENT,
            "display_name": (brand.display_name if brand else None) or "",
        }
        values.update(context.pop("values", {}))
        status = 422 if context.get("problem") else 200
        context.setdefault("problem", None)
        return page(request, "brand.html", viewer, status_code=status, values=values, has_logo=has_logo, **context)

    @get("/")
    async def brand_page(self, request: Request[Any, Any, Any], services: Services, viewer: Viewer) -> Template:
        require_admin(viewer)
        return await self._form(request, services, viewer, saved=request.query_params.get("saved"))

    @post("/", status_code=303)
    async def save_brand(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        data: Annotated[BrandForm, FORM],
    ) -> Response[Any]:
        require_admin(viewer)
        try:
            async with services.database.tenant_session(viewer.principal.tenant_id) as session:
                await set_brand(
                    session,
                    viewer.principal.actor(),
                    primary_color=data.primary_color,
                    accent_color=data.accent_color,
                    display_name=data.display_name,
                )
        except BrandError as error:
            values = {"primary_color": data.primary_color, "accent_color": data.accent_color}
            values["display_name"] = data.display_name
            return await self._form(request, services, viewer, problem=error, values=values)
        return Redirect("/portal/brand?saved=brand", status_code=303)

    @post("/logo", status_code=303, request_max_body_size=4 * 1024 * 1024)
    async def upload_logo(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        data: Annotated[LogoForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[Any]:
        require_admin(viewer)
        content = await data.logo.read(LOGO_MAX_BYTES + 1) if data.logo is not None else b""
        try:
            async with services.database.tenant_session(viewer.principal.tenant_id) as session:
                await set_logo(session, viewer.principal.actor(), content)
        except BrandError as error:
            return await self._form(request, services, viewer, problem=error)
        return Redirect("/portal/brand?saved=logo", status_code=303)

    @post("/logo/delete", status_code=303)
    async def remove_logo(self, services: Services, viewer: Viewer) -> Redirect:
        require_admin(viewer)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            await delete_logo(session, viewer.principal.actor())
        return Redirect("/portal/brand?saved=logo_removed", status_code=303)

    @get("/logo")
    async def logo(self, request: Request[Any, Any, Any], services: Services) -> Response[bytes]:
        """The logo of the signed-in member's agency, else of the agency whose domain this is (a 404 without)."""
        viewer = await current_viewer(request, services)
        tenant_id = viewer.principal.tenant_id if viewer else await tenant_of_request(request, services)
        if tenant_id is None:
            raise NotFoundException()
        async with services.database.tenant_session(tenant_id) as session:
            logo = await get_logo(session)
        if logo is None:
            raise NotFoundException()
        etag = f'"{int(logo.updated_at.timestamp() * 1000)}"'
        # The same URL answers for every agency (by cookie or Host): no shared cache may keep one agency's logo.
        headers = {
            "Cache-Control": "private, max-age=3600",
            "ETag": etag,
            "Vary": "Cookie, Host",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(logo.content, media_type=logo.content_type, headers=headers)
