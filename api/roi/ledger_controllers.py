"""The ROI ledger over HTTP: costs and values, each recorded, imported from CSV, listed, read and deleted.

The two controllers are one implementation, `ledger_controller`, made for each `LedgerKind`
(`api.roi.service`): the routes, their parameters and their documentation stay those of two controllers,
because the handlers' types come from the kind (Litestar resolves their annotations in the controller's
`signature_namespace`, where `LedgerIn` is `CostIn` for costs and `ValueIn` for values, and so on), their
names (which make the operation ids) and their texts from `LedgerTexts`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias, TypeVar

from litestar import Controller, Litestar, Request, Response, delete, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.errors import ApiError
from api.idempotency import idempotent
from api.metrics.window import AskedDays
from api.pagination import PAGE, PageRequest
from api.parameters import day_range
from api.request_csv import UPLOAD_MEDIA_TYPES, csv_file, form_upload, media_type
from api.roi import service
from api.roi.schemas import CostIn, CostOut, CostPage, CostType, ImportOut, ValueIn, ValueOut, ValuePage, ValueType
from api.roi.service import COSTS, VALUES, LedgerKind
from tenants.audit import Actor

DATED = day_range("Entries dated on or after this day.", "Entries dated on or before this day.")

LedgerIn = TypeVar("LedgerIn", bound=CostIn | ValueIn)
LedgerOut = TypeVar("LedgerOut", bound=CostOut | ValueOut)
LedgerPage = TypeVar("LedgerPage", bound=CostPage | ValuePage)
EntryId: TypeAlias = uuid.UUID
"""An entry's id in the path: `cost_id` or `value_id` (`signature_namespace`)."""
EntryType: TypeAlias = str | None
"""The `type` filter of a list: a `CostType` or a `ValueType` (`signature_namespace`)."""


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


def _csv_body_expected(request: Request[Any, Any, Any]) -> None:
    sent = media_type(request)
    if sent not in UPLOAD_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"send the file with Content-Type: text/csv, or as the field `file` of a multipart/form-data "
            f"upload (got {sent or 'none'}).",
            field="Content-Type",
        )


@dataclass(frozen=True, slots=True)
class LedgerTexts:
    """What the document says of one kind's routes: a summary and a description per operation."""

    create: tuple[str, str]
    import_csv: tuple[str, str]
    list: tuple[str, str]
    get: tuple[str, str]
    delete: tuple[str, str]


def _named(name: str, text: tuple[str, str], handler: Any) -> Any:
    """`handler` under `name` (Litestar's operation id comes from it) with its description as its docstring."""
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = text[1]
    return handler


