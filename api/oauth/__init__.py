"""Connecting accounts through the networks' OAuth 2.0 authorization-code flow (with PKCE where offered)."""
