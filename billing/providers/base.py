"""What billing needs of an online payment provider, and nothing more.

A provider creates a payment for an amount and hands back where to send the payer (`checkout_url`); later it
answers what became of it (`fetch`). Webhooks are not trusted for their content: a provider's webhook only
tells us *which* payment to look at, and its status is always fetched from the provider's API.
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class ProviderError(Exception):
    """The provider could not be reached or refused the request (the message is for logs, not for users)."""


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    status: str  # the provider's own word: open, pending, authorized, paid, canceled, expired, failed
    amount: Decimal
    currency: str
    checkout_url: str = ""
    paid_at: dt.datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        return self.status == "paid"

    @property
    def final(self) -> bool:
        return self.status in ("paid", "canceled", "expired", "failed")


class PaymentProvider(abc.ABC):
    name: str

    @abc.abstractmethod
    def create(self, *, amount: Decimal, currency: str, description: str, redirect_url: str, webhook_url: str,
               metadata: dict[str, Any], locale: str, idempotency_key: str) -> ProviderPayment:
        """Start a payment; raise ProviderError when that is not possible."""

    @abc.abstractmethod
    def fetch(self, payment_id: str) -> ProviderPayment:
        """The payment as the provider knows it now; raise ProviderError when it cannot say."""
