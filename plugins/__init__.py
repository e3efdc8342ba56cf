"""Connector plugins: the public SDK (`plugins.sdk`), the plugin registry and the built-in connectors."""
