"""Local fake acquirer APIs on 127.0.0.1: small HTTP servers that speak enough of Stripe's
and YooKassa's REST APIs for the real `stripe` and `yookassa` libraries to talk to them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class FakeServer:
    """Runs a handler class on a free port in a thread; `requests` records every call."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                record = {"method": self.command, "path": parts.path, "query": parts.query,
                          "headers": dict(self.headers), "body": body}
                with fake.lock:
                    fake.requests.append(record)
                    status, payload = fake.handle(record)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, record: dict) -> tuple[int, dict]:
        raise NotImplementedError


# --- Stripe -----------------------------------------------------------------------------

def parse_stripe_form(body: bytes) -> dict:
    """`a[b][0][c]=v` form encoding (what stripe-python sends) into nested dicts."""
    result: dict = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        names = re.findall(r"[^\[\]]+", key)
        node = result
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = value
    return result


def stripe_signature(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix>,v1=HMAC-SHA256(secret, f"{t}.{payload}")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class FakeStripe(FakeServer):
    def __init__(self, keys: set[str]) -> None:
        super().__init__()
        self.keys = keys
        self.sessions: dict[str, dict] = {}
        self.params: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.by_idempotency: dict[str, str] = {}
        self.payment_methods: dict[str, dict] = {}
        self.declining: set[str] = set()  # payment methods whose off-session charges fail

    def handle(self, record: dict) -> tuple[int, dict]:
        auth = record["headers"].get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.keys:
            return 401, {"error": {"type": "invalid_request_error",
                                   "message": "Invalid API Key provided"}}
        path, method = record["path"], record["method"]
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(record)
        match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)
        if method == "GET" and match and match[1] in self.sessions:
            return 200, self._expanded(self.sessions[match[1]], record["query"])
        if method == "POST" and path == "/v1/refunds":
            return self._refund(parse_stripe_form(record["body"]))
        if method == "GET" and path == "/v1/balance":
            return 200, {"object": "balance", "livemode": False,
                         "available": [{"amount": 0, "currency": "rub"}], "pending": []}
        if method == "POST" and path == "/v1/payment_intents":
            return self._off_session_intent(record)
        match = re.fullmatch(r"/v1/payment_intents/([\w]+)", path)
        if method == "GET" and match and match[1] in self.intents:
            return 200, self.intents[match[1]]
        match = re.fullmatch(r"/v1/payment_methods/([\w]+)/detach", path)
        if method == "POST" and match and match[1] in self.payment_methods:
            self.payment_methods[match[1]]["customer"] = None
            return 200, self.payment_methods[match[1]]
        return 404, {"error": {"type": "invalid_request_error", "message": "No such object"}}

    def _off_session_intent(self, record: dict) -> tuple[int, dict]:
        key = record["headers"].get("Idempotency-Key", "")
        if key in self.by_idempotency:
            return 200, self.intents[self.by_idempotency[key]]
        params = parse_stripe_form(record["body"])
        method = self.payment_methods.get(params.get("payment_method", ""))
        if method is None or method["customer"] != params.get("customer") or \
                params.get("off_session") != "true" or params.get("confirm") != "true":
            return 400, {"error": {"type": "invalid_request_error",
                                   "message": "The payment method is not attached"}}
        amount = int(params["amount"])
        intent = self._intent(amount, params["currency"], params.get("metadata", {}),
                              method["id"])
        self.by_idempotency[key] = intent["id"]
        if method["id"] in self.declining:
            intent.update(status="requires_payment_method", amount_received=0,
                          last_payment_error={"code": "card_declined",
                                              "message": "Your card was declined."})
            return 402, {"error": {"type": "card_error", "code": "card_declined",
                                   "decline_code": "insufficient_funds",
                                   "message": "Your card has insufficient funds.",
                                   "payment_intent": intent}}
        return 200, intent

    def _intent(self, amount: int, currency: str, metadata: dict, method_id: str) -> dict:
        intent_id = "pi_" + uuid.uuid4().hex[:16]
        charge = {"id": "ch_" + uuid.uuid4().hex[:16], "object": "charge", "amount": amount,
                  "amount_refunded": 0, "currency": currency, "payment_intent": intent_id,
                  "metadata": {}, "refunded": False}
        self.intents[intent_id] = {
            "id": intent_id, "object": "payment_intent", "amount": amount,
            "amount_received": amount, "currency": currency, "metadata": metadata,
            "status": "succeeded", "latest_charge": charge, "payment_method": method_id}
        return self.intents[intent_id]

    def _create_session(self, record: dict) -> tuple[int, dict]:
        key = record["headers"].get("Idempotency-Key", "")
        if key in self.by_idempotency:
            return 200, self.sessions[self.by_idempotency[key]]
        params = parse_stripe_form(record["body"])
        items = params.get("line_items", {}).values()
        total = sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items)
        session_id = "cs_test_" + uuid.uuid4().hex
        self.sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "amount_total": total, "currency": next(iter(items))["price_data"]["currency"],
            "metadata": params.get("metadata", {}), "status": "open",
            "payment_status": "unpaid", "payment_intent": None,
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"), "customer": None}
        self.params[session_id] = params
        self.by_idempotency[key] = session_id
        return 200, self.sessions[session_id]

    def _expanded(self, session: dict, query: str) -> dict:
        result = dict(session)
        if "payment_intent" in query and session["payment_intent"]:
            intent = dict(self.intents[session["payment_intent"]])
            if "payment_method" in query:
                intent["payment_method"] = self.payment_methods[intent["payment_method"]]
            result["payment_intent"] = intent
        return result

    def _refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 404, {"error": {"type": "invalid_request_error", "message": "No such intent"}}
        charge = intent["latest_charge"]
        charge["amount_refunded"] += int(params["amount"])
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return 200, {"id": "re_" + uuid.uuid4().hex[:12], "object": "refund",
                     "amount": int(params["amount"]), "status": "succeeded",
                     "payment_intent": intent["id"]}

    # --- what Stripe would do when the card is paid --------------------------------------

    def pay(self, session_id: str, last4: str = "4242") -> dict:
        """The resident pays on Checkout. A session that asked to save the card leaves a
        Customer with the PaymentMethod attached (setup_future_usage=off_session)."""
        session, params = self.sessions[session_id], self.params[session_id]
        saving = params.get("payment_intent_data", {}).get("setup_future_usage") == \
            "off_session" and params.get("customer_creation") == "always"
        customer = "cus_" + uuid.uuid4().hex[:14] if saving else None
        method_id = "pm_" + uuid.uuid4().hex[:16]
        self.payment_methods[method_id] = {
            "id": method_id, "object": "payment_method", "type": "card",
            "card": {"brand": "visa", "last4": last4}, "customer": customer}
        intent = self._intent(session["amount_total"], session["currency"],
                              params["payment_intent_data"]["metadata"], method_id)
        session.update(status="complete", payment_status="paid", payment_intent=intent["id"],
                       customer=customer)
        return session


