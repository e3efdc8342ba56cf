"""A local fake of the Stripe API for tests, speaking Stripe's v1 wire format.

Requests are `application/x-www-form-urlencoded` with Stripe's bracket nesting (`metadata[k]=v`,
`line_items[0][price]=...`); answers are JSON objects (`id`, `object`, `created`, `livemode: false`) and
errors are Stripe's error object (`{"error": {"type", "message", "code", "param"}}`) with Stripe's status
codes, so the real `stripe` SDK maps them to its own exception classes. Only the routes the billing feature
uses exist; see `FakeStripe` for the inspection helpers tests use (meter events and totals, request log,
fault injection, clock override, subscription changes with their webhook event payloads).

Limits (deliberate): one account, test mode only, no expansion (`expand[]` is accepted and ignored), no
pagination beyond `limit`/`starting_after` on lists, no asynchronous processing: meter events count in
summaries as soon as they are accepted, and problems real Stripe reports later through
`v1.billing.meter.error_report_triggered` (unknown customer, no meter for the event name) are refused
synchronously here so a test sees them.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe._api_version import _ApiVersion

from stripe_fake.signing import signed_webhook

Json = dict[str, Any]

API_VERSION = _ApiVersion.CURRENT
METER_EVENT_MAX_AGE = 35 * 24 * 3600  # "Must be within the past 35 calendar days"
METER_EVENT_MAX_FUTURE = 5 * 60  # "or up to 5 minutes in the future"
IDENTIFIER_WINDOW = 24 * 3600  # "uniqueness within a rolling period of at least 24 hours"
IDEMPOTENCY_KEY_TTL = 24 * 3600
DUPLICATE_IDENTIFIER_MESSAGE = "An event already exists with identifier {identifier}."
SUBSCRIPTION_STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
INTERVAL_SECONDS = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}


class StripeError(Exception):
    """An error answer in Stripe's shape; raised by handlers, rendered by the server."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.error: Json = {"type": type, "message": message}
        if code is not None:
            self.error["code"] = code
        if param is not None:
            self.error["param"] = param


def _missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def _invalid(param: str, message: str, code: str = "parameter_invalid") -> StripeError:
    return StripeError(400, message, code=code, param=param)


def _no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    """Stripe answers 404 for the object named in the URL, 400 for a missing object named by a parameter."""
    status = 404 if param == "id" else 400
    return StripeError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


# --------------------------------------------------------------------------------------------------------------
# Form decoding with Stripe's bracket nesting


