"""The Resonance service: Litestar application, REST API v1, sync engine and analytics."""
