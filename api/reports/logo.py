"""Fetching a client's logo for its PDF report, with the same address rules as webhooks.

The logo URL is the tenant's input and the server fetches it, so it gets the webhook checks: every
address the name resolves to must be public (unless the deployment allows private addresses), the
connection goes to the address just checked, redirects are not followed and proxies from the
environment are ignored. The image must be PNG or JPEG, at most `MAX_BYTES`, and readable; otherwise
the report is made without it and says why.
"""

from __future__ import annotations

import io

import httpx
from reportlab.lib.utils import ImageReader

from api.webhooks.urls import AddressPolicy, UrlRefused, pinned_request

MAX_BYTES = 1_000_000
TIMEOUT_SECONDS = 5.0
IMAGE_TYPES = ("image/png", "image/jpeg")


async def _download(client: httpx.AsyncClient, url: httpx.URL, policy: AddressPolicy) -> tuple[bytes | None, str]:
    _parts, addresses = await policy.addresses(str(url))
    problem = "could not connect to the logo's host"
    for address in addresses:
        target, headers, extensions = pinned_request(url, address)
        try:
            async with client.stream("GET", target, headers=headers, extensions=extensions) as response:
                if response.status_code != 200:
                    return None, f"the logo URL answered HTTP {response.status_code}"
                media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if media_type not in IMAGE_TYPES:
                    return None, f"the logo is {media_type or 'of no stated type'}, not a PNG or JPEG image"
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        return None, f"the logo is larger than {MAX_BYTES // 1_000_000} MB"
                return bytes(body), ""
        except httpx.ConnectError:
            continue
        except httpx.HTTPError as failure:
            return None, f"the logo could not be fetched ({type(failure).__name__})"
    return None, problem


async def fetch_logo(
    url: str, policy: AddressPolicy, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[bytes | None, str | None]:
    """The logo's bytes, or None and a sentence saying why it cannot be shown."""
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        ) as client:
            body, problem = await _download(client, httpx.URL(url), policy)
    except UrlRefused as refused:
        return None, f"the logo is not fetched from that address ({refused})"
    if body is None:
        return None, problem
    try:
        ImageReader(io.BytesIO(body)).getSize()
    except Exception:  # whatever the decoder raises, the image cannot be drawn
        return None, "the logo is not a readable PNG or JPEG image"
    return body, None
