"""Sign webhook payloads exactly as Stripe does, for tests that post events to the app's webhook endpoint.

Stripe sends `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the
endpoint's signing secret>`; the receiver recomputes the HMAC over the raw body and refuses a timestamp
older than its tolerance (300 s in the SDK's `stripe.Webhook.construct_event`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


def signature_header(payload: str | bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload` (the exact bytes that will be sent)."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    body = payload if isinstance(payload, bytes) else payload.encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), f"{signed_at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"


def signed_webhook(event: dict[str, Any], secret: str, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a webhook delivery of `event`, as Stripe would POST it."""
    body = json.dumps(event, indent=2).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature_header(body, secret, timestamp),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    return body, headers
