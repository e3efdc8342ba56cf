"""Reading an account's posts and a client's mentions, and importing mentions."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.content import service
from api.content.schemas import MentionImportOut, MentionOut, MentionPage, PostPage, SentimentCorrection, mention_out
from api.errors import InvalidInput
from api.idempotency import idempotent
from api.mention_import.importer import IMPORT_MAX_BYTES, parse_csv, parse_json
from api.mention_import.service import import_client_mentions
from api.metrics.window import AskedDays
from api.pagination import PAGE, PageRequest
from api.parameters import day_range
from api.request_csv import FORM_MEDIA_TYPE, UPLOAD_MEDIA_TYPES, csv_file, media_type
from api.sentiment.corrections import correct_sentiment
from api.services import Services
from tenants.audit import Actor

PUBLISHED = day_range("Published on or after.", "Published on or before.")


class ContentController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["content"]

    @get(
        "/v1/accounts/{account_id:uuid}/posts",
        guards=[require("read")],
        summary="List an account's posts",
        dependencies={"days": PUBLISHED, "page": PAGE},
    )
    async def list_posts(
        self, account_id: uuid.UUID, session: AsyncSession, principal: Principal, days: AskedDays, page: PageRequest
    ) -> PostPage:
        """The account's posts, newest first, with their latest metrics (native names)."""
        return await service.list_posts(session, principal, account_id, days, page)

    @get(
        "/v1/clients/{client_id:uuid}/mentions",
        guards=[require("read")],
        summary="List a client's mentions",
        dependencies={"days": PUBLISHED, "page": PAGE},
    )
    async def list_mentions(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        account_id: uuid.UUID | None = Parameter(default=None, description="Only mentions of this account."),
        network: str | None = Parameter(default=None, description="Only mentions from this network."),
        language: str | None = Parameter(default=None, description="Only mentions in this language (fr, en…)."),
        *,  # the range and page parameters follow the filters in the document, as before
        days: AskedDays,
        page: PageRequest,
    ) -> MentionPage:
        """What people said about the client's accounts, newest first."""
        return await service.list_mentions(
            session, principal, client_id, days, page, account_id=account_id, network=network, language=language
        )

    @put(
        "/v1/clients/{client_id:uuid}/mentions/{mention_id:uuid}/sentiment",
        guards=[require("write")],
        summary="Correct a mention's sentiment",
    )
    async def correct_mention_sentiment(
        self,
        client_id: uuid.UUID,
        mention_id: uuid.UUID,
        data: SentimentCorrection,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
    ) -> MentionOut:
        """Give the mention the sentiment a person reads in it; it becomes its label in every report.

        The label is stored with the provenance `person` (`sentiment_analyzer`) and the score 1, -1 or 0. It is kept
        when the same text is synced or imported again, and `resonance sentiment reanalyse` never replaces it; if
        the text changes at its source, the new text is analysed again. Sending the same label again changes
        nothing but the audit log (`mention.sentiment_corrected`, with the label it replaced).
        """
        mention = await correct_sentiment(session, principal, actor, client_id, mention_id, data.label)
        return mention_out(mention)

    @post(
        "/v1/clients/{client_id:uuid}/mentions",
        guards=[require("write")],
        status_code=200,
        summary="Import mentions (JSON array or CSV)",
        request_max_body_size=IMPORT_MAX_BYTES,
    )
    async def import_client_mentions(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[MentionImportOut]:
        """Import mentions from a source without a connector: all of them, or none.

        The body is either a JSON array of objects (`Content-Type: application/json`) or a CSV file
        (`Content-Type: text/csv`, or the field `file` of a `multipart/form-data` upload; UTF-8, a header
        row) with the fields `source`, `external_id`,
        `published_at` (ISO 8601 with a UTC offset), `text`, and optionally `author`, `url`, `language`
        (ISO 639-1; detected when absent), `account_id` (one of this client's accounts) and `kind`
        (`mention`, `comment` or `reply`). Every mention gets a language and a sentiment from the
        configured analyser. A mention already stored with the same `source` and `external_id` is
        updated, not duplicated. If any row is invalid nothing is stored, and the 422 problem lists every
        bad row in `errors` with its `line` (CSV, the header is line 1) or `index` (JSON, from 0), the
        `field` and the `reason`. At most `RESONANCE_IMPORT_MAX_ROWS` rows and 10 MiB (413 beyond).
        """
        await get_client(session, principal, client_id)
        sent = media_type(request)
        # A form upload is known by its file: its boundary changes on every send, and a retry must replay.
        upload = await csv_file(request) if sent == FORM_MEDIA_TYPE else None

        async def create() -> Response[MentionImportOut]:
            max_rows = services.settings.import_max_rows
            if sent in UPLOAD_MEDIA_TYPES:  # text/csv, or the CSV file as the form field `file`
                rows, strict = parse_csv(upload if upload is not None else await request.body(), max_rows), False
            elif sent in ("application/json", ""):
                rows, strict = parse_json(await request.body(), max_rows), True
            else:
                raise InvalidInput(
                    f"Content-Type {sent!r} is not accepted: send application/json (an array of mentions), "
                    "text/csv, or the CSV file as the field `file` of a multipart/form-data upload.",
                    field="Content-Type",
                )
            summary = await import_client_mentions(
                session, principal, actor, services.sync_engine.analyzer, client_id, rows, strict
            )
            return Response(summary, status_code=200)

        return await idempotent(request, session, create, content=upload)
