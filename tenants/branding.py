"""An agency's brand: its colours, the name its clients see, and its logo, on every portal page they see.

The colours are `#rrggbb`; the text drawn on them is black or white, whichever contrasts more (WCAG 2 relative
luminance), so an agency cannot make its own header unreadable. A logo is accepted as PNG, JPEG or WebP of at
most `LOGO_MAX_BYTES`, decoded and re-encoded as PNG by Pillow (what is stored is never the uploaded bytes, so
nothing but pixels reaches a browser), shrunk to fit `LOGO_MAX_SIDE`.
"""

from __future__ import annotations

import io
import re
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col, select

from tenants.audit import Actor, record
from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped
from tenants.types import UTCDateTime

DEFAULT_PRIMARY = "#2848b8"
"""The portal's own colour, for an agency that has not chosen one (the same as portal.css)."""
DEFAULT_ACCENT = "#2848b8"
LOGO_MAX_BYTES = 1024 * 1024
"""The largest logo file accepted (1 MiB)."""
LOGO_MAX_SIDE = 512
"""A stored logo fits in this many pixels each way (a header shows it about 40 pixels high)."""
LOGO_MAX_PIXELS = 25_000_000
"""A larger picture is refused before it is decoded (a small file can claim a huge canvas)."""
LOGO_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}
"""Pillow's names of the accepted formats, and how a person calls them."""
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