def ledger_controller(
    kind: LedgerKind[Any, LedgerIn, LedgerOut, LedgerPage], texts: LedgerTexts, entry_type: Any
) -> type[Controller]:
    """The controller of `kind` at `/v1/clients/{client_id}/{kind.plural}`; `entry_type` is its `type` literal."""
    name, plural = kind.name, kind.plural

    async def create(
        self: Controller,
        client_id: uuid.UUID,
        data: LedgerIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[LedgerOut]:
        client = await get_client(session, principal, client_id)

        async def record() -> Response[LedgerOut]:
            return Response(await service.record_entry(session, actor, kind, client, data), status_code=201)

        return await idempotent(request, session, record)

    async def import_csv(
        self: Controller,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[ImportOut]:
        client = await get_client(session, principal, client_id)
        _csv_body_expected(request)
        csv = await csv_file(request)

        async def record() -> Response[ImportOut]:
            return Response(await service.import_entries(session, actor, kind, client, csv), status_code=201)

        # The file, not the raw body: a form's boundary changes on every send, and a retry must replay.
        return await idempotent(request, session, record, content=csv)

    async def list_entries(
        self: Controller,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        days: AskedDays,
        network: str | None = Parameter(default=None, description="Only entries of this network."),
        kind_filter: EntryType = None,
        *,  # the page parameters come last in the document, as before
        page: PageRequest,
    ) -> LedgerPage:
        return await service.list_entries(
            session, principal, kind, client_id, days, page, network=network, entry_type=kind_filter
        )

    async def get_entry(
        self: Controller, client_id: uuid.UUID, entry_id: EntryId, session: AsyncSession, principal: Principal
    ) -> LedgerOut:
        return await service.read_entry(session, principal, kind, client_id, entry_id)

    async def delete_entry(
        self: Controller,
        client_id: uuid.UUID,
        entry_id: EntryId,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
    ) -> None:
        await service.delete_entry(session, principal, actor, kind, client_id, entry_id)

    entry_path = f"/{{{name}_id:uuid}}"
    handlers = {
        f"create_{name}": post("/", guards=[require("write")], status_code=201, summary=texts.create[0])(
            _named(f"create_{name}", texts.create, create)
        ),
        f"import_{plural}": post("/import", guards=[require("write")], status_code=201, summary=texts.import_csv[0])(
            _named(f"import_{plural}", texts.import_csv, import_csv)
        ),
        f"list_{plural}": get(
            "/", guards=[require("read")], summary=texts.list[0], dependencies={"days": DATED, "page": PAGE}
        )(_named(f"list_{plural}", texts.list, list_entries)),
        f"get_{name}": get(entry_path, guards=[require("read")], summary=texts.get[0])(
            _named(f"get_{name}", texts.get, get_entry)
        ),
        f"delete_{name}": delete(entry_path, guards=[require("write")], summary=texts.delete[0])(
            _named(f"delete_{name}", texts.delete, delete_entry)
        ),
    }
    namespace: dict[str, Any] = {
        "LedgerIn": kind.schema_in,
        "LedgerOut": kind.schema_out,
        "LedgerPage": kind.page,
        "EntryId": Annotated[uuid.UUID, PathParameter(name=f"{name}_id")],
        "EntryType": Annotated[entry_type | None, QueryParameter(name="type", description=f"Only this {name} type.")],
    }
    controller = type(
        f"{name.title()}Controller",
        (Controller,),
        {
            "__module__": __name__,
            "__doc__": f"The ledger's {plural}.",
            "opt": {OPEN_TO_CLIENT_KEYS: True},  # every object reached through a client's lookup (api/client_keys.py)
            "path": f"/v1/clients/{{client_id:uuid}}/{plural}",
            "tags": ["roi"],
            "signature_namespace": namespace,
            **handlers,
        },
    )
    return controller


CostController = ledger_controller(
    COSTS,
    LedgerTexts(
        create=(
            "Record a cost",
            "Record ad spend, labour (hours × hourly_rate, the amount derived exactly), tools or agency fees.\n\n"
            "An amount in another currency than the client's needs its `exchange_rate` into the client's currency.",
        ),
        import_csv=(
            "Import costs from CSV",
            "Import a CSV file (`Content-Type: text/csv`, or the field `file` of a `multipart/form-data` upload;\n"
            "UTF-8, header on line 1) with the columns\n"
            "`type,date,network,campaign,amount,hours,hourly_rate,currency,exchange_rate,note` (any order; only\n"
            "`type` and `date` are required; empty cells are left out). All or nothing: if any row is invalid,\n"
            "nothing is stored and the 422 lists every bad row with its line number, field and reason.",
        ),
        list=("List a client's costs", "The client's costs, in the order they were recorded."),
        get=("Get a cost", "One cost entry."),
        delete=("Delete a cost", "Remove a cost entry from the ledger."),
    ),
    CostType,
)
ValueController = ledger_controller(
    VALUES,
    LedgerTexts(
        create=(
            "Record a value",
            "Record conversions with their revenue, leads (count × value per lead) or applications (count, and\n"
            "optionally a value per application). Earned media value is not recorded here: see /roi.",
        ),
        import_csv=(
            "Import values from CSV",
            "Import a CSV file (`Content-Type: text/csv`, or the field `file` of a `multipart/form-data` upload;\n"
            "UTF-8, header on line 1) with the columns\n"
            "`type,date,network,campaign,count,amount,unit_value,currency,exchange_rate,note` (any order; only\n"
            "`type` and `date` are required; empty cells are left out). All or nothing: if any row is invalid,\n"
            "nothing is stored and the 422 lists every bad row with its line number, field and reason.",
        ),
        list=("List a client's values", "The client's values, in the order they were recorded."),
        get=("Get a value", "One value entry."),
        delete=("Delete a value", "Remove a value entry from the ledger."),
    ),
    ValueType,
)


_CSV_EXAMPLES = {
    "costs": "type,date,network,amount,hours,hourly_rate,currency,exchange_rate\n"
    "ad_spend,2026-03-01,linkedin,1000.00,,,,\nlabor,2026-03-02,,,7.5,60,,\nfees,2026-03-04,,250,,,USD,0.92\n",
    "values": "type,date,network,count,amount,unit_value\n"
    "conversion,2026-03-05,instagram,3,249.90,\nlead,2026-03-06,linkedin,12,,35.50\n",
}


def document_imports(app: Litestar) -> None:
    """The CSV imports in the OpenAPI document: a `text/csv` body or a form upload, and the 415 and 422 they answer."""
    for kind, example in _CSV_EXAMPLES.items():
        item = (app.openapi_schema.paths or {}).get(f"/v1/clients/{{client_id}}/{kind}/import")
        operation = item.post if item is not None else None
        if operation is None:
            continue
        operation.request_body = RequestBody(
            required=True,
            description=f"The {kind} as CSV (UTF-8, header on line 1).",
            content={
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING), example=example),
                **form_upload(f"The {kind} as a CSV file (UTF-8, header on line 1)."),
            },
        )
        responses = dict(operation.responses or {})
        responses["415"] = OpenAPIResponse(
            description="The body was sent neither as text/csv nor as multipart/form-data."
        )
        invalid = responses.get("422")
        if isinstance(invalid, OpenAPIResponse):
            invalid.description = "Nothing was imported: `errors` lists every bad row as {line, field, reason}."
        operation.responses = responses
