"""A local fake Stripe API (wire format, errors, meter event rules) and webhook signing for tests."""

from stripe_fake.server import FakeStripe, LoggedRequest, StripeError
from stripe_fake.signing import signature_header, signed_webhook

__all__ = ["FakeStripe", "LoggedRequest", "StripeError", "signature_header", "signed_webhook"]