class BrandError(ValueError):
    """A brand, a logo or a colour that cannot be kept; `code` says what, `detail` says it as a sentence."""

    def __init__(self, code: str, detail: str, field: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field


class TenantBrand(TenantScoped, table=True):
    """The agency's colours and the name its clients see (one row per agency, absent until set)."""

    __tablename__ = "tenant_brands"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_tenant_brands_tenant"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    primary_color: str = Field(max_length=7)
    """The header's background, `#rrggbb`."""
    accent_color: str = Field(max_length=7)
    """Links, buttons and focus rings, `#rrggbb`."""
    display_name: str | None = Field(default=None, max_length=200)
    """The name shown to clients instead of the agency's account name; None: the account name."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TenantLogo(TenantScoped, table=True):
    """The agency's logo as PNG re-encoded by Pillow (one row per agency, absent until uploaded)."""

    __tablename__ = "tenant_logos"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_tenant_logos_tenant"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_type: str = Field(max_length=40)
    width: int
    height: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class BrandLook:
    """What a page needs to draw the agency's brand: colours, the ink readable on them, the name, the logo."""

    name: str
    primary: str
    accent: str
    primary_ink: str
    accent_ink: str
    accent_text: str
    """The accent as text (links) on the page's light background: darkened just enough to be read (WCAG AA)."""
    logo_version: int | None
    """Changes with each new logo (for the logo's URL, so browsers fetch the new one); None: no logo."""


def colour(value: str, field: str) -> str:
    """`value` as `#rrggbb` in lower case, or a BrandError that says what a colour looks like."""
    text = value.strip().lower()
    if _COLOUR.match(text) is None:
        raise BrandError(
            "colour",
            f"{value[:20]!r} is not a colour: write it as # followed by six hexadecimal digits, like #2848b8.",
            field,
        )
    return text


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = [int(hex_colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two `#rrggbb` colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_ink(background: str) -> str:
    """Black or white, whichever text is more readable on `background`."""
    return "#000000" if contrast_ratio(background, "#000000") >= contrast_ratio(background, "#ffffff") else "#ffffff"


PAGE_BACKGROUND = "#f6f8fa"
"""The portal's page background (portal.css); cards are white, which contrasts more."""


def _mix(colour: str, other: str, share: float) -> str:
    """`colour` moved `share` (0 to 1) of the way towards `other`, channel by channel."""
    mixed = (round(int(colour[i : i + 2], 16) * (1 - share) + int(other[i : i + 2], 16) * share) for i in (1, 3, 5))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def readable_text(colour: str, background: str = PAGE_BACKGROUND, minimum: float = 4.5) -> str:
    """`colour`, darkened by the smallest step of 5 % that makes text in it readable on `background` (WCAG AA
    asks 4.5:1 for body text); the colour itself when it already is."""
    for step in range(21):
        darker = _mix(colour, "#000000", step / 20)
        if contrast_ratio(darker, background) >= minimum:
            return darker
    return "#000000"


async def get_brand(session: AsyncSession) -> TenantBrand | None:
    """The session's agency's brand, or None when it has not set one."""
    return (await session.scalars(select(TenantBrand))).first()


async def set_brand(
    session: AsyncSession, actor: Actor, *, primary_color: str, accent_color: str, display_name: str | None
) -> TenantBrand:
    """Set the agency's colours and display name (validated: a BrandError says what is wrong), audited."""
    primary = colour(primary_color, "primary_color")
    accent = colour(accent_color, "accent_color")
    name = (display_name or "").strip() or None
    if name is not None and len(name) > 200:
        raise BrandError("display_name", "The display name can be at most 200 characters long.", "display_name")
    brand = await get_brand(session)
    if brand is None:
        brand = TenantBrand(primary_color=primary, accent_color=accent, display_name=name)
        session.add(brand)
    else:
        brand.primary_color, brand.accent_color, brand.display_name = primary, accent, name
        brand.updated_at = utcnow()
    await session.flush()
    record(session, actor, "brand.set", brand, changes={"primary_color": primary, "accent_color": accent, "name": name})
    return brand


async def get_logo(session: AsyncSession) -> TenantLogo | None:
    """The session's agency's logo, or None."""
    return (await session.scalars(select(TenantLogo))).first()


def reencode_logo(data: bytes) -> tuple[bytes, int, int]:
    """The picture in `data` as PNG bytes, its width and height; a BrandError when it is not an accepted logo."""
    if len(data) > LOGO_MAX_BYTES:
        raise BrandError(
            "logo_size",
            f"The logo is {len(data) / 1024 / 1024:.1f} MB; it can be at most {LOGO_MAX_BYTES // 1024 // 1024} MB.",
            "logo",
        )
    not_a_picture = BrandError(
        "logo_format", "The logo must be a PNG, JPEG or WebP picture; this file is not one.", "logo"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(LOGO_FORMATS)) as image:
                if image.width * image.height > LOGO_MAX_PIXELS:
                    raise BrandError(
                        "logo_pixels", "The logo has too many pixels: make it at most 5000 by 5000.", "logo"
                    )
                image.load()
                picture = image.convert("RGBA")
    except BrandError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as error:
        raise not_a_picture from error
    except Image.DecompressionBombError as error:
        raise BrandError("logo_pixels", "The logo has too many pixels: make it at most 5000 by 5000.", "logo") from (
            error
        )
    picture.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue(), picture.width, picture.height


async def set_logo(session: AsyncSession, actor: Actor, data: bytes) -> TenantLogo:
    """Replace the agency's logo with the picture in `data` (re-encoded as PNG), audited."""
    content, width, height = reencode_logo(data)
    logo = await get_logo(session)
    if logo is None:
        logo = TenantLogo(content=content, content_type="image/png", width=width, height=height)
        session.add(logo)
    else:
        logo.content, logo.width, logo.height, logo.updated_at = content, width, height, utcnow()
    await session.flush()
    record(session, actor, "brand.logo_set", logo, changes={"width": width, "height": height, "bytes": len(content)})
    return logo


async def delete_logo(session: AsyncSession, actor: Actor) -> bool:
    """Remove the agency's logo; False when it had none."""
    logo = await get_logo(session)
    if logo is None:
        return False
    record(session, actor, "brand.logo_deleted", logo)
    await session.delete(logo)
    return True


async def brand_look(session: AsyncSession, agency_name: str) -> BrandLook:
    """The brand a page draws for the session's agency (the portal's colours when it has chosen none)."""
    brand = await get_brand(session)
    logo_at = (await session.scalars(select(col(TenantLogo.updated_at)))).first()
    primary = brand.primary_color if brand else DEFAULT_PRIMARY
    accent = brand.accent_color if brand else DEFAULT_ACCENT
    return BrandLook(
        name=(brand.display_name if brand and brand.display_name else agency_name),
        primary=primary,
        accent=accent,
        primary_ink=readable_ink(primary),
        accent_ink=readable_ink(accent),
        accent_text=readable_text(accent),
        logo_version=int(logo_at.timestamp() * 1000) if logo_at else None,
    )
