"""Request and response shapes of clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

ClientName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Boulangerie Martin"])]
Industry = Annotated[str, msgspec.Meta(min_length=1, max_length=100, examples=["food & beverage"])]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="ISO 4217 code.")]
Timezone = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=64, examples=["Europe/Paris"], description="IANA time zone; days are counted in it."
    ),
]
Language = Literal["en", "fr"]
BrandColor = Annotated[
    str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#C8102E"], description="Colour as #RRGGBB.")
]
LogoUrl = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^https://\S+$",
        max_length=2000,
        examples=["https://cdn.example.com/logo.png"],
        description="An https URL of the client's logo (PNG or JPEG), shown on reports.",
    ),
]


class ClientIn(msgspec.Struct, forbid_unknown_fields=True):
    """A client company to manage."""

    name: ClientName
    industry: Industry | None = None
    currency: Currency = "EUR"
    timezone: Timezone = "UTC"
    language: Language = "en"
    brand_color: BrandColor | None = None
    logo_url: LogoUrl | None = None


class ClientPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; those left out keep their value."""

    name: ClientName | msgspec.UnsetType = msgspec.UNSET
    industry: Industry | msgspec.UnsetType | None = msgspec.UNSET
    currency: Currency | msgspec.UnsetType = msgspec.UNSET
    timezone: Timezone | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType = msgspec.UNSET
    brand_color: BrandColor | msgspec.UnsetType | None = msgspec.UNSET
    logo_url: LogoUrl | msgspec.UnsetType | None = msgspec.UNSET


class ClientOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    industry: str | None
    currency: str
    timezone: str
    language: str
    brand_color: str | None
    logo_url: str | None
    created_at: datetime
    updated_at: datetime


class ClientPage(msgspec.Struct):
    data: list[ClientOut]
    next_cursor: str | None