def stripe_event(event_type: str, obj: dict, *, event_id: str | None = None,
                 livemode: bool = False) -> str:
    return json.dumps({"id": event_id or "evt_" + uuid.uuid4().hex[:16], "object": "event",
                       "api_version": "2025-01-27", "created": int(time.time()),
                       "livemode": livemode, "type": event_type, "data": {"object": obj}})


# --- YooKassa ---------------------------------------------------------------------------

class FakeYooKassa(FakeServer):
    def __init__(self, shops: dict[str, str]) -> None:
        super().__init__()
        self.shops = shops  # shop_id -> secret key
        self.payments: dict[str, dict] = {}
        self.params: dict[str, dict] = {}
        self.owner: dict[str, str] = {}
        self.by_idempotency: dict[tuple[str, str], str] = {}
        self.saved_methods: dict[str, str] = {}  # saved payment method id -> shop
        self.declining: set[str] = set()  # saved methods whose charges are canceled

    def _shop(self, record: dict) -> str | None:
        auth = record["headers"].get("Authorization", "")
        if not auth.startswith("Basic "):
            return None
        shop, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        return shop if self.shops.get(shop) == secret else None

    def handle(self, record: dict) -> tuple[int, dict]:
        shop = self._shop(record)
        if shop is None:
            return 401, {"type": "error", "id": str(uuid.uuid4()), "code": "invalid_credentials",
                         "description": "Basic authentication failed"}
        path, method = record["path"], record["method"]
        if method == "POST" and path == "/v3/payments":
            return self._create(shop, record)
        if method == "GET" and path == "/v3/me":
            return 200, {"account_id": shop, "test": True, "fiscalization_enabled": True,
                         "payment_methods": ["bank_card", "sbp"], "status": "enabled"}
        match = re.fullmatch(r"/v3/payments/([\w-]+)", path)
        if method == "GET" and match and self.owner.get(match[1]) == shop:
            return 200, self.payments[match[1]]
        if method == "POST" and path == "/v3/refunds":
            return self._refund(shop, json.loads(record["body"]))
        return 404, {"type": "error", "id": str(uuid.uuid4()), "code": "not_found",
                     "description": "Payment not found"}

    def _create(self, shop: str, record: dict) -> tuple[int, dict]:
        key = record["headers"].get("Idempotence-Key")
        if not key:
            return 400, {"type": "error", "id": "x", "code": "invalid_request",
                         "description": "Idempotence-Key is required"}
        if (shop, key) in self.by_idempotency:
            return 200, self.payments[self.by_idempotency[(shop, key)]]
        params = json.loads(record["body"])
        amount = Decimal(params["amount"]["value"])
        items = params.get("receipt", {}).get("items", [])
        if sum(Decimal(i["amount"]["value"]) * Decimal(i["quantity"]) for i in items) != amount:
            return 400, {"type": "error", "id": "x", "code": "invalid_request",
                         "parameter": "receipt", "description": "Receipt total differs"}
        payment_id = str(uuid.uuid4())
        if "payment_method_id" in params:
            return self._charge_saved(shop, key, payment_id, params)
        self.payments[payment_id] = {
            "id": payment_id, "status": "pending", "paid": False, "amount": params["amount"],
            "confirmation": {"type": "redirect", "return_url": params["confirmation"]["return_url"],
                             "confirmation_url": f"https://yoomoney.test/checkout?orderId={payment_id}"},
            "created_at": "2026-11-24T10:00:00.000Z", "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "payment_method": {"type": params["payment_method_data"]["type"],
                               "id": "pm-" + payment_id, "saved": False},
            "recipient": {"account_id": shop, "gateway_id": "100500"},
            "refundable": False, "test": True}
        self.params[payment_id] = params
        self.owner[payment_id] = shop
        self.by_idempotency[(shop, key)] = payment_id
        return 200, self.payments[payment_id]

    def _charge_saved(self, shop: str, key: str, payment_id: str,
                      params: dict) -> tuple[int, dict]:
        """A payment with a saved method: no confirmation, decided at once."""
        token = params["payment_method_id"]
        if self.saved_methods.get(token) != shop or "confirmation" in params:
            return 400, {"type": "error", "id": "x", "code": "invalid_request",
                         "parameter": "payment_method_id",
                         "description": "Payment method is not saved"}
        declined = token in self.declining
        self.payments[payment_id] = {
            "id": payment_id, "status": "canceled" if declined else "succeeded",
            "paid": not declined, "amount": params["amount"],
            "created_at": "2026-11-24T10:00:00.000Z", "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "payment_method": {"type": "bank_card", "id": token, "saved": True,
                               "title": "Bank card *4444"},
            "recipient": {"account_id": shop, "gateway_id": "100500"},
            "refundable": not declined, "test": True}
        if declined:
            self.payments[payment_id]["cancellation_details"] = {
                "party": "payment_network", "reason": "insufficient_funds"}
        self.params[payment_id] = params
        self.owner[payment_id] = shop
        self.by_idempotency[(shop, key)] = payment_id
        return 200, self.payments[payment_id]

    def _refund(self, shop: str, params: dict) -> tuple[int, dict]:
        payment = self.payments.get(params["payment_id"])
        if payment is None or self.owner[payment["id"]] != shop or payment["status"] != "succeeded":
            return 400, {"type": "error", "id": "x", "code": "invalid_request",
                         "description": "Payment cannot be refunded"}
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        refunded += Decimal(params["amount"]["value"])
        payment["refunded_amount"] = {"value": f"{refunded:.2f}",
                                      "currency": params["amount"]["currency"]}
        return 200, {"id": str(uuid.uuid4()), "payment_id": payment["id"], "status": "succeeded",
                     "amount": params["amount"], "created_at": "2026-11-24T10:05:00.000Z"}

    def set_status(self, payment_id: str, status: str) -> None:
        payment = self.payments[payment_id]
        payment["status"] = status
        payment["paid"] = status == "succeeded"
        if status == "succeeded":
            payment["captured_at"] = "2026-11-24T10:01:00.000Z"
            payment["refundable"] = True
            if self.params[payment_id].get("save_payment_method"):
                method = payment["payment_method"]
                method.update(saved=True, title="Bank card *4444")
                self.saved_methods[method["id"]] = self.owner[payment_id]
        if status == "canceled":
            payment["cancellation_details"] = {"party": "yoo_money",
                                               "reason": "expired_on_confirmation"}


def yookassa_notification(event: str, obj: dict) -> bytes:
    return json.dumps({"type": "notification", "event": event, "object": obj}).encode()
