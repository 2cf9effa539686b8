"""Mollie (https://docs.mollie.com, payments API v2) through mollie-api-python.

`create` is POST /v2/payments with the amount as a string with two decimals, a description, the redirect and
webhook URLs, metadata and a locale; the answer's `_links.checkout.href` is where the payer goes. `fetch` is
GET /v2/payments/{id}. The API base URL is a setting (MOLLIE_API_URL), so tests run against a local server.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from mollie.api.client import Client
from mollie.api.error import Error as MollieError

from billing.providers.base import PaymentProvider, ProviderError, ProviderPayment

LOCALES = {"nl": "nl_NL", "nb": "nb_NO", "en": "en_US"}


class MollieProvider(PaymentProvider):
    name = "mollie"

    def __init__(self, *, api_key: str, api_url: str, timeout: tuple[int, int] = (2, 10)) -> None:
        self.client = Client(api_endpoint=api_url, timeout=timeout, retry=1)
        try:
            self.client.set_api_key(api_key)
        except MollieError as error:
            raise ProviderError(str(error)) from error

    def create(self, *, amount: Decimal, currency: str, description: str, redirect_url: str, webhook_url: str,
               metadata: dict[str, Any], locale: str, idempotency_key: str) -> ProviderPayment:
        data = {"amount": {"currency": currency, "value": f"{amount:.2f}"}, "description": description[:255],
                "redirectUrl": redirect_url, "webhookUrl": webhook_url, "metadata": metadata,
                "locale": LOCALES.get(locale, "en_US")}
        try:
            payment = self.client.payments.create(data, idempotency_key=idempotency_key)
        except MollieError as error:
            raise ProviderError(f"Mollie refused to create the payment: {error}") from error
        return _payment(payment)

    def fetch(self, payment_id: str) -> ProviderPayment:
        try:
            payment = self.client.payments.get(payment_id)
        except MollieError as error:
            raise ProviderError(f"Mollie could not say what became of {payment_id}: {error}") from error
        return _payment(payment)


def _payment(payment: Any) -> ProviderPayment:
    amount = payment.amount or {}
    paid_at = dt.datetime.fromisoformat(payment.paid_at) if payment.paid_at else None
    return ProviderPayment(id=payment.id, status=payment.status, amount=Decimal(amount.get("value", "0")),
                           currency=amount.get("currency", ""), checkout_url=payment.checkout_url or "",
                           paid_at=paid_at, metadata=payment.metadata or {})
