"""A client's recent mentions in the portal, with their sentiment and who gave it, and correcting a wrong label
(with htmx or a plain form).

The lookups are the API's: the list is `api/content/service.py`'s `list_mentions` and the correction
`api/sentiment/corrections.py`'s `correct_sentiment`, so a client viewer sees its client only, another agency's
client or mention is a 404, and a correction is stored with the provenance `person` and audited
(`mention.sentiment_corrected`). Correcting needs the write scope, refused with a 403 as the API refuses a
read-only key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, get_args

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from api.clients.service import get_client
from api.content.schemas import mention_out
from api.content.service import list_mentions
from api.metrics.window import AskedDays
from api.pagination import PageRequest
from api.portal.i18n import translations
from api.portal.pages import language_of, page
from api.portal.viewer import Viewer, actor_of, provide_viewer
from api.sentiment.corrections import PERSON, CorrectedLabel, correct_sentiment
from api.services import Services

PAGE_SIZE = 100
"""Mentions shown at once (newest first): enough to check a week's labels; the filters narrow it."""

LABELS: tuple[CorrectedLabel, ...] = get_args(CorrectedLabel)
"""The labels a person may give, in the order the form offers them (the API's `SentimentCorrection`)."""

SHOWN = ("all", *LABELS)
"""The list's label filter: every mention, or those of one label."""


@dataclass
class CorrectionForm:
    label: str = ""
    shown: str = "all"
    """The label filter of the list the form was sent from, to go back to it (no JavaScript)."""


def list_path(client_id: uuid.UUID, shown: str = "all") -> str:
    """The mentions page of the client, with the label filter it had (all: none)."""
    path = f"/portal/clients/{client_id}/mentions"
    return f"{path}?label={shown}" if shown in LABELS else path


class MentionsController(Controller):
    """The mentions page of one client."""

    path = "/portal/clients/{client_id:uuid}/mentions"
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/")
    async def mentions(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        client_id: uuid.UUID,
        label: str = "all",  # checked here: Litestar's refusal of a bad choice is the API's JSON, not a page
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Template:
        if label not in SHOWN:
            return _bad_label(request, viewer)
        days = AskedDays(first=first, last=last, default_days=0)  # open ends: only `bounds()` is read
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            client = await get_client(session, viewer.principal, client_id)
            found = await list_mentions(
                session,
                viewer.principal,
                client_id,
                days,
                PageRequest(cursor=None, limit=PAGE_SIZE),
                account_id=None,
                network=None,
                language=None,
                label=None if label == "all" else label,
            )
        return page(
            request,
            "mentions.html",
            viewer,
            client=client,
            mentions=found.data,
            more=found.next_cursor is not None,
            shown=label,
            first=first,
            last=last,
            labels=LABELS,
            person=PERSON,
            may_correct=viewer.may("write"),
        )

    @post("/{mention_id:uuid}/sentiment", status_code=303)
    async def correct(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        viewer: Viewer,
        client_id: uuid.UUID,
        mention_id: uuid.UUID,
        data: Annotated[CorrectionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        if not viewer.may("write"):
            raise PermissionDeniedException()
        label = next((known for known in LABELS if known == data.label), None)
        if label is None:
            return _bad_label(request, viewer)
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            client = await get_client(session, viewer.principal, client_id)
            corrected = await correct_sentiment(
                session, viewer.principal, actor_of(request, viewer), client_id, mention_id, label
            )
            mention = mention_out(corrected)  # the shape the list shows
        if request.headers.get("hx-request"):
            return page(
                request,
                "mention_row.html",
                viewer,
                client=client,
                mention=mention,
                labels=LABELS,
                person=PERSON,
                shown=data.shown,
                may_correct=True,
            )
        return Redirect(list_path(client_id, data.shown), status_code=303)


def _bad_label(request: Request[Any, Any, Any], viewer: Viewer) -> Template:
    """A label the page does not offer (a forged form, an edited address): a plain sentence, nothing changed."""
    _ = translations(language_of(request, viewer)).gettext
    return page(
        request,
        "error.html",
        viewer,
        status_code=422,
        status=422,
        title=_("Unknown label"),
        detail=_("Choose positive, neutral or negative."),
    )