_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> Json:
    """`a[b][0][c]=v` pairs into nested dicts; dicts whose keys are all indexes become lists (in index order)."""
    root: Json = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise StripeError(400, f"Invalid parameter name: {key!r}.", code="parameter_invalid", param=key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node: Json = root
        for depth, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if depth == len(parts) - 1:
                if isinstance(node.get(part), dict):
                    raise _invalid(key, f"Invalid value for {key}: expected an object.")
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise _invalid(key, f"Invalid value for {key}: a parameter cannot be both a value and an object.")
                node = child
    return _listify(root)


def _listify(node: Json) -> Json:
    out: Json = {}
    for key, value in node.items():
        out[key] = _listify_value(value)
    return out


def _listify_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if value and all(k.isdigit() for k in value):
        return [_listify_value(value[k]) for k in sorted(value, key=int)]
    return _listify(value)


# --------------------------------------------------------------------------------------------------------------
# Inspection records


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake received: the raw form (body or query string) and its decoded params, the
    Idempotency-Key it carried, the status answered."""

    method: str
    path: str
    raw: str
    params: Json
    idempotency_key: str | None
    status: int


@dataclass
class _Fault:
    status: int
    should_retry: bool | None
    path_prefix: str | None


@dataclass
class _IdempotentResult:
    method: str
    path: str
    params: Json
    status: int
    body: Json
    at: int


@dataclass
class FakeStripe:
    """The fake's state and behaviour; `start()` serves it over HTTP on 127.0.0.1 (a free port)."""

    api_key: str = field(default_factory=lambda: "sk_test_fake_" + secrets.token_hex(12))
    webhook_secret: str = field(default_factory=lambda: "whsec_fake_" + secrets.token_hex(16))
    duplicate_identifier_code: str | None = None
    latency: float = 0.0
    """Seconds each request waits before it is answered (outside the lock, so requests overlap as at Stripe)."""
    customers: dict[str, Json] = field(default_factory=dict)
    products: dict[str, Json] = field(default_factory=dict)
    prices: dict[str, Json] = field(default_factory=dict)
    meters: dict[str, Json] = field(default_factory=dict)
    checkout_sessions: dict[str, Json] = field(default_factory=dict)
    checkout_line_items: dict[str, list[Json]] = field(default_factory=dict)
    portal_sessions: dict[str, Json] = field(default_factory=dict)
    invoices: dict[str, Json] = field(default_factory=dict)
    subscriptions: dict[str, Json] = field(default_factory=dict)
    events: dict[str, Json] = field(default_factory=dict)
    meter_events: list[Json] = field(default_factory=list)
    requests: list[LoggedRequest] = field(default_factory=list)
    hosted_page_visits: list[str] = field(default_factory=list)
    """Paths of the hosted pages (Checkout, Customer Portal, invoices) a browser opened, in order."""
    _identifiers: dict[str, int] = field(default_factory=dict)
    _idempotency: dict[str, _IdempotentResult] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _frozen_time: int | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # ---------------------------------------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Base address to give the SDK: `StripeClient(api_key, base_addresses={"api": fake.url})`."""
        if self._server is None:
            raise RuntimeError("the fake Stripe server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def client(self, *, max_network_retries: int = 2) -> stripe.StripeClient:
        """A real SDK client pointed at this fake, built as the app builds its own."""
        return stripe.StripeClient(
            self.api_key, base_addresses={"api": self.url}, max_network_retries=max_network_retries
        )

    def start(self) -> FakeStripe:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ---------------------------------------------------------------------------------------------- clock

    def now(self) -> int:
        """The fake's clock (Unix seconds): real time unless frozen with `set_time`."""
        return self._frozen_time if self._frozen_time is not None else int(time.time())

    def set_time(self, timestamp: int | None) -> None:
        """Freeze the clock at `timestamp` (None returns to real time)."""
        self._frozen_time = timestamp

    def advance(self, seconds: int) -> None:
        """Move the clock forward (freezing it at now + seconds)."""
        self._frozen_time = self.now() + seconds

    # ---------------------------------------------------------------------------------------------- faults

    def fail_next(
        self, count: int = 1, status: int = 500, *, path_prefix: str | None = None, should_retry: bool | None = None
    ) -> None:
        """Answer the next `count` requests (to paths starting with `path_prefix`, if given) with `status`.

        500 gives an `api_error`, 429 a `rate_limit` error, like Stripe. The request is not executed and no
        idempotent result is saved, so a retry with the same Idempotency-Key runs for real. `should_retry` sets
        the `Stripe-Should-Retry` header the SDK obeys (by default the SDK retries 409 and 5xx, not 429).
        """
        with self._lock:
            self._faults.extend(_Fault(status, should_retry, path_prefix) for _ in range(count))

    # ---------------------------------------------------------------------------------------------- inspection

    def accepted_meter_events(self, *, event_name: str | None = None, customer: str | None = None) -> list[Json]:
        """Meter events accepted so far (in arrival order), optionally for one event name and/or customer."""
        with self._lock:
            return [
                event
                for event in self.meter_events
                if (event_name is None or event["event_name"] == event_name)
                and (customer is None or event["_customer"] == customer)
            ]

    def meter_totals(self) -> dict[tuple[str, str], Decimal]:
        """Sum of accepted values per (customer id, event name)."""
        totals: dict[tuple[str, str], Decimal] = {}
        with self._lock:
            for event in self.meter_events:
                key = (event["_customer"], event["event_name"])
                totals[key] = totals.get(key, Decimal(0)) + event["_value"]
        return totals

    def total(self, customer: str, event_name: str) -> Decimal:
        """Sum of accepted values for one customer and event name (0 when none)."""
        return self.meter_totals().get((customer, event_name), Decimal(0))

    def requests_to(self, path: str, method: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose path is `path` (and method, if given)."""
        with self._lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method.upper())]

    # ---------------------------------------------------------------------------------------------- seeding

    def add_customer(self, **fields: Any) -> Json:
        """Create a customer directly (no request logged)."""
        with self._lock:
            return self._create_customer({k: v for k, v in fields.items()})

    def add_meter(
        self, event_name: str, *, display_name: str | None = None, formula: str = "sum", **fields: Any
    ) -> Json:
        """Create a billing meter directly (no request logged)."""
        params: Json = {
            "event_name": event_name,
            "display_name": display_name or event_name,
            "default_aggregation": {"formula": formula},
            **fields,
        }
        with self._lock:
            return self._create_meter(params)

    def add_price(self, **fields: Any) -> Json:
        """Create a price directly (no request logged); same params as POST /v1/prices, values as strings."""
        with self._lock:
            return self._create_price(fields)

    def add_invoice(
        self,
        customer: str,
        amount_due: int,
        *,
        currency: str = "eur",
        status: str = "paid",
        created: int | None = None,
        number: str | None = None,
        subscription: str | None = None,
    ) -> Json:
        """Create an invoice of `customer` directly (no request logged): `amount_due` in the currency's smallest
        unit, `status` one of draft, open, paid, uncollectible, void."""
        if status not in INVOICE_STATUSES:
            raise ValueError(f"unknown invoice status: {status}")
        with self._lock:
            owner = self._customer(customer)
            created = self.now() if created is None else created
            count = sum(1 for invoice in self.invoices.values() if invoice["customer"] == customer)
            invoice_id = _new_id("in")
            paid = amount_due if status == "paid" else 0
            invoice: Json = {
                "id": invoice_id,
                "object": "invoice",
                "amount_due": amount_due,
                "amount_paid": paid,
                "amount_remaining": amount_due - paid,
                "billing_reason": "subscription_cycle",
                "collection_method": "charge_automatically",
                "created": created,
                "currency": currency,
                "customer": customer,
                "description": None,
                "due_date": None,
                "hosted_invoice_url": None if status == "draft" else f"{self.url}/i/{invoice_id}",
                "invoice_pdf": None if status == "draft" else f"{self.url}/i/{invoice_id}/pdf",
                "livemode": False,
                "metadata": {},
                "number": None if status == "draft" else number or f"{owner['invoice_prefix']}-{count + 1:04d}",
                "period_end": created,
                "period_start": created - INTERVAL_SECONDS["month"],
                "status": status,
                "subscription": subscription,
                "subtotal": amount_due,
                "total": amount_due,
            }
            self.invoices[invoice_id] = invoice
            return invoice

    # ---------------------------------------------------------------------------------------------- webhooks

    def make_event(self, event_type: str, obj: Json, previous_attributes: Json | None = None) -> Json:
        """An `event` object as Stripe delivers it to a webhook endpoint (kept for GET /v1/events/{id})."""
        data: Json = {"object": json.loads(json.dumps(obj))}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event: Json = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        with self._lock:
            self.events[event["id"]] = event
        return event

    def signed(self, event: Json, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a webhook delivery of `event`, signed with `webhook_secret` (at `timestamp`, or
        the fake's clock)."""
        return signed_webhook(event, self.webhook_secret, self.now() if timestamp is None else timestamp)

    def create_subscription(
        self,
        customer: str,
        prices: list[str],
        *,
        status: str = "active",
        metadata: dict[str, str] | None = None,
        quantities: dict[str, int] | None = None,
    ) -> tuple[Json, Json]:
        """A subscription for `customer` on `prices`; returns it and its `customer.subscription.created` event."""
        with self._lock:
            if customer not in self.customers:
                raise KeyError(f"no such customer: {customer}")
            if status not in SUBSCRIPTION_STATUSES:
                raise ValueError(f"unknown subscription status: {status}")
            now = self.now()
            sub_id = _new_id("sub")
            quantity = quantities or {}
            items = [self._subscription_item(sub_id, price_id, quantity.get(price_id, 1)) for price_id in prices]
            subscription: Json = {
                "id": sub_id,
                "object": "subscription",
                "billing_cycle_anchor": now,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": now,
                "currency": self.prices[prices[0]]["currency"] if prices else "usd",
                "customer": customer,
                "description": None,
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": items,
                    "has_more": False,
                    "total_count": len(items),
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": dict(metadata or {}),
                "start_date": now,
                "status": status,
                "trial_end": None,
                "trial_start": None,
            }
            self.subscriptions[sub_id] = subscription
            return subscription, self.make_event("customer.subscription.created", subscription)

    def _subscription_item(self, subscription_id: str, price_id: str, quantity: int) -> Json:
        """An item of a subscription starting now; since API version 2025-03-31 the period is on the items."""
        price = self.prices[price_id]
        now = self.now()
        period = INTERVAL_SECONDS[price["recurring"]["interval"]] * price["recurring"]["interval_count"]
        item: Json = {
            "id": _new_id("si"),
            "object": "subscription_item",
            "created": now,
            "current_period_start": now,
            "current_period_end": now + period,
            "metadata": {},
            "price": price,
            "subscription": subscription_id,
        }
        if price["recurring"]["usage_type"] == "licensed":
            item["quantity"] = quantity
        return item

    def set_subscription_status(self, subscription_id: str, status: str) -> Json:
        """Move a subscription to `status`; returns the matching webhook event.

        `canceled` gives `customer.subscription.deleted` (with `canceled_at`/`ended_at` set), any other status
        `customer.subscription.updated` with `previous_attributes: {"status": <old>}`.
        """
        if status not in SUBSCRIPTION_STATUSES:
            raise ValueError(f"unknown subscription status: {status}")
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            previous = subscription["status"]
            subscription["status"] = status
            if status == "canceled":
                subscription["canceled_at"] = subscription["ended_at"] = self.now()
                return self.make_event("customer.subscription.deleted", subscription)
            return self.make_event("customer.subscription.updated", subscription, {"status": previous})

    def change_subscription_prices(self, subscription_id: str, prices: list[str]) -> Json:
        """Replace a subscription's items with items of `prices` (a plan change made in the Customer Portal);
        returns the `customer.subscription.updated` event, with `previous_attributes: {"items": <old items>}`."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            previous = json.loads(json.dumps(subscription["items"]))
            items = [self._subscription_item(subscription_id, price_id, 1) for price_id in prices]
            subscription["items"] = {**subscription["items"], "data": items, "total_count": len(items)}
            return self.make_event("customer.subscription.updated", subscription, {"items": previous})

    def complete_checkout(self, session_id: str) -> Json:
        """Complete a subscription Checkout Session as if the customer paid.

        Creates the subscription from the session's line items, marks the session `complete`/`paid` and
        returns the `checkout.session.completed` event (the subscription's own `created` event is kept too).
        """
        with self._lock:
            session = self.checkout_sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"checkout session {session_id} is {session['status']}")
            customer = session["customer"]
            if customer is None:
                customer = self._create_customer({"email": session.get("customer_email")})["id"]
                session["customer"] = customer
            lines = self.checkout_line_items[session_id]
            subscription, _ = self.create_subscription(
                customer,
                [line["price"] for line in lines],
                metadata=(session.get("subscription_data") or {}).get("metadata"),
                quantities={line["price"]: int(line["quantity"]) for line in lines if "quantity" in line},
            )
            session.update(status="complete", payment_status="paid", subscription=subscription["id"], url=None)
            return self.make_event("checkout.session.completed", session)

    # ---------------------------------------------------------------------------------------------- dispatch

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Json, dict[str, str]]:
        """Answer one HTTP request: (status, JSON body, extra headers)."""
        parts = urlsplit(target)
        path = parts.path
        idempotency_key = headers.get("idempotency-key")
        raw = parts.query if method in ("GET", "DELETE") else body.decode("utf-8", "replace")
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            try:
                params = self._params(method, parts.query, headers, body)
            except StripeError as error:
                self.requests.append(LoggedRequest(method, path, raw, {}, idempotency_key, error.status))
                return error.status, {"error": error.error}, error.headers
            logged = json.loads(json.dumps(params))
            status, answer, extra = self._answer(method, path, params, headers, idempotency_key)
            self.requests.append(LoggedRequest(method, path, raw, logged, idempotency_key, status))
            return status, answer, extra

    def _params(self, method: str, query: str, headers: dict[str, str], body: bytes) -> Json:
        if method in ("GET", "DELETE"):
            return decode_form(parse_qsl(query, keep_blank_values=True))
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if body and content_type != "application/x-www-form-urlencoded":
            raise StripeError(
                400,
                f"Invalid request: the body must be application/x-www-form-urlencoded, not {content_type or 'unset'}.",
            )
        return decode_form(parse_qsl(body.decode("utf-8"), keep_blank_values=True))

    def _answer(
        self, method: str, path: str, params: Json, headers: dict[str, str], idempotency_key: str | None
    ) -> tuple[int, Json, dict[str, str]]:
        extra: dict[str, str] = {}
        if idempotency_key and method == "POST":
            extra["Idempotency-Key"] = idempotency_key
        try:
            fault = self._take_fault(path)
            if fault is not None:
                raise fault
            self._authenticate(headers)
            params.pop("expand", None)
            if method == "POST" and idempotency_key:
                replay = self._replay(idempotency_key, method, path, params)
                if replay is not None:
                    return replay.status, replay.body, {**extra, "Idempotent-Replayed": "true"}
            handler, args = self._route(method, path)
            saved_params = json.loads(json.dumps(params))
            answer = handler(params, *args)
        except StripeError as error:
            return error.status, {"error": error.error}, {**extra, **error.headers}
        except Exception as error:  # a bug in the fake: say so instead of dropping the connection
            message = f"The fake Stripe server failed: {type(error).__name__}: {error}"
            return 500, {"error": {"type": "api_error", "message": message}}, extra
        if method == "POST" and idempotency_key:
            self._idempotency[idempotency_key] = _IdempotentResult(
                method, path, saved_params, 200, json.loads(json.dumps(answer)), self.now()
            )
        return 200, answer, extra

    def _take_fault(self, path: str) -> StripeError | None:
        for index, fault in enumerate(self._faults):
            if fault.path_prefix is None or path.startswith(fault.path_prefix):
                del self._faults[index]
                headers = {} if fault.should_retry is None else {"Stripe-Should-Retry": str(fault.should_retry).lower()}
                if fault.status == 429:
                    return StripeError(
                        429,
                        "Too many requests hit the API too quickly. We recommend an exponential backoff of your "
                        "requests.",
                        code="rate_limit",
                        headers=headers,
                    )
                return StripeError(
                    fault.status,
                    "An unknown error occurred while processing this request (injected by the fake Stripe).",
                    type="api_error",
                    headers=headers,
                )
        return None

    def _authenticate(self, headers: dict[str, str]) -> None:
        authorization = headers.get("authorization", "")
        if not authorization:
            raise StripeError(
                401,
                "You did not provide an API key. Provide it in the Authorization header using Bearer auth "
                "(Authorization: Bearer YOUR_SECRET_KEY).",
            )
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            shown = key.strip()
            masked = shown[:8] + "*" * max(len(shown) - 12, 0) + shown[-4:] if len(shown) > 12 else "****"
            raise StripeError(401, f"Invalid API Key provided: {masked}")

    def _replay(self, key: str, method: str, path: str, params: Json) -> _IdempotentResult | None:
        saved = self._idempotency.get(key)
        if saved is None or self.now() - saved.at > IDEMPOTENCY_KEY_TTL:
            return None
        if (saved.method, saved.path) != (method, path):
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were first used for "
                f"('{saved.method} {saved.path}' vs '{method} {path}'). Try using a key other than '{key}' if "
                "you meant to execute a different request.",
                type="idempotency_error",
            )
        if saved.params != params:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        return saved

    def _route(self, method: str, path: str) -> tuple[Callable[..., Json], tuple[str, ...]]:
        for route_method, pattern, name in _ROUTES:
            if route_method != method:
                continue
            match = pattern.fullmatch(path)
            if match:
                return getattr(self, name), match.groups()
        raise StripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). This fake Stripe only serves the routes the tests use.",
        )

    # ---------------------------------------------------------------------------------------------- customers

    def _create_customer(self, params: Json) -> Json:
        _only(params, {"email", "name", "description", "metadata", "phone"})
        customer: Json = {
            "id": _new_id("cus"),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self.now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": params.get("description") or None,
            "email": params.get("email") or None,
            "invoice_prefix": secrets.token_hex(4).upper(),
            "livemode": False,
            "metadata": _metadata(params.get("metadata"), {}),
            "name": params.get("name") or None,
            "phone": params.get("phone") or None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }
        self.customers[customer["id"]] = customer
        return customer

    def post_customers(self, params: Json) -> Json:
        return self._create_customer(params)

    def get_customers(self, params: Json) -> Json:
        _only(params, {"email", "limit", "starting_after"})
        rows = [c for c in self.customers.values() if "email" not in params or c["email"] == params["email"]]
        return _list(list(reversed(rows)), "/v1/customers", params)

    def get_customer(self, params: Json, customer_id: str) -> Json:
        return self._customer(customer_id)

    def post_customer(self, params: Json, customer_id: str) -> Json:
        _only(params, {"email", "name", "description", "metadata", "phone"})
        customer = self._customer(customer_id)
        for key in ("email", "name", "description", "phone"):
            if key in params:
                customer[key] = params[key] or None
        customer["metadata"] = _metadata(params.get("metadata"), customer["metadata"])
        return customer

    def delete_customer(self, params: Json, customer_id: str) -> Json:
        """As Stripe: the customer is gone, and its subscriptions are canceled at once."""
        self._customer(customer_id)
        del self.customers[customer_id]
        for subscription in self.subscriptions.values():
            if subscription.get("customer") == customer_id:
                subscription["status"] = "canceled"
        return {"id": customer_id, "object": "customer", "deleted": True}

    def _customer(self, customer_id: str, param: str = "id") -> Json:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise _no_such("customer", customer_id, param)
        return customer

    # ---------------------------------------------------------------------------------------------- products, prices

    def post_products(self, params: Json) -> Json:
        _only(params, {"name", "description", "metadata", "active"})
        if not params.get("name"):
            raise _missing("name")
        return self._create_product(params)

    def _create_product(self, params: Json) -> Json:
        product: Json = {
            "id": _new_id("prod"),
            "object": "product",
            "active": params.get("active", "true") == "true",
            "created": self.now(),
            "description": params.get("description") or None,
            "livemode": False,
            "metadata": _metadata(params.get("metadata"), {}),
            "name": params["name"],
            "updated": self.now(),
        }
        self.products[product["id"]] = product
        return product

    def post_prices(self, params: Json) -> Json:
        return self._create_price(params)

    def _create_price(self, params: Json) -> Json:
        _only(
            params,
            {"currency", "unit_amount", "unit_amount_decimal", "recurring", "product", "product_data", "metadata",
             "nickname", "lookup_key", "active"},
        )  # fmt: skip
        if not params.get("currency"):
            raise _missing("currency")
        product_data = params.get("product_data")
        if "product" in params:
            if params["product"] not in self.products:
                raise _no_such("product", params["product"], "product")
        elif not (isinstance(product_data, dict) and product_data.get("name")):
            raise _missing("product")
        if "unit_amount" in params:
            unit_amount: int | None = _integer(params, "unit_amount")
            unit_amount_decimal = str(unit_amount)
        elif "unit_amount_decimal" in params:
            unit_amount = None
            unit_amount_decimal = _decimal(params, "unit_amount_decimal")
        else:
            raise _missing("unit_amount")
        recurring = params.get("recurring")
        recurring_out: Json | None = None
        if recurring is not None:
            if not isinstance(recurring, dict):
                raise _invalid("recurring", "Invalid object: recurring must be a hash.")
            interval = recurring.get("interval")
            if interval is None:
                raise _missing("recurring[interval]")
            if interval not in INTERVAL_SECONDS:
                raise _invalid("recurring[interval]", f"Invalid recurring[interval]: must be one of day, week, "
                               f"month, or year (got {interval!r}).")  # fmt: skip
            usage_type = recurring.get("usage_type", "licensed")
            if usage_type not in ("licensed", "metered"):
                raise _invalid("recurring[usage_type]", "Invalid recurring[usage_type]: must be licensed or metered.")
            meter = recurring.get("meter")
            if usage_type == "metered":
                if not meter:
                    raise _missing("recurring[meter]")
                if meter not in self.meters:
                    raise _no_such("billing.meter", meter, "recurring[meter]")
            elif meter:
                raise _invalid(
                    "recurring[meter]", "A meter can only be set on a price with recurring[usage_type]=metered."
                )
            recurring_out = {
                "interval": interval,
                "interval_count": _integer(recurring, "interval_count", "recurring[interval_count]")
                if "interval_count" in recurring
                else 1,
                "meter": meter or None,
                "trial_period_days": None,
                "usage_type": usage_type,
            }
        product_id = params["product"] if "product" in params else self._create_product(dict(product_data or {}))["id"]
        price: Json = {
            "id": _new_id("price"),
            "object": "price",
            "active": params.get("active", "true") == "true",
            "billing_scheme": "per_unit",
            "created": self.now(),
            "currency": str(params["currency"]).lower(),
            "livemode": False,
            "lookup_key": params.get("lookup_key") or None,
            "metadata": _metadata(params.get("metadata"), {}),
            "nickname": params.get("nickname") or None,
            "product": product_id,
            "recurring": recurring_out,
            "tax_behavior": "unspecified",
            "type": "recurring" if recurring_out else "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": unit_amount_decimal,
        }
        self.prices[price["id"]] = price
        return price

    def get_price(self, params: Json, price_id: str) -> Json:
        price = self.prices.get(price_id)
        if price is None:
            raise _no_such("price", price_id)
        return price

    # ---------------------------------------------------------------------------------------------- meters

    def post_meters(self, params: Json) -> Json:
        return self._create_meter(params)

    def _create_meter(self, params: Json) -> Json:
        _only(params, {"display_name", "event_name", "default_aggregation", "customer_mapping", "value_settings",
                       "event_time_window"})  # fmt: skip
        for required in ("display_name", "event_name"):
            if not params.get(required):
                raise _missing(required)
        formula = (params.get("default_aggregation") or {}).get("formula")
        if not formula:
            raise _missing("default_aggregation[formula]")
        if formula not in ("sum", "count", "last"):
            raise _invalid("default_aggregation[formula]", "Invalid default_aggregation[formula]: must be one of "
                           "count, last, or sum.")  # fmt: skip
        event_name = params["event_name"]
        if any(m["event_name"] == event_name and m["status"] == "active" for m in self.meters.values()):
            raise _invalid("event_name", f"An active meter with event_name `{event_name}` already exists.")
        mapping = params.get("customer_mapping") or {}
        value_settings = params.get("value_settings") or {}
        now = self.now()
        meter: Json = {
            "id": _new_id("mtr"),
            "object": "billing.meter",
            "created": now,
            "customer_mapping": {
                "event_payload_key": mapping.get("event_payload_key", "stripe_customer_id"),
                "type": mapping.get("type", "by_id"),
            },
            "default_aggregation": {"formula": formula},
            "display_name": params["display_name"],
            "event_name": event_name,
            "event_time_window": params.get("event_time_window") or None,
            "livemode": False,
            "status": "active",
            "status_transitions": {"deactivated_at": None},
            "updated": now,
            "value_settings": {"event_payload_key": value_settings.get("event_payload_key", "value")},
        }
        self.meters[meter["id"]] = meter
        return meter

    def get_meters(self, params: Json) -> Json:
        _only(params, {"status", "limit", "starting_after"})
        rows = [m for m in self.meters.values() if "status" not in params or m["status"] == params["status"]]
        return _list(list(reversed(rows)), "/v1/billing/meters", params)

    def get_meter(self, params: Json, meter_id: str) -> Json:
        meter = self.meters.get(meter_id)
        if meter is None:
            raise _no_such("billing.meter", meter_id)
        return meter

    # ---------------------------------------------------------------------------------------------- meter events

    def post_meter_events(self, params: Json) -> Json:
        _only(params, {"event_name", "payload", "identifier", "timestamp"})
        event_name = params.get("event_name")
        if not event_name:
            raise _missing("event_name")
        payload = params.get("payload")
        if not isinstance(payload, dict) or not payload:
            raise _missing("payload")
        now = self.now()
        timestamp = _integer(params, "timestamp") if "timestamp" in params else now
        if timestamp < now - METER_EVENT_MAX_AGE:
            raise StripeError(
                400,
                f"Timestamp {timestamp} is too far in the past: meter events must be within the past 35 calendar days.",
                code="timestamp_too_far_in_past",
                param="timestamp",
            )
        if timestamp > now + METER_EVENT_MAX_FUTURE:
            raise StripeError(
                400,
                f"Timestamp {timestamp} is too far in the future: meter events can be at most 5 minutes in the future.",
                code="timestamp_in_future",
                param="timestamp",
            )
        meter = next(
            (m for m in self.meters.values() if m["event_name"] == event_name and m["status"] == "active"), None
        )
        if meter is None:
            raise StripeError(
                400, f"No active meter found for event_name `{event_name}`.", code="no_meter", param="event_name"
            )
        customer_key = meter["customer_mapping"]["event_payload_key"]
        value_key = meter["value_settings"]["event_payload_key"]
        customer = payload.get(customer_key)
        if not customer:
            raise StripeError(
                400,
                f"Customer mapping key {customer_key} not found in payload.",
                code="meter_event_no_customer_defined",
                param=f"payload[{customer_key}]",
            )
        self._customer(customer, f"payload[{customer_key}]")
        if meter["default_aggregation"]["formula"] == "count" and value_key not in payload:
            value = Decimal(1)
        else:
            if value_key not in payload:
                raise StripeError(
                    400,
                    f"Value key {value_key} not found in payload.",
                    code="meter_event_invalid_value",
                    param=f"payload[{value_key}]",
                )
            value = _decimal_value(payload[value_key], f"payload[{value_key}]")
        identifier = params.get("identifier") or _new_id("mev", 24)
        if len(identifier) > 100:
            raise _invalid("identifier", "Invalid identifier: must be at most 100 characters.")
        seen = self._identifiers.get(identifier)
        if seen is not None and now - seen < IDENTIFIER_WINDOW:
            raise StripeError(
                400,
                DUPLICATE_IDENTIFIER_MESSAGE.format(identifier=identifier),
                code=self.duplicate_identifier_code,
                param="identifier",
            )
        self._identifiers[identifier] = now
        event: Json = {
            "object": "billing.meter_event",
            "created": now,
            "event_name": event_name,
            "identifier": identifier,
            "livemode": False,
            "payload": payload,
            "timestamp": timestamp,
        }
        self.meter_events.append({**event, "_customer": customer, "_value": value, "_meter": meter["id"]})
        return event

    def get_event_summaries(self, params: Json, meter_id: str) -> Json:
        _only(params, {"customer", "start_time", "end_time", "value_grouping_window", "limit", "starting_after"})
        meter = self.get_meter({}, meter_id)
        for required in ("customer", "start_time", "end_time"):
            if not params.get(required):
                raise _missing(required)
        customer = self._customer(params["customer"], "customer")["id"]
        start, end = _integer(params, "start_time"), _integer(params, "end_time")
        for name, value in (("start_time", start), ("end_time", end)):
            if value % 60:
                raise _invalid(name, f"Invalid {name}: must be aligned with minute boundaries.")
        if end <= start:
            raise _invalid("end_time", "Invalid end_time: must be after start_time.")
        window = params.get("value_grouping_window")
        if window is None:
            buckets = [(start, end)]
        elif window in ("hour", "day"):
            step = 3600 if window == "hour" else 86400
            for name, value in (("start_time", start), ("end_time", end)):
                if value % step:
                    raise _invalid(name, f"Invalid {name}: with value_grouping_window={window} it must be aligned "
                                   f"with {window} boundaries (UTC).")  # fmt: skip
            buckets = [(s, s + step) for s in range(start, end, step)]
        else:
            raise _invalid("value_grouping_window", "Invalid value_grouping_window: must be day or hour.")
        events = [e for e in self.meter_events if e["_meter"] == meter_id and e["_customer"] == customer]
        formula = meter["default_aggregation"]["formula"]
        rows = []
        for bucket_start, bucket_end in buckets:
            inside = sorted(
                (e for e in events if bucket_start <= e["timestamp"] < bucket_end), key=lambda e: e["timestamp"]
            )
            if formula == "sum":
                aggregated = sum((e["_value"] for e in inside), Decimal(0))
            elif formula == "count":
                aggregated = Decimal(len(inside))
            else:
                aggregated = inside[-1]["_value"] if inside else Decimal(0)
            rows.append(
                {
                    "id": f"mtrusg_{meter_id[4:]}_{customer[4:]}_{bucket_start}",
                    "object": "billing.meter_event_summary",
                    "aggregated_value": _json_number(aggregated),
                    "end_time": bucket_end,
                    "livemode": False,
                    "meter": meter_id,
                    "start_time": bucket_start,
                }
            )
        return _list(rows, f"/v1/billing/meters/{meter_id}/event_summaries", params)

    # ---------------------------------------------------------------------------------------------- checkout, portal

    def post_checkout_sessions(self, params: Json) -> Json:
        _only(
            params,
            {"mode", "customer", "customer_email", "line_items", "success_url", "cancel_url", "client_reference_id",
             "metadata", "subscription_data", "allow_promotion_codes", "ui_mode", "locale"},
        )  # fmt: skip
        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid("mode", f"Invalid mode: must be one of payment, setup, or subscription (got {mode!r}).")
        if mode != "subscription":
            raise _invalid("mode", "This fake Stripe only creates Checkout Sessions in subscription mode.")
        if params.get("customer"):
            self._customer(params["customer"], "customer")
            if params.get("customer_email"):
                raise _invalid("customer_email", "You may only specify one of these parameters: customer, "
                               "customer_email.")  # fmt: skip
        if not params.get("success_url"):
            raise _missing("success_url")
        for url_param in ("success_url", "cancel_url"):
            if url_param in params and not re.match(r"^https?://", str(params[url_param])):
                raise _invalid(url_param, f"Not a valid URL: {url_param}.", "url_invalid")
        lines = params.get("line_items")
        if not lines:
            raise _missing("line_items")
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            raise _invalid("line_items", "Invalid array: line_items must be a list of hashes.")
        for index, line in enumerate(lines):
            where = f"line_items[{index}]"
            price_id = line.get("price")
            if not price_id:
                raise _missing(f"{where}[price]")
            price = self.prices.get(price_id)
            if price is None:
                raise _no_such("price", price_id, f"{where}[price]")
            if price["recurring"] is None:
                raise _invalid(f"{where}[price]", "In subscription mode every line item needs a recurring price.")
            if price["recurring"]["usage_type"] == "metered":
                if "quantity" in line:
                    raise _invalid(
                        f"{where}[quantity]",
                        f"Quantity should not be specified where usage_type is `metered`. Remove `quantity` from "
                        f"`{where}`.",
                    )
            elif "quantity" not in line:
                raise _invalid(f"{where}[quantity]", f"Quantity is required. Add `quantity` to `{where}`.",
                               "parameter_missing")  # fmt: skip
            elif _integer(line, "quantity", f"{where}[quantity]") < 1:
                raise _invalid(f"{where}[quantity]", f"Invalid {where}[quantity]: must be at least 1.")
        now = self.now()
        session_id = _new_id("cs_test", 58)
        session: Json = {
            "id": session_id,
            "object": "checkout.session",
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id") or None,
            "created": now,
            "currency": self.prices[lines[0]["price"]]["currency"],
            "customer": params.get("customer") or None,
            "customer_email": params.get("customer_email") or None,
            "expires_at": now + 24 * 3600,
            "livemode": False,
            "metadata": _metadata(params.get("metadata"), {}),
            "mode": mode,
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "subscription_data": params.get("subscription_data"),
            "success_url": params["success_url"],
            "ui_mode": params.get("ui_mode", "hosted"),
            "url": f"{self.url}/c/pay/{session_id}",
        }
        self.checkout_sessions[session_id] = session
        self.checkout_line_items[session_id] = [dict(line) for line in lines]
        answer = dict(session)
        answer.pop("subscription_data")
        return answer

    def get_checkout_session(self, params: Json, session_id: str) -> Json:
        session = self.checkout_sessions.get(session_id)
        if session is None:
            raise _no_such("checkout.session", session_id)
        answer = dict(session)
        answer.pop("subscription_data", None)
        return answer

    def post_portal_sessions(self, params: Json) -> Json:
        _only(params, {"customer", "return_url", "configuration", "locale", "flow_data"})
        if not params.get("customer"):
            raise _missing("customer")
        customer = self._customer(params["customer"], "customer")["id"]
        if "return_url" in params and not re.match(r"^https?://", str(params["return_url"])):
            raise _invalid("return_url", "Not a valid URL: return_url.", "url_invalid")
        session_id = _new_id("bps")
        session: Json = {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": "bpc_fake_default",
            "created": self.now(),
            "customer": customer,
            "flow": None,
            "livemode": False,
            "locale": params.get("locale"),
            "on_behalf_of": None,
            "return_url": params.get("return_url"),
            "url": f"{self.url}/p/session/{session_id}",
        }
        self.portal_sessions[session_id] = session
        return session

    # ---------------------------------------------------------------------------------------------- invoices

    def get_invoices(self, params: Json) -> Json:
        _only(params, {"customer", "status", "subscription", "limit", "starting_after"})
        if "customer" in params:
            self._customer(params["customer"], "customer")
        status = params.get("status")
        if status is not None and status not in INVOICE_STATUSES:
            raise _invalid("status", f"Invalid status: must be one of {', '.join(INVOICE_STATUSES)}.")
        rows = sorted(
            (
                invoice
                for invoice in self.invoices.values()
                if ("customer" not in params or invoice["customer"] == params["customer"])
                and ("subscription" not in params or invoice["subscription"] == params["subscription"])
                and (status is None or invoice["status"] == status)
            ),
            key=lambda invoice: invoice["created"],
            reverse=True,
        )  # newest first, as Stripe lists them
        return _list(rows, "/v1/invoices", params)

    def get_invoice(self, params: Json, invoice_id: str) -> Json:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise _no_such("invoice", invoice_id)
        return invoice

    # ------------------------------------------------------------------------------------------ subscriptions, events

    def get_subscription(self, params: Json, subscription_id: str) -> Json:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise _no_such("subscription", subscription_id)
        return subscription

    def get_subscriptions(self, params: Json) -> Json:
        _only(params, {"customer", "status", "limit", "starting_after"})
        status = params.get("status")
        rows = [
            s
            for s in self.subscriptions.values()
            if ("customer" not in params or s["customer"] == params["customer"])
            and (status == "all" or (s["status"] != "canceled" if status is None else s["status"] == status))
        ]
        return _list(list(reversed(rows)), "/v1/subscriptions", params)

    def get_event(self, params: Json, event_id: str) -> Json:
        event = self.events.get(event_id)
        if event is None:
            raise _no_such("event", event_id)
        return event


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("POST", r"/v1/customers", "post_customers"),
        ("GET", r"/v1/customers", "get_customers"),
        ("GET", r"/v1/customers/([^/]+)", "get_customer"),
        ("POST", r"/v1/customers/([^/]+)", "post_customer"),
        ("DELETE", r"/v1/customers/([^/]+)", "delete_customer"),
        ("POST", r"/v1/products", "post_products"),
        ("POST", r"/v1/prices", "post_prices"),
        ("GET", r"/v1/prices/([^/]+)", "get_price"),
        ("POST", r"/v1/billing/meters", "post_meters"),
        ("GET", r"/v1/billing/meters", "get_meters"),
        ("GET", r"/v1/billing/meters/([^/]+)", "get_meter"),
        ("GET", r"/v1/billing/meters/([^/]+)/event_summaries", "get_event_summaries"),
        ("POST", r"/v1/billing/meter_events", "post_meter_events"),
        ("POST", r"/v1/checkout/sessions", "post_checkout_sessions"),
        ("GET", r"/v1/checkout/sessions/([^/]+)", "get_checkout_session"),
        ("POST", r"/v1/billing_portal/sessions", "post_portal_sessions"),
        ("GET", r"/v1/invoices", "get_invoices"),
        ("GET", r"/v1/invoices/([^/]+)", "get_invoice"),
        ("GET", r"/v1/subscriptions", "get_subscriptions"),
        ("GET", r"/v1/subscriptions/([^/]+)", "get_subscription"),
        ("GET", r"/v1/events/([^/]+)", "get_event"),
    )
]


# --------------------------------------------------------------------------------------------------------------
# Helpers


_ALPHABET = string.ascii_letters + string.digits


def _new_id(prefix: str, length: int = 14) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _only(params: Json, allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise StripeError(400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key)


def _integer(params: Json, key: str, param: str | None = None) -> int:
    raw = params.get(key)
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise _invalid(param or key, f"Invalid integer: {raw}", "parameter_invalid_integer")
    return int(raw)


def _decimal(params: Json, key: str) -> str:
    return str(_decimal_value(params.get(key), key))


def _decimal_value(raw: Any, param: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal("NaN")
    if not isinstance(raw, str) or not value.is_finite():
        raise StripeError(400, f"Invalid decimal: {raw}", code="meter_event_invalid_value", param=param)
    return value


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _metadata(update: Any, current: dict[str, str]) -> dict[str, str]:
    if update is None or update == "":
        return dict(current) if update is None else {}
    if not isinstance(update, dict):
        raise _invalid("metadata", "Invalid object: metadata must be a hash.")
    merged = dict(current)
    for key, value in update.items():
        if not isinstance(value, str):
            raise _invalid(f"metadata[{key}]", "Invalid metadata value: must be a string.")
        if value == "":
            merged.pop(key, None)  # Stripe: an empty value unsets the key
        else:
            merged[key] = value
    return merged


def _list(rows: list[Json], url: str, params: Json) -> Json:
    limit = _integer(params, "limit") if "limit" in params else 10
    if not 1 <= limit <= 100:
        raise _invalid("limit", "Invalid limit: must be between 1 and 100.")
    after = params.get("starting_after")
    if after:
        ids = [row["id"] for row in rows]
        if after not in ids:
            raise _no_such("object", after, "starting_after")
        rows = rows[ids.index(after) + 1 :]
    return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": url}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection frees its thread

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        if self.command == "GET" and self.path.startswith(("/c/pay/", "/p/session/", "/i/")):
            self._hosted_page(fake)
            return
        status, answer, extra = fake.handle(self.command, self.path, headers, body)
        data = json.dumps(answer, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", _new_id("req"))
        self.send_header("Stripe-Version", headers.get("stripe-version", API_VERSION))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _serve

    def _hosted_page(self, fake: FakeStripe) -> None:
        """A trivial HTML page at the URLs of Stripe's hosted pages (Checkout, Customer Portal, invoice), so a
        browser sent there lands somewhere; the page names the object it stands for."""
        with fake._lock:
            fake.hosted_page_visits.append(self.path)
        object_id = self.path.rstrip("/").split("/")[-1]
        data = (
            f"<!doctype html><html lang='en'><head><title>Fake Stripe</title></head>"
            f"<body><h1>Fake Stripe page</h1><p id='object'>{object_id}</p></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's request log is `FakeStripe.requests`."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that go away mid-request (a killed worker); report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def running_fake() -> Iterator[FakeStripe]:
    """Start a fake on a free port, yield it, stop it (the body of the `fake_stripe` fixture)."""
    fake = FakeStripe().start()
    try:
        yield fake
    finally:
        fake.stop()
