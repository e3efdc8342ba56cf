"""Connecting accounts through OAuth: start an authorization, then the network calls back.

`POST /v1/clients/{client_id}/oauth/authorizations` gives a link to the network's consent page
(`api/oauth/authorizations.py`). The network sends the user's browser back to `GET /v1/oauth/callback` with
a `code` and the `state`, which finish the authorization (`api/oauth/callback.py`): the code is exchanged for
a token and the account created or reconnected with the credentials the connector makes of it
(`api/oauth/account_setup.py`). The handlers here only turn the outcome into a response.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.errors import PROBLEM_MEDIA_TYPE
from api.idempotency import idempotent
from api.oauth import authorizations, flow
from api.oauth.callback import complete_authorization
from api.oauth.problems import NO_STORE
from api.oauth.schemas import AuthorizationIn, AuthorizationOut, authorization_out, connected_out
from api.services import Services
from tenants.audit import Actor


def _back_to(url: str, params: dict[str, str]) -> Response[Any]:
    """A 303 to the tenant's `redirect_after` page with the outcome in its query."""
    return Redirect(path=flow.with_query(url, params.items()), status_code=303, headers=NO_STORE)


class OAuthController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["accounts"]

    @post(
        "/v1/clients/{client_id:uuid}/oauth/authorizations",
        guards=[require("write")],
        status_code=201,
        summary="Connect an account with OAuth",
    )
    async def start_authorization(
        self,
        client_id: uuid.UUID,
        data: AuthorizationIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[AuthorizationOut]:
        """Start connecting a client's account (or reconnecting one, with `account_id`) through the network's OAuth.

        Send the user to `authorization_url` within ten minutes. After they consent, the network returns
        them to `GET /v1/oauth/callback`, which stores the account's tokens encrypted and then redirects to
        `redirect_after` (with `account_id` and `status=connected`). A 422 on `network` says when the
        connector has no OAuth flow or no OAuth client is configured (`RESONANCE_OAUTH_CLIENTS`). Replaying
        an `Idempotency-Key` returns the same authorization with a fresh link (the state is never stored,
        so the first link cannot be shown again; it stops working).
        """
        made = False

        async def create() -> Response[AuthorizationOut]:
            nonlocal made
            pending, url = await authorizations.start_authorization(
                session, services, principal, actor, client_id, data
            )
            made = True
            out = authorization_out(pending, url, flow.redirect_uri(services.settings))
            return Response(out, status_code=201)

        response = await idempotent(request, session, create, redact=authorizations.without_url)
        if made or not isinstance(response.content, dict):
            return response
        # A replay: the same authorization, with a new state (the first one was never stored).
        body = dict(response.content)
        body["authorization_url"] = await authorizations.reissue(
            session, services, principal, uuid.UUID(str(body["id"]))
        )
        response.content = body
        return response

    @get(flow.CALLBACK_PATH, exclude_from_auth=True, summary="OAuth callback", security=[])
    async def callback(
        self,
        services: Services,
        request: Request[Any, Any, Any],
        code: str | None = Parameter(default=None, max_length=4096, description="The authorization code."),
        oauth_state: Annotated[
            str | None,
            QueryParameter(name="state", max_length=512, description="The state Resonance put in the link."),
        ] = None,
        error: str | None = Parameter(default=None, max_length=200, description="The network's OAuth error code."),
        error_description: str | None = Parameter(default=None, max_length=2000),
    ) -> Response[Any]:
        """Where the network sends the user back: exchanges the code and connects the account.

        Public (the network's redirect carries no API key): the `state` names the authorization, and
        through it the agency. It works once, within ten minutes; an unknown, expired or used state is
        a 400 problem. When the user declines (`error=access_denied`), the token endpoint refuses the
        code (a 502 problem naming the network and its OAuth error) or the connector cannot set the
        account up with the token (a 502 problem naming the network, e.g. when the user does not manage
        the Page), nothing is stored. On success: a 303 to the authorization's `redirect_after` with
        `account_id` and `status=connected`, or else a 200 with the account id.
        """
        outcome = await complete_authorization(
            services,
            oauth_state=oauth_state,
            code=code,
            error=error,
            error_description=error_description,
            request_id=request.scope.get("state", {}).get("request_id"),
        )
        redirect_after = outcome.pending.redirect_after
        if outcome.problem is not None:
            if redirect_after:
                return _back_to(redirect_after, outcome.query())
            raise outcome.problem
        assert outcome.account_id is not None
        wake = BackgroundTask(services.background.kick)  # after commit: sync it soon
        if redirect_after:
            response = _back_to(redirect_after, outcome.query())
            response.background = wake
            return response
        return Response(
            connected_out(outcome.account_id, outcome.pending.network),
            status_code=200,
            headers=NO_STORE,
            background=wake,
        )


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
    )


def document_callback(app: Litestar) -> None:
    """The callback in the OpenAPI document: public, answering 303, 400 and 502 rather than key errors."""
    item = (app.openapi_schema.paths or {}).get(flow.CALLBACK_PATH)
    operation = item.get if item is not None else None
    if operation is None:
        return
    operation.security = []
    responses = {status: value for status, value in (operation.responses or {}).items() if status[0] not in "45"}
    responses["303"] = OpenAPIResponse(
        description="To the authorization's redirect_after, with account_id and status (connected or error)."
    )
    responses["400"] = _problem("The state is missing, unknown, expired or already used, or the user declined.")
    responses["422"] = _problem("A query parameter is too long.")
    responses["502"] = _problem(
        "The network's token endpoint refused the code or could not be reached, or the connector could not set "
        "the account up with the token."
    )
    responses["503"] = _problem("The network's connector or OAuth client is no longer configured.")
    operation.responses = responses
