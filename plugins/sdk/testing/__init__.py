"""`plugins.sdk.testing`, the alias of the conformance kit `resonance_sdk.testing` (see `plugins.sdk`)."""

from resonance_sdk.testing import *  # noqa: F403  (the alias is everything the kit exports)
from resonance_sdk.testing import __all__ as __all__
