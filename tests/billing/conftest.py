"""The `fake_stripe` fixture for the billing tests in this folder."""

from stripe_fake.plugin import fake_stripe

__all__ = ["fake_stripe"]
