"""White-label through the API: the agency's colours, logo and custom domains (admin scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.errors import Conflict, InvalidInput, NotFound
from api.idempotency import idempotent
from api.services import Services
from tenants.audit import Actor
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
from tenants.domains import DomainError, TenantDomain, add_domain, list_domains, remove_domain, verify_domain

Colour = Annotated[str, msgspec.Meta(max_length=20, examples=["#2848b8"], description="`#rrggbb`")]


class BrandIn(msgspec.Struct, forbid_unknown_fields=True):
    """The agency's colours (`#rrggbb`) and the name its clients see (null: the agency's name)."""

    primary_color: Colour
    accent_color: Colour
    display_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class LogoOut(msgspec.Struct):
    content_type: str
    width: int
    height: int
    updated_at: datetime


class BrandOut(msgspec.Struct):
    """The agency's brand; colours are the portal's own until set."""

    primary_color: str
    accent_color: str
    display_name: str | None
    logo: LogoOut | None


class DomainIn(msgspec.Struct, forbid_unknown_fields=True):
    host: Annotated[str, msgspec.Meta(min_length=1, max_length=300, examples=["portal.agency.example"])]


class VerificationRecord(msgspec.Struct):
    """The DNS record that proves the agency controls the host: publish it, then verify the domain."""

    type: Annotated[str, msgspec.Meta(examples=["TXT"])]
    name: Annotated[str, msgspec.Meta(examples=["_resonance-challenge.portal.agency.example"])]
    value: Annotated[str, msgspec.Meta(examples=["resonance-verification=3q2-7w9Yp1kZ0xR4sT6uV8aBcDeFgHiJ"])]


class DomainOut(msgspec.Struct):
    host: str
    """In its ASCII (IDNA) form, lower case."""
    created_at: datetime
    verified: bool
    """Whether the agency proved it controls the host's DNS; only a verified host shows the agency's brand."""
    verified_at: datetime | None
    verification_record: VerificationRecord | None
    """While unverified, the TXT record to publish before verifying; null once verified."""


class DomainList(msgspec.Struct):
    data: list[DomainOut]


def _domain_out(domain: TenantDomain) -> DomainOut:
    verified = domain.verified_at is not None
    return DomainOut(
        host=domain.host,
        created_at=domain.created_at,
        verified=verified,
        verified_at=domain.verified_at,
        verification_record=None
        if verified
        else VerificationRecord(type="TXT", name=domain.record_name, value=domain.record_value),
    )


async def _brand_out(session: AsyncSession) -> BrandOut:
    brand = await get_brand(session)
    logo = await get_logo(session)
    return BrandOut(
        primary_color=brand.primary_color if brand else DEFAULT_PRIMARY,
        accent_color=brand.accent_color if brand else DEFAULT_ACCENT,
        display_name=brand.display_name if brand else None,
        logo=LogoOut(logo.content_type, logo.width, logo.height, logo.updated_at) if logo else None,
    )


class BrandController(Controller):
    path = "/v1/tenant/brand"
    tags = ["tenant"]

    @get("/", guards=[require("admin")], summary="The agency's brand")
    async def get_brand(self, session: AsyncSession) -> BrandOut:
        """The colours, display name and logo the agency's clients see in the portal."""
        return await _brand_out(session)

    @put("/", guards=[require("admin")], summary="Set the agency's brand")
    async def put_brand(self, data: BrandIn, session: AsyncSession, actor: Actor) -> BrandOut:
        """Set the colours (`#rrggbb`; text on them is black or white, whichever reads better) and display name."""
        try:
            await set_brand(
                session,
                actor,
                primary_color=data.primary_color,
                accent_color=data.accent_color,
                display_name=data.display_name,
            )
        except BrandError as error:
            raise InvalidInput(error.detail, field=error.field) from None
        return await _brand_out(session)

    @put("/logo", guards=[require("admin")], summary="Upload the agency's logo", request_max_body_size=4 * 1024 * 1024)
    async def put_logo(
        self,
        session: AsyncSession,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> BrandOut:
        """Replace the logo with the picture in the body (PNG, JPEG or WebP, at most 1 MB); it is re-encoded as PNG
        and shrunk to fit 512 pixels. Anything else is a 422 that says what to send.

        The body is the picture's bytes themselves (`Content-Type: image/png`, `image/jpeg` or `image/webp`)."""
        data = await request.body()
        if len(data) > LOGO_MAX_BYTES:
            raise InvalidInput(f"The logo is {len(data) / 1024 / 1024:.1f} MB; it can be at most 1 MB.", field="logo")
        try:
            await set_logo(session, actor, data)
        except BrandError as error:
            raise InvalidInput(error.detail, field=error.field) from None
        return await _brand_out(session)

    @delete(
        "/logo",
        guards=[require("admin")],
        summary="Remove the agency's logo",
        responses={404: ResponseSpec(data_container=dict[str, Any], description="This agency has no logo.")},
    )
    async def delete_logo(self, session: AsyncSession, actor: Actor) -> None:
        """Remove the logo; the portal shows the agency's name alone. A 404 when there is none."""
        if not await delete_logo(session, actor):
            raise NotFound("This agency has no logo.")


class DomainController(Controller):
    path = "/v1/tenant/domains"
    tags = ["tenant"]

    @get("/", guards=[require("admin")], summary="List the agency's custom domains")
    async def list_domains(self, session: AsyncSession) -> DomainList:
        """Host names under which the portal shows the agency's brand and signs in its members only."""
        return DomainList(data=[_domain_out(row) for row in await list_domains(session)])

    @post("/", guards=[require("admin")], status_code=201, summary="Add a custom domain")
    async def add_domain(
        self,
        data: DomainIn,
        session: AsyncSession,
        actor: Actor,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> Response[DomainOut]:
        """Claim a host name (normalised with IDNA) for the agency, unverified: publish the TXT record of the
        answer's `verification_record`, point the host's DNS at the service, then verify the domain; until then
        the host does not show the agency's brand. A 409 when the host is already this agency's, or verified by
        another agency (which one is not said); another agency's unverified claim does not stand in the way."""

        async def create() -> Response[DomainOut]:
            try:
                domain = await add_domain(session, actor, principal.tenant_id, data.host)
            except DomainError as error:
                if error.code == "host_invalid":
                    raise InvalidInput(error.detail, field="host") from None
                raise Conflict(error.detail, field="host") from None
            return Response(_domain_out(domain), status_code=201)

        return await idempotent(request, session, create)

    @post("/{host:str}/verify", guards=[require("admin")], status_code=200, summary="Verify a custom domain")
    async def verify_domain(
        self,
        host: str,
        session: AsyncSession,
        actor: Actor,
        principal: Principal,
        services: Services,
    ) -> DomainOut:
        """Look up the TXT record `_resonance-challenge.<host>` and, when its value is the domain's
        `resonance-verification=<token>`, map the host to the agency (other agencies' unverified claims to it are
        removed). A 422 saying which record to publish and what the DNS answered when the record is missing or
        different; a 409 when another agency verified the host first; a 404 when the agency has no such domain.
        Verifying a verified domain returns it as it is."""
        try:
            domain = await verify_domain(session, actor, principal.tenant_id, host, services.domain_resolver)
        except DomainError as error:
            if error.code == "host_taken":
                raise Conflict(error.detail, field="host") from None
            raise InvalidInput(error.detail, field="host") from None
        if domain is None:
            raise NotFound(f"This agency has no domain {host[:60]}.", field="host")
        services.host_agencies.forget(domain.host)
        return _domain_out(domain)

    @delete("/{host:str}", guards=[require("admin")], summary="Remove a custom domain")
    async def remove_domain(self, host: str, session: AsyncSession, actor: Actor, services: Services) -> None:
        """Stop mapping this host to the agency. A 404 when the agency has no such domain."""
        if not await remove_domain(session, actor, host):
            raise NotFound(f"This agency has no domain {host[:60]}.", field="host")
        services.host_agencies.forget(host)
