"""Errors a connector raises so the sync engine can react to each the right way."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class AuthenticationError(ConnectorError):
    """The credentials were refused: the account needs the agency to reconnect it."""


class RateLimitedError(ConnectorError):
    """The network asked us to slow down; `retry_after` is in seconds when the network said it."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """A failure worth retrying later (network error, 5xx)."""


class BadResponseError(ConnectorError):
    """The network answered something we cannot understand."""
