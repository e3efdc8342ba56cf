"""The connector conformance kit, shipped as a pytest plugin (entry point `pytest11`).

A plugin author subclasses `ConnectorConformance` in a test module, names it `Test…`, and sets the
connector, an account, a window, bad credentials and the recorded responses; the standard suite
then runs against the connector with a local server. See `plugins/README.md`.
"""

from resonance_sdk.testing._conformance import ConnectorConformance
from resonance_sdk.testing._server import FixtureServer, RecordingTransport, Route, Served, serving

__all__ = ["ConnectorConformance", "FixtureServer", "RecordingTransport", "Route", "Served", "serving"]
