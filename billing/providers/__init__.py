"""Online payment providers behind one interface (`base.PaymentProvider`); Mollie is the first."""

from __future__ import annotations

from django.conf import settings

from billing.providers.base import PaymentProvider, ProviderError, ProviderPayment

__all__ = ["PaymentProvider", "ProviderError", "ProviderPayment", "online_provider"]


def online_provider() -> PaymentProvider | None:
    """The configured provider, or None when online payment is off (no API key)."""
    if not settings.MOLLIE_API_KEY:
        return None
    from billing.providers.mollie import MollieProvider

    return MollieProvider(api_key=settings.MOLLIE_API_KEY, api_url=settings.MOLLIE_API_URL)
