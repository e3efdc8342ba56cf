"""The connectors Resonance ships, each registered through the same entry points as a third party's."""
