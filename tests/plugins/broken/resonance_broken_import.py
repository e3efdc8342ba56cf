"""A plugin whose own dependency is missing: importing it raises ModuleNotFoundError (an ImportError)."""

import resonance_missing_network_sdk  # noqa: F401 - deliberately not installed anywhere
