"""A local HTTP server speaking the part of Mollie's payments API v2 that billing uses (never the internet).

- `POST /v2/payments` (JSON: amount {currency, value}, description, redirectUrl, webhookUrl, metadata, locale)
  answers 201 with a payment object as Mollie's documentation shows it: `resource`, `id` ("tr_…"), `mode`,
  `createdAt`, `amount`, `description`, `method`, `metadata`, `status` ("open"), `isCancelable`, `expiresAt`,
  `profileId`, `sequenceType`, `redirectUrl`, `webhookUrl` and `_links` (`self`, `checkout`, `dashboard`,
  `documentation`), typed `application/hal+json`.
- `GET /v2/payments/{id}` answers the payment as it is now (with `paidAt` once paid); an unknown id answers 404
  with Mollie's error shape (`status`, `title`, `detail`, `_links.documentation`). A request without a
  `Bearer test_…` key answers 401.
- The checkout page (`GET /checkout/{id}`) stands in for Mollie's hosted page: its "Pay" button (POST) marks the
  payment paid, calls the webhook with only the id (form-encoded `id=tr_…`, as Mollie does), then redirects the
  payer back to `redirectUrl`; "Cancel" does the same with status "canceled".
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _now() -> str:
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat()


class MollieServer:
    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.webhook_calls: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"mollie": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> MollieServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        payment_id = "tr_" + secrets.token_hex(5)
        payment = {
            "resource": "payment", "id": payment_id, "mode": "test", "createdAt": _now(),
            "amount": body["amount"], "description": body.get("description", ""), "method": None,
            "metadata": body.get("metadata"), "status": "open", "isCancelable": False,
            "expiresAt": (dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=15)).replace(microsecond=0).isoformat(),
            "locale": body.get("locale"), "profileId": "pfl_local", "sequenceType": "oneoff",
            "redirectUrl": body.get("redirectUrl"), "webhookUrl": body.get("webhookUrl"),
            "_links": {
                "self": {"href": f"{self.url}/v2/payments/{payment_id}", "type": "application/hal+json"},
                "checkout": {"href": f"{self.url}/checkout/{payment_id}", "type": "text/html"},
                "dashboard": {"href": f"{self.url}/dashboard/{payment_id}", "type": "text/html"},
                "documentation": {"href": "https://docs.mollie.com/reference/create-payment", "type": "text/html"},
            },
        }
        with self.lock:
            self.payments[payment_id] = payment
        return payment

    def set_status(self, payment_id: str, status: str) -> None:
        with self.lock:
            payment = self.payments[payment_id]
            payment["status"] = status
            if status == "paid":
                payment["paidAt"] = _now()
                payment["method"] = "ideal"

    def call_webhook(self, payment_id: str) -> int:
        url = self.payments[payment_id]["webhookUrl"]
        data = urllib.parse.urlencode({"id": payment_id}).encode()
        request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - a local test address
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        self.webhook_calls.append((payment_id, status))
        return status


class _Handler(BaseHTTPRequestHandler):
    mollie: MollieServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, title: str, detail: str) -> None:
        self._json(status, {"status": status, "title": title, "detail": detail,
                            "_links": {"documentation": {"href": "https://docs.mollie.com/overview/handling-errors",
                                                         "type": "text/html"}}})

    def _authorised(self) -> bool:
        if self.headers.get("Authorization", "").startswith("Bearer test_"):
            return True
        self._error(401, "Unauthorized Request", "Missing authentication, or failed to authenticate")
        return False

    def do_POST(self) -> None:
        self.mollie.requests.append(("POST", self.path))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path == "/v2/payments":
            if not self._authorised():
                return
            body = json.loads(raw or b"{}")
            if "amount" not in body or "redirectUrl" not in body:
                self._error(422, "Unprocessable Entity", "The amount and redirectUrl are required")
                return
            self._json(201, self.mollie.create(body))
        elif self.path.startswith("/checkout/"):
            payment_id = self.path.rsplit("/", 1)[-1]
            payment = self.mollie.payments.get(payment_id)
            if payment is None:
                self.send_error(404)
                return
            choice = urllib.parse.parse_qs(raw.decode()).get("choice", ["paid"])[0]
            self.mollie.set_status(payment_id, "paid" if choice == "paid" else "canceled")
            self.mollie.call_webhook(payment_id)
            self.send_response(303)
            self.send_header("Location", payment["redirectUrl"])
            self.end_headers()
        else:
            self.send_error(404)

    def do_GET(self) -> None:
        self.mollie.requests.append(("GET", self.path))
        if self.path.startswith("/v2/payments/"):
            if not self._authorised():
                return
            payment = self.mollie.payments.get(self.path.rsplit("/", 1)[-1].split("?")[0])
            if payment is None:
                self._error(404, "Not Found", "No payment exists with token " + self.path.rsplit("/", 1)[-1])
                return
            self._json(200, payment)
        elif self.path.startswith("/checkout/"):
            payment = self.mollie.payments.get(self.path.rsplit("/", 1)[-1])
            if payment is None:
                self.send_error(404)
                return
            page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Test checkout</title></head>"
                    f"<body><main><h1>Test checkout</h1><p>{payment['description']}: {payment['amount']['currency']} "
                    f"{payment['amount']['value']}</p><form method='post'><button name='choice' value='paid'>Pay"
                    f"</button> <button name='choice' value='canceled'>Cancel</button></form></main></body></html>")
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)
