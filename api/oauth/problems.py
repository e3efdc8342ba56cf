"""What OAuth onboarding reports when it goes wrong: the problem types of the callback, and how to start again."""

from __future__ import annotations

from api.errors import ApiError

START_AGAIN = "Start a new authorization with POST /v1/clients/{client_id}/oauth/authorizations."
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""The callback's answers hold account ids and follow a URL holding a code: never cached, never referred."""


class StateUnknown(ApiError):
    status_code = 400
    code = "oauth_state_unknown"
    title = "Unknown authorization"


class StateExpired(ApiError):
    status_code = 400
    code = "oauth_state_expired"
    title = "Expired authorization"


class StateUsed(ApiError):
    status_code = 400
    code = "oauth_state_used"
    title = "Authorization already used"


class AuthorizationDenied(ApiError):
    status_code = 400
    code = "oauth_denied"
    title = "Authorization not granted"


class TokenExchangeFailed(ApiError):
    status_code = 502
    code = "oauth_token_error"
    title = "Token exchange failed"


class AccountSetupFailed(ApiError):
    status_code = 502
    code = "oauth_account_setup_failed"
    title = "Account setup failed"
