"""`plugins.sdk`, the import path connectors used before the SDK became its own distribution.

The SDK now lives in the `resonance-sdk` distribution under the import name `resonance_sdk`, which a
third party installs without the service. The service keeps this module as an alias so every plugin
written as `from plugins.sdk import ...` keeps working wherever Resonance itself is installed: it
re-exports exactly `resonance_sdk.__all__`, the same objects (so `plugins.sdk.Connector is
resonance_sdk.Connector`), and its `testing` submodule re-exports `resonance_sdk.testing`. New code
imports `resonance_sdk`; see plugins/README.md.
"""

from resonance_sdk import *  # noqa: F403  (the alias is, by definition, everything the SDK exports)
from resonance_sdk import __all__ as __all__
